package dev.hogbeam.pipeline.engine;

import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.capture.GroupWriter;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.order.ExternalSorter;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.order.SortSettings;
import dev.hogbeam.order.SortedEvents;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The fused path of day order ({@code --shuffle=fused}): for each shard of a {@link ShardFeed}, one
 * task reads it, maps it, sorts it with bounded memory ({@link ExternalSorter}, the same sort and
 * dedupe rule as {@link OrderEvents}) and sends it ({@link GroupWriter}, the same writer,
 * checkpoints and dead letters as {@link CaptureIO.Write}). No event crosses a runner shuffle; only
 * the shard descriptors are grouped by reader key, so shards spread over the workers and one
 * shard's reading overlaps another's sending. Then the account, as {@link SendInOrder} writes it.
 * Each mapped event goes through the migration's {@link EventRules} before the sort, as on the
 * shuffle path; what they did is recorded per group.
 *
 * <p>Within a shard: its read and map dead letters are made durable in the ledger's dead-letter
 * files before any of its events is sent (no checkpoint of the group can move past them); the
 * capture stage's are recorded by the ledger's send hook as the writer refuses them. A shard whose
 * group an earlier attempt finished is not read again (a retried bundle); a partly sent group is
 * read whole and resumes after its checkpoint cursor, as on the shuffle path.
 *
 * <p>The DoFn has one output, its groups' send stats: the sorted group never leaves it, so no
 * runner ever serializes a group.
 */
final class FusedSend<S> extends PTransform<PBegin, PCollection<String>> {
  private final ShardFeed<S> feed;
  private final CaptureIO.Write writer;
  private final Ledger ledger;
  private final Set<String> finishedGroups;
  private final @Nullable EventCursor runCursor;
  private final SortSettings sort;
  private final EventRules rules;

  FusedSend(
      ShardFeed<S> feed,
      CaptureIO.Write writer,
      Ledger ledger,
      Set<String> finishedGroups,
      @Nullable EventCursor runCursor,
      SortSettings sort,
      EventRules rules) {
    this.feed = feed;
    this.writer = writer;
    this.ledger = ledger;
    this.finishedGroups = finishedGroups;
    this.runCursor = runCursor;
    this.sort = sort;
    this.rules = rules;
  }

  @Override
  public PCollection<String> expand(PBegin input) {
    GroupWriter groups = writer.withSendProgress(ledger.sendProgress(runCursor)).groupWriter();
    List<KV<Integer, S>> shards = new ArrayList<>();
    for (KV<Integer, S> s : feed.shards()) {
      if (!finishedGroups.contains(feed.group(s.getValue()))) {
        shards.add(s);
      }
    }
    PCollection<KV<String, GroupSendStats>> stats =
        input
            .apply(
                "Create shards",
                Create.of(shards).withCoder(KvCoder.of(VarIntCoder.of(), feed.shardCoder())))
            // Only the descriptors are shuffled: one key per reader, its shards one after another.
            .apply("Group shards by reader", GroupByKey.create())
            .apply(
                "Read, sort and send shards",
                ParDo.of(new ReadSortSendFn<>(feed, groups, ledger, sort, rules)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), GroupSendStats.Coder.of()));
    return SendInOrder.writeAccount(input.getPipeline(), ledger, stats);
  }

  /** Reads, sorts and sends the shards of one reader key, one after another. */
  static final class ReadSortSendFn<S>
      extends DoFn<KV<Integer, Iterable<S>>, KV<String, GroupSendStats>> {
    /** Read and map dead letters per durable file (bounds the memory they hold). */
    static final int DEAD_LETTERS_PER_FILE = 1000;

    private final ShardFeed<S> feed;
    private final GroupWriter writer;
    private final Ledger ledger;
    private final SortSettings sort;
    private final EventRules rules;
    private transient ShardFeed.@Nullable Reader<S> reader;

    ReadSortSendFn(
        ShardFeed<S> feed, GroupWriter writer, Ledger ledger, SortSettings sort, EventRules rules) {
      this.feed = feed;
      this.writer = writer;
      this.ledger = ledger;
      this.sort = sort;
      this.rules = rules;
    }

    @Setup
    public void setup() {
      writer.setup();
      reader = feed.open();
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<S>> lane, OutputReceiver<KV<String, GroupSendStats>> out)
        throws Exception {
      List<S> shards = new ArrayList<>();
      lane.getValue().forEach(shards::add);
      shards.sort(Comparator.comparing(feed::group));
      for (S shard : shards) {
        String group = feed.group(shard);
        GroupCheckpoint stored = ledger.store().readGroup(group);
        if (stored != null && stored.done()) {
          continue; // finished by an earlier attempt at this bundle
        }
        SortedEvents sorted = readAndSort(group, shard);
        try {
          // The checkpoint hook records the capture stage's dead letters durably.
          out.output(KV.of(group, writer.send(group, sorted, letter -> {})));
        } finally {
          sorted.close();
        }
      }
    }

    /**
     * The shard's events, through the rules, in send order; its read and map dead letters made
     * durable first, and what the rules did recorded.
     */
    private SortedEvents readAndSort(String group, S shard) throws Exception {
      List<DeadLetter> pending = new ArrayList<>();
      EventRules.Tally tally = rules.zeroTally();
      try (ExternalSorter sorter = ExternalSorter.create(sort)) {
        reader.read(
            shard,
            mapped -> {
              CaptureEvent event = rules.apply(mapped, tally);
              if (event == null) {
                return;
              }
              try {
                sorter.add(event);
              } catch (IOException e) {
                throw new UncheckedIOException("Could not spill the sort of shard " + group, e);
              }
            },
            letter -> {
              pending.add(letter);
              if (pending.size() >= DEAD_LETTERS_PER_FILE) {
                recordDeadLetters(pending);
              }
            });
        recordDeadLetters(pending);
        if (!rules.isEmpty()) {
          ledger.recordRuleCounts(group, tally);
        }
        return OrderEvents.finishGroup(group, sorter);
      }
    }

    private void recordDeadLetters(List<DeadLetter> pending) {
      DeadLetterIO.writeNow(ledger.deadLetterDir(), ledger.deadLetterPrefix(), pending);
      pending.clear();
    }

    @Teardown
    public void teardown() throws Exception {
      if (reader != null) {
        reader.close();
        reader = null;
      }
      writer.teardown();
    }
  }
}
