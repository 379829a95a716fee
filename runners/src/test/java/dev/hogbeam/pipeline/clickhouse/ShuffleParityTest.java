package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused path ({@code --shuffle=fused}) and the shuffle path ({@code --shuffle=groupByKey}) of
 * {@code --orderBy=day} give the same migration: the same events in the same order per group, the
 * same dead letters (map and capture stages) and the same account, on the DirectRunner and on an
 * embedded Flink. In this module because the Flink runner is only on its classpath.
 */
class ShuffleParityTest extends ClickHouseHarness {

  /** What one run gave, with whatever differs between two correct runs left out. */
  record Outcome(
      Map<String, List<String>> sentPerGroup,
      Set<String> deadLetters,
      Map<String, Map<String, Map<String, Long>>> account) {}

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void bothPathsDeliverTheSameEventsInTheSameOrderWithTheSameAccount(String runner)
      throws Exception {
    String db = load(Layout.GEN3, 400);
    PostHogDataGenerator table = PostHogDataGenerator.existingTable(ch, db, "events", Layout.GEN3);
    Instant t = Instant.parse("2024-03-02T10:00:00.123456Z");
    table.insert(
        EventRow.builder()
            .uuid("0190a000-0000-7000-8000-000000000001")
            .teamId(2)
            .timestamp(t)
            .event("")
            .distinctId("u1")
            .properties("{}")
            .build(),
        EventRow.builder()
            .uuid("0190a000-0000-7000-8000-000000000002")
            .teamId(2)
            .timestamp(t)
            .event("$pageview")
            .distinctId("")
            .properties("{}")
            .build());
    List<String> uuids =
        new ArrayList<>(SourceEvents.expected(ch, db, "events", 2, START, END).keySet());
    uuids.sort(null);
    Set<String> refused = Set.of(uuids.get(5), uuids.get(uuids.size() / 2), uuids.get(100));

    Outcome shuffled = migrate(runner, db, refused, "groupByKey");
    Outcome fused = migrate(runner, db, refused, "fused");

    assertEquals(3, shuffled.sentPerGroup().size(), shuffled.sentPerGroup().keySet().toString());
    assertEquals(uuids.size() - 3, total(shuffled.sentPerGroup()));
    assertEquals(5, shuffled.deadLetters().size(), shuffled.deadLetters().toString());
    assertEquals(shuffled.sentPerGroup(), fused.sentPerGroup(), "the same events, same order");
    assertEquals(shuffled.deadLetters(), fused.deadLetters());
    assertEquals(shuffled.account(), fused.account());
  }

  private Outcome migrate(String runner, String db, Set<String> refused, String shuffle)
      throws Exception {
    Path checkpoints = tmp.resolve("checkpoints-" + shuffle);
    try (FakeCaptureServer s =
        FakeCaptureServer.builder()
            .eventRule(e -> refused.contains(e.path("uuid").asText()) ? "refused by test" : null)
            .start()) {
      server = s;
      List<String> a = args(db, "--shuffle=" + shuffle);
      a.removeIf(f -> f.startsWith("--runner=") || f.startsWith("--checkpointDir="));
      a.add("--runner=" + runner);
      a.add("--checkpointDir=" + checkpoints);
      if (runner.equals("FlinkRunner")) {
        a.add("--flinkMaster=[local]");
        a.add("--parallelism=2");
      }
      Run r = run(array(a));
      assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.out() + r.err());
      String path = "groupByKey".equals(shuffle) ? "runner's shuffle" : "in one step";
      assertTrue(r.out().contains(path), r.out());
      Map<String, List<String>> perGroup = new TreeMap<>();
      for (ReceivedEvent e : s.events()) {
        perGroup
            .computeIfAbsent("team2-" + e.timestamp().substring(0, 10), g -> new ArrayList<>())
            .add(e.uuid());
      }
      Set<String> dead = new TreeSet<>();
      for (DeadLetter d : deadLetters(checkpoints.resolve("dead-letters"))) {
        dead.add(
            String.join(
                " | ",
                d.stage(),
                d.source(),
                String.valueOf(d.uuid()),
                Integer.toString(d.status()),
                d.reason(),
                d.payload()));
      }
      RunReport report = report(checkpoints);
      Map<String, Map<String, Map<String, Long>>> account = new TreeMap<>();
      for (String section :
          List.of(
              RunReport.SHARDS,
              RunReport.GROUPS,
              RunReport.DEAD_LETTERS,
              RunReport.RUN,
              RunReport.MIGRATION)) {
        Map<String, Map<String, Long>> entries = new TreeMap<>();
        report
            .section(section)
            .forEach(
                (key, counters) -> {
                  Map<String, Long> c = new TreeMap<>(counters);
                  // Times, and what the engine says it scanned, differ between any two runs.
                  c.keySet()
                      .removeAll(
                          Set.of(
                              "readMillis",
                              "rateLimitWaitMillis",
                              "sourceRowsScanned",
                              "sourceBytesScanned"));
                  entries.put(key, c);
                });
        account.put(section, entries);
      }
      return new Outcome(perGroup, dead, account);
    } finally {
      server = null;
    }
  }

  private static long total(Map<String, List<String>> perGroup) {
    return perGroup.values().stream().mapToLong(List::size).sum();
  }
}
