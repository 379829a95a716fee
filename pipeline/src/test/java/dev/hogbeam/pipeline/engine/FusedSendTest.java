package dev.hogbeam.pipeline.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.order.SortSettings;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's fused path against its shuffle path on the same records, with what ClickHouse never
 * yields: exact repeats, in groups sorted on disk (so copies are also dropped by the lazy merge).
 */
class FusedSendTest {
  private static final String KEY = "phc_fusedsendtestkey";
  private static final int PER_SHARD = 300;

  @TempDir Path tmp;

  /** Shards "s0".."s2": events in reverse time order, every seventh one twice, one bad record. */
  static final class Feed implements ShardFeed<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public List<KV<Integer, String>> shards() {
      return List.of(KV.of(0, "s0"), KV.of(1, "s1"), KV.of(0, "s2"));
    }

    @Override
    public Coder<String> shardCoder() {
      return StringUtf8Coder.of();
    }

    @Override
    public String group(String shard) {
      return shard;
    }

    @Override
    public Reader<String> open() {
      return new Reader<>() {
        @Override
        public void read(
            String shard, Consumer<CaptureEvent> events, Consumer<DeadLetter> deadLetters) {
          records(shard).forEach(events);
          deadLetters.accept(badRecord(shard));
        }

        @Override
        public void close() {}
      };
    }

    static List<CaptureEvent> records(String shard) {
      int s = Integer.parseInt(shard.substring(1));
      List<CaptureEvent> out = new ArrayList<>();
      for (int i = PER_SHARD - 1; i >= 0; i--) {
        CaptureEvent e =
            CaptureEvent.of(
                String.format("0190a000-0000-7000-8000-%06d%06d", s, i),
                "$pageview",
                "user-" + (i % 17),
                1_709_251_200_000_000L + s * 86_400_000_000L + (i / 3) * 1_000_000L,
                "{\"i\":" + i + "}");
        out.add(e);
        if (i % 7 == 0) {
          out.add(e);
        }
      }
      return out;
    }

    static DeadLetter badRecord(String shard) {
      return DeadLetter.of("map", shard, null, "{\"row\":\"" + shard + "\"}", 0, "bad row", 0);
    }
  }

  private Pipeline pipeline() {
    PipelineOptions o = PipelineOptionsFactory.create();
    o.setRunner(DirectRunner.class);
    return Pipeline.create(o);
  }

  private static Ledger ledger(Path dir) {
    return Ledger.of(CheckpointStore.at(dir.toString()), "run1", dir.resolve("dead").toString());
  }

  private static CaptureIO.Write writer(FakeCaptureServer server) {
    return CaptureIO.write().withHost(server.url()).withApiKey(KEY).withBatchSize(25);
  }

  record Outcome(Map<String, List<String>> sent, RunReport account, Set<String> dead) {}

  private static Outcome outcome(FakeCaptureServer server, Ledger ledger) {
    Map<String, List<String>> sent = new TreeMap<>();
    for (ReceivedEvent e : server.events()) {
      String shard = "s" + Integer.parseInt(e.uuid().substring(24, 30));
      sent.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.uuid());
    }
    Set<String> dead = new TreeSet<>();
    ledger.deadLetters().forEach(d -> dead.add(d.stage() + " " + d.source() + " " + d.payload()));
    return new Outcome(sent, ledger.account(), dead);
  }

  @Test
  void theFusedPathSendsAndAccountsExactlyAsTheShufflePath() throws Exception {
    Feed feed = new Feed();
    // Few events in memory: every group is sorted on disk, copies dropped in runs and in merges.
    SortSettings sort = SortSettings.defaults().withMaxEventsInMemory(40);

    Outcome shuffled;
    try (FakeCaptureServer server = FakeCaptureServer.start()) {
      Ledger ledger = ledger(tmp.resolve("shuffled"));
      Pipeline p = pipeline();
      List<KV<String, CaptureEvent>> events = new ArrayList<>();
      List<DeadLetter> bad = new ArrayList<>();
      for (KV<Integer, String> s : feed.shards()) {
        Feed.records(s.getValue()).forEach(e -> events.add(KV.of(s.getValue(), e)));
        bad.add(Feed.badRecord(s.getValue()));
      }
      SourceEvents.of(
              p.apply(
                  "Events",
                  Create.of(events)
                      .withCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()))),
              p.apply("Bad", Create.of(bad).withCoder(DeadLetterCoder.of())))
          .apply("Send in order", SendInOrder.to(writer(server), ledger));
      p.run().waitUntilFinish();
      shuffled = outcome(server, ledger);
    }
    Outcome fused;
    try (FakeCaptureServer server = FakeCaptureServer.start()) {
      Ledger ledger = ledger(tmp.resolve("fused"));
      Pipeline p = pipeline();
      p.apply(
          "Read, sort and send",
          new FusedSend<>(feed, writer(server), ledger, Set.of(), null, sort, EventRules.NONE));
      p.run().waitUntilFinish();
      fused = outcome(server, ledger);
    }

    long copies = 3 * (PER_SHARD / 7 + 1);
    assertEquals(3 * PER_SHARD, shuffled.sent().values().stream().mapToLong(List::size).sum());
    assertEquals(copies, shuffled.account().total(RunReport.GROUPS, "duplicatesDropped"));
    assertEquals(3, shuffled.dead().size(), shuffled.dead().toString());
    assertEquals(shuffled.sent(), fused.sent(), "the same events in the same order per group");
    assertEquals(shuffled.dead(), fused.dead());
    assertEquals(
        shuffled.account().section(RunReport.GROUPS).keySet(),
        fused.account().section(RunReport.GROUPS).keySet());
    for (String counter : List.of("sent", "batches", "requests", "duplicatesDropped")) {
      assertEquals(
          shuffled.account().total(RunReport.GROUPS, counter),
          fused.account().total(RunReport.GROUPS, counter),
          counter);
    }
    assertEquals(
        shuffled.account().section(RunReport.DEAD_LETTERS),
        fused.account().section(RunReport.DEAD_LETTERS));
    assertTrue(
        fused
            .account()
            .section(RunReport.MIGRATION)
            .equals(shuffled.account().section(RunReport.MIGRATION)));
  }
}
