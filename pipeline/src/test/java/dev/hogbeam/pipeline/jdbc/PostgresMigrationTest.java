package dev.hogbeam.pipeline.jdbc;

import static dev.hogbeam.pipeline.jdbc.JdbcTestData.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.jdbc.JdbcTestData.Row;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam jdbc} against a real PostgreSQL ({@link LocalPostgres}): three days of rows
 * delivered exactly, field by field, with zoned timestamps, timestamps without zone and epoch
 * milliseconds; NULLs, unicode, JSON properties plus named columns and {@code $set}; name-based
 * uuids that a second run repeats; rows without an event name or distinct_id dead-lettered (exit
 * code 3); a bad column flag refused by name.
 */
class PostgresMigrationTest {
  private static final int ROWS = 60;
  private static LocalPostgres pg;
  private static List<Row> rows;

  @TempDir Path tmp;

  @BeforeAll
  static void startPostgres() throws Exception {
    assumeTrue(
        LocalPostgres.available(),
        "PostgreSQL is not installed (apt-get install -y postgresql; .ci/run installs it)");
    pg = LocalPostgres.start();
    rows = JdbcTestData.rows(ROWS);
    List<Row> all = new ArrayList<>(rows);
    all.addAll(JdbcTestData.outside());
    try (Connection c = pg.connect()) {
      JdbcTestData.loadPostgres(c, all);
    }
  }

  @AfterAll
  static void stopPostgres() {
    if (pg != null) {
      pg.close();
    }
  }

  private List<String> connection() {
    return List.of("--jdbcUrl=" + pg.jdbcUrl(), "--jdbcUser=" + LocalPostgres.USER);
  }

  private Map<String, String> env() {
    return Map.of("POSTHOG_API_KEY", JdbcTestData.KEY, "JDBC_PASSWORD", pg.password());
  }

  private CommandRun run(FakeCaptureServer capture, String dir, List<String> mapping) {
    return JdbcTestData.runCommand(
        env(),
        args(
            connection(),
            mapping,
            List.of(
                "--posthogUrl=" + capture.url(),
                "--batchSize=7",
                "--checkpointDir=" + tmp.resolve(dir),
                "--progressIntervalSeconds=0")));
  }

  @Test
  void zonedTimestampsDeliverEveryRowFieldByFieldAndRefuseEmptyNamesAndIds() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> mapping =
          args(
              JdbcTestData.mapping("ts", "timestamp"),
              List.of("--uuidColumn=event_uuid", "--uuidFrom=id"));
      CommandRun run = run(capture, "ck", mapping);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      assertEquals(
          JdbcTestData.expectedByUuid(rows, false, false),
          JdbcTestData.receivedByUuid(capture.events()));
      assertTrue(
          capture.requests().stream()
              .allMatch(FakeCaptureServer.RequestRecord::historicalMigration));

      List<DeadLetter> letters = JdbcTestData.deadLetters(tmp.resolve("ck/dead-letters"));
      assertEquals(
          Map.of(
              "|user-1", "event name is empty or NULL",
              "Viewed Home|NULL", "distinct_id is empty or NULL",
              "NULL|user-2", "event name is empty or NULL",
              "Viewed Home|", "distinct_id is empty or NULL"),
          JdbcTestData.reasonsByEventAndUser(letters));
      assertTrue(letters.stream().allMatch(d -> d.stage().equals("map")));
      assertTrue(letters.stream().allMatch(d -> d.source().equals("jdbc/2024-06-19")));
    }
  }

  @Test
  void timestampsWithoutZoneAreUtc() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> mapping =
          args(
              JdbcTestData.mapping("ts_local", "timestamp"),
              List.of("--uuidColumn=event_uuid", "--uuidFrom=id"));
      CommandRun run = run(capture, "ck-local", mapping);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      assertEquals(
          JdbcTestData.expectedByUuid(rows, false, false),
          JdbcTestData.receivedByUuid(capture.events()));
    }
  }

  @Test
  void epochMillisecondsAndNameBasedUuidsStableAcrossRuns() throws Exception {
    List<String> mapping =
        args(JdbcTestData.mapping("ts_ms", "milliseconds"), List.of("--uuidFrom=id"));
    Map<String, Map<String, Object>> first;
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      CommandRun run = run(capture, "ck-ms", mapping);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      first = JdbcTestData.receivedByUuid(capture.events());
      assertEquals(JdbcTestData.expectedByUuid(rows, true, true), first);
    }
    // Another run from scratch (another checkpoint directory) sends the very same uuids.
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      CommandRun run = run(capture, "ck-ms-again", mapping);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      assertEquals(first, JdbcTestData.receivedByUuid(capture.events()));
    }
  }

  @Test
  void personOrderSendsEachPersonsEventsInTimeOrder() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> mapping =
          args(
              JdbcTestData.mapping("ts", "timestamp"),
              List.of(
                  "--uuidColumn=event_uuid",
                  "--uuidFrom=id",
                  "--orderBy=person",
                  "--personBuckets=3"));
      CommandRun run = run(capture, "ck-person", mapping);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      Map<String, List<FakeCaptureServer.ReceivedEvent>> byPerson = new java.util.TreeMap<>();
      Map<String, Map<String, Object>> got = new java.util.TreeMap<>();
      for (FakeCaptureServer.ReceivedEvent e : capture.events()) {
        byPerson.computeIfAbsent(e.distinctId(), d -> new ArrayList<>()).add(e);
        assertEquals(null, got.put(e.uuid(), JdbcTestData.received(e)), "once: " + e.uuid());
      }
      assertEquals(JdbcTestData.expectedByUuid(rows, false, false), got);
      byPerson.forEach(
          (person, events) -> {
            List<FakeCaptureServer.ReceivedEvent> sorted = new ArrayList<>(events);
            sorted.sort(
                java.util.Comparator.comparing(
                        (FakeCaptureServer.ReceivedEvent e) ->
                            java.time.Instant.parse(e.timestamp()))
                    .thenComparing(FakeCaptureServer.ReceivedEvent::uuid));
            assertEquals(sorted, events, person + "'s events in time order");
          });
      assertTrue(byPerson.size() > 3, "several persons per bucket: " + byPerson.keySet());
    }
  }

  @Test
  void aQueryAndTheDefaultNameBasedUuid() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> mapping =
          List.of(
              "--query=SELECT event_name AS name, user_id, ts FROM events WHERE id < 1000;",
              "--eventColumn=name",
              "--distinctIdColumn=USER_ID",
              "--timestampColumn=ts",
              "--startDate=2024-06-18",
              "--endDate=2024-06-21");
      CommandRun run = run(capture, "ck-query", mapping);
      assertEquals(ExitCodes.OK, run.exitCode(), run.describe());
      assertEquals(ROWS, capture.acceptedEventCount());
      Map<String, Map<String, Object>> got = JdbcTestData.receivedByUuid(capture.events());
      assertEquals(ROWS, got.size());
      for (Map<String, Object> e : got.values()) {
        assertEquals("{\"$geoip_disable\":true}", e.get("properties").toString(), e.toString());
      }
    }
  }

  @Test
  void aColumnFlagNamingNoColumnIsRefusedByName() {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> mapping =
          args(JdbcTestData.mapping("ts", "timestamp"), List.of("--uuidColumn=no_such"));
      CommandRun run = run(capture, "ck-bad", mapping);
      assertEquals(ExitCodes.USAGE, run.exitCode(), run.describe());
      assertTrue(
          run.err()
              .contains(
                  "--uuidColumn=no_such: no such column in --table=events; its columns"
                      + " are: id, event_name, user_id, ts, ts_local, ts_ms, props, url, email,"
                      + " event_uuid"),
          run.describe());
      CommandRun unit = run(capture, "ck-bad2", JdbcTestData.mapping("ts", "seconds"));
      assertEquals(ExitCodes.USAGE, unit.exitCode(), unit.describe());
      assertTrue(
          unit.err().contains("--timestampUnit=seconds needs a number column"), unit.describe());
      CommandRun table =
          run(capture, "ck-bad3", args(List.of("--table=events; DROP TABLE events")));
      assertEquals(ExitCodes.USAGE, table.exitCode(), table.describe());
      CommandRun inUrl =
          JdbcTestData.runCommand(
              env(),
              args(
                  List.of("--jdbcUrl=" + pg.jdbcUrl() + "?password=" + pg.password()),
                  JdbcTestData.mapping("ts", "timestamp"),
                  List.of("--posthogUrl=" + capture.url())));
      assertEquals(ExitCodes.USAGE, inUrl.exitCode(), inUrl.describe());
      assertTrue(inUrl.err().contains("--jdbcUrl "), inUrl.describe());
      assertFalse(inUrl.err().contains(pg.password()), inUrl.describe());
      assertEquals(0, capture.acceptedEventCount());
    }
  }
}
