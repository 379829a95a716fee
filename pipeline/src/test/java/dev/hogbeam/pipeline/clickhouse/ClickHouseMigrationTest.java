package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakeCaptureServer.RequestRecord;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code hogbeam clickhouse} end to end through its command line: the real ClickHouse engine, the
 * official driver, the fake capture server; every assertion exact.
 */
class ClickHouseMigrationTest extends ClickHouseHarness {

  @ParameterizedTest
  @EnumSource(Layout.class)
  void deliversExactlyTheSourceEventsOfEveryLayout(Layout layout) throws Exception {
    String db = load(layout, 300);
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertDelivered(expected, server.events());
    assertEquals(expected.size(), server.acceptedEventCount(), "no event arrived twice");
    assertInOrderPerDay(server.events());
    for (RequestRecord req : server.requests()) {
      assertEquals(200, req.status());
      assertTrue(req.historicalMigration());
      assertEquals("gzip", req.contentEncoding());
      assertTrue(req.eventsInRequest() <= 50);
    }
    RunReport report = report(tmp.resolve("checkpoints"));
    long stored =
        rows(db, "team_id = 2 AND timestamp >= '2024-03-01' AND timestamp < '2024-03-04'");
    assertEquals(expected.size(), report.total(RunReport.SHARDS, "rowsRead"), "one row an event");
    assertEquals(expected.size(), report.total(RunReport.SHARDS, "expectedRows"));
    assertEquals(stored - expected.size(), report.total(RunReport.SHARDS, "copiesMerged"));
    assertEquals(expected.size(), report.total(RunReport.GROUPS, "sent"));
    assertEquals(0, report.total(RunReport.GROUPS, "duplicatesDropped"));
    assertEquals(0, report.total(RunReport.DEAD_LETTERS, "records"));
    assertEquals(
        List.of("team2-2024-03-01", "team2-2024-03-02", "team2-2024-03-03"),
        List.copyOf(report.section(RunReport.SHARDS).keySet()));
    assertTrue(r.out().contains("hogbeam clickhouse: finished"), r.out());
    assertTrue(
        r.out()
            .contains(
                "cursor:    hb:2024-03-03T23:59:59.999999Z/ffffffff-ffff-ffff-ffff-ffffffffffff"),
        r.out());
  }

  @Test
  void rowsTheSourceScannedAreExactOrNotKnownNeverPartial() throws Exception {
    String db = load(Layout.GEN3, 300);
    server = FakeCaptureServer.start();
    long stored =
        rows(db, "team_id = 2 AND timestamp >= '2024-03-01' AND timestamp < '2024-03-04'");

    // Streamed (the default): ClickHouse sends its summary with the first block, before the query
    // has read everything, so the account says the figure is not known.
    Run streamed = run(array(args(db)));
    assertEquals(ExitCodes.OK, streamed.exitCode(), streamed.out() + streamed.err());
    String json = Files.readString(tmp.resolve("checkpoints/report.json"));
    JsonNode shards = JSON.readTree(json).path(RunReport.SHARDS);
    assertTrue(shards.path("total").path("sourceRowsScanned").isNull(), json);
    assertTrue(shards.path("total").path("sourceBytesScanned").isNull(), json);
    shards
        .path("entries")
        .forEach(e -> assertTrue(e.path("sourceRowsScanned").isNull(), e.toString()));
    assertTrue(streamed.out().contains("rows the source scanned: not known"), streamed.out());
    assertFalse(streamed.out().contains("the source scanned "), streamed.out());

    // Every query run to completion first (the URL asks for it): exact, every row at least once.
    List<String> exact = new ArrayList<>();
    for (String a : args(db)) {
      if (a.startsWith("--clickhouseUrl=")) {
        a += (a.contains("?") ? "&" : "?") + "clickhouse_setting_wait_end_of_query=1";
      } else if (a.startsWith("--checkpointDir=")) {
        a = "--checkpointDir=" + tmp.resolve("exact");
      }
      exact.add(a);
    }
    server.reset();
    Run complete = run(array(exact));
    assertEquals(ExitCodes.OK, complete.exitCode(), complete.out() + complete.err());
    RunReport report = report(tmp.resolve("exact"));
    long scanned = report.total(RunReport.SHARDS, "sourceRowsScanned");
    assertTrue(scanned >= stored, scanned + " rows scanned for " + stored + " stored");
    assertTrue(report.total(RunReport.SHARDS, "sourceBytesScanned") > 0);
    assertTrue(
        complete.out().contains(String.format(Locale.ROOT, "the source scanned %,d rows", scanned)),
        complete.out());
  }

  @Test
  void outputDirWritesExactlyWhatWouldBeSentOneDirectoryPerShard() throws Exception {
    String db = load(Layout.GEN2, 200);
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    Path out = tmp.resolve("out");

    Run r = run(array(args(db, "--outputDir=" + out)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertEquals(0, server.requestCount(), "nothing is sent");
    List<String> shardDirs;
    try (Stream<Path> dirs = Files.list(out)) {
      shardDirs = dirs.map(d -> d.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    assertEquals(List.of("team2-2024-03-01", "team2-2024-03-02", "team2-2024-03-03"), shardDirs);
    Map<String, ObjectNode> written = new HashMap<>();
    for (String shard : shardDirs) {
      List<Path> files;
      try (Stream<Path> list = Files.list(out.resolve(shard))) {
        files = list.sorted().collect(Collectors.toList());
      }
      long previous = Long.MIN_VALUE;
      String previousUuid = "";
      for (Path f : files) {
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.size() <= 50, f + " holds one batch");
        for (String line : lines) {
          ObjectNode e = (ObjectNode) JSON.readTree(line);
          long t = micros(e.get("timestamp").asText());
          assertTrue(EventOrder.compare(previous, previousUuid, t, e.get("uuid").asText()) < 0);
          previous = t;
          previousUuid = e.get("uuid").asText();
          assertEquals(shard, "team2-" + e.get("timestamp").asText().substring(0, 10));
          written.put(e.get("uuid").asText(), e);
        }
      }
    }
    assertEquals(expected.keySet(), written.keySet());
    for (Expected e : expected.values()) {
      ObjectNode w = written.get(e.uuid());
      assertEquals(e.event(), w.get("event").asText());
      assertEquals(e.distinctId(), w.get("distinct_id").asText());
      assertEquals(e.timestamp(), w.get("timestamp").asText());
      assertEquals(e.properties(), w.get("properties"));
    }
  }

  @Test
  void dryRunReadsAndCountsEverythingAndSendsNothing() throws Exception {
    String db = load(Layout.GEN3, 200);
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);

    Run r = run(array(args(db, "--dryRun")));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertEquals(0, server.requestCount());
    RunReport report = report(tmp.resolve("checkpoints"));
    assertEquals(expected.size(), report.total(RunReport.GROUPS, "sent"));
    assertTrue(r.out().contains("dry run"), r.out());
  }

  @Test
  void orderByPersonSendsEachPersonsEventsInTimeOrderAcrossDays() throws Exception {
    String db = load(Layout.GEN3, 300);
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);

    Run r = run(array(args(db, "--orderBy=person", "--personBuckets=4")));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertDelivered(expected, server.events());
    assertEquals(expected.size(), server.acceptedEventCount());
    Map<String, List<ReceivedEvent>> byPerson = new HashMap<>();
    for (ReceivedEvent e : server.events()) {
      byPerson.computeIfAbsent(e.distinctId(), d -> new ArrayList<>()).add(e);
    }
    long multiDay = 0;
    for (List<ReceivedEvent> events : byPerson.values()) {
      for (int i = 1; i < events.size(); i++) {
        ReceivedEvent a = events.get(i - 1);
        ReceivedEvent b = events.get(i);
        assertTrue(
            EventOrder.compare(micros(a.timestamp()), a.uuid(), micros(b.timestamp()), b.uuid())
                < 0,
            a + " then " + b);
      }
      if (!events
          .get(0)
          .timestamp()
          .substring(0, 10)
          .equals(events.get(events.size() - 1).timestamp().substring(0, 10))) {
        multiDay++;
      }
    }
    assertTrue(multiDay > 10, "the data has persons active on several days: " + multiDay);
    RunReport report = report(tmp.resolve("checkpoints"));
    assertEquals(
        List.of("person-0000", "person-0001", "person-0002", "person-0003"),
        List.copyOf(report.section(RunReport.GROUPS).keySet()));
  }
}
