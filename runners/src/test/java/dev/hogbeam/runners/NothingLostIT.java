package dev.hogbeam.runners;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * "Nothing lost" across a {@code kill -9}, through the product jar: rows refused at the map stage
 * (empty event name, empty distinct_id) and events refused by PostHog (400), on every day; the
 * process killed after at least one day's group finished; the same command again; then {@code
 * --retryDeadLetters} once the causes are fixed. On embedded Flink and on the DirectRunner.
 */
class NothingLostIT {
  private static final String KEY = "phc_nothing_lost_it";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final LocalDate DAY0 = LocalDate.of(2024, 5, 1);
  private static final int DAYS = 4;
  private static final Duration TIMEOUT = Duration.ofMinutes(4);

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"FlinkRunner", "DirectRunner"})
  void killedThenResumedThenRetriedDeliversEveryEventAndKeepsEveryDeadLetter(String runner)
      throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("nothing_lost_" + runner.toLowerCase());
    PostHogDataGenerator table = PostHogDataGenerator.createEvents(ch, db, Layout.GEN3);
    table.generate(
        PostHogDataGenerator.spec()
            .teams(2)
            .startDay(DAY0)
            .days(DAYS)
            .eventsPerTeamDay(300)
            .duplicateFraction(0)
            .seed(5)
            .build());
    // Two rows per day the mapping refuses.
    Map<String, String> badRows = new TreeMap<>();
    List<EventRow> bad = new ArrayList<>();
    for (int d = 0; d < DAYS; d++) {
      Instant t =
          DAY0.plusDays(d).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().plusSeconds(3600);
      String noEvent = String.format("0190a000-0000-7000-8000-%012d", d * 2);
      String noDistinct = String.format("0190a000-0000-7000-8000-%012d", d * 2 + 1);
      bad.add(row(noEvent, t, "", "user-" + d));
      bad.add(row(noDistinct, t.plusMillis(1), "$pageview", ""));
      badRows.put(noEvent, "event");
      badRows.put(noDistinct, "distinct_id");
    }
    table.insert(bad);
    Map<String, String> dayOfValid = validEvents(ch, db);
    // One event per day PostHog refuses with 400, until the cause is fixed.
    Map<String, String> firstOfDay = new TreeMap<>();
    dayOfValid.forEach((uuid, day) -> firstOfDay.putIfAbsent(day, uuid));
    Set<String> refusedByPostHog = new TreeSet<>(firstOfDay.values());
    AtomicReference<Set<String>> refusing = new AtomicReference<>(refusedByPostHog);
    Path checkpoints = tmp.resolve("checkpoints");

    try (FakeCaptureServer server =
        FakeCaptureServer.builder()
            .eventRule(
                e ->
                    refusing.get().contains(e.path("uuid").asText()) ? "refused by the test" : null)
            .faultPlan(FaultPlan.always(Fault.acceptThenDelay(Duration.ofMillis(120))))
            .start()) {
      List<String> args = args(runner, ch, db, server, checkpoints);

      // 1. Killed (SIGKILL) once a day's group is done and another is not.
      int finishedBeforeKill = killWhenOneGroupIsDone(args, checkpoints);
      server.setFaultPlan(FaultPlan.none());

      // 2. The same command again.
      JarProcess.Result second = JarProcess.hogbeam(TIMEOUT, Map.of(), args);
      assertEquals(3, second.exitCode(), "dead letters exist: " + second.describe());
      Set<String> valid = new TreeSet<>(dayOfValid.keySet());
      valid.removeAll(refusedByPostHog);
      assertEquals(valid, uuids(server.events()), "every valid event arrives");
      Map<String, JsonNode> dead = deadLetters(checkpoints.resolve("dead-letters"));
      Set<String> expectedDead = new TreeSet<>(badRows.keySet());
      expectedDead.addAll(refusedByPostHog);
      assertEquals(expectedDead, dead.keySet(), "every refused row is on record");
      for (String uuid : badRows.keySet()) {
        assertEquals("map", dead.get(uuid).path("stage").asText());
        assertTrue(
            dead.get(uuid).path("reason").asText().contains(badRows.get(uuid)),
            dead.get(uuid).toString());
      }
      for (String uuid : refusedByPostHog) {
        assertEquals("capture", dead.get(uuid).path("stage").asText());
        assertEquals(400, dead.get(uuid).path("status").asInt());
      }
      JsonNode account = JSON.readTree(Files.readString(checkpoints.resolve("report.json")));
      assertEquals(
          expectedDead.size(),
          account.path("migration").path("entries").path("deadLetters").path("records").asLong(),
          account.toString());
      long earlier =
          account
              .path("migration")
              .path("entries")
              .path("deadLetters")
              .path("fromEarlierRuns")
              .asLong();
      assertTrue(
          earlier >= 3L * finishedBeforeKill && earlier <= expectedDead.size(),
          "a finished day's three dead letters are the killed run's: " + account);

      // 3. The causes fixed: PostHog accepts everything, the bad rows corrected in the record.
      refusing.set(Set.of());
      fixPayloads(checkpoints.resolve("dead-letters"));
      server.reset();
      List<String> retry = new ArrayList<>(args);
      retry.add("--retryDeadLetters");
      JarProcess.Result third = JarProcess.hogbeam(TIMEOUT, Map.of(), retry);
      assertEquals(0, third.exitCode(), third.describe());
      assertEquals(expectedDead, uuids(server.events()), "exactly the dead letters re-sent");
      for (ReceivedEvent e : server.events()) {
        if (badRows.containsKey(e.uuid())) {
          assertTrue(
              e.json().path("event").asText().equals("fixed_event")
                  || e.json().path("distinct_id").asText().equals("fixed-user"),
              e.jsonText());
        }
      }
      assertEquals(Map.of(), deadLetters(checkpoints.resolve("dead-letters")), "record emptied");
      assertTrue(third.stdout().contains("delivered and taken off the record"), third.stdout());
    }
  }

  private static EventRow row(String uuid, Instant t, String event, String distinctId) {
    return EventRow.builder()
        .uuid(uuid)
        .teamId(2)
        .timestamp(t)
        .event(event)
        .distinctId(distinctId)
        .properties("{}")
        .build();
  }

  /** uuid -> UTC day of every row the mapping accepts. */
  private static Map<String, String> validEvents(LocalClickHouse ch, String db) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = ch.connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT toString(uuid), toString(toDate(timestamp)) FROM "
                    + db
                    + ".events WHERE team_id = 2 AND event != '' AND distinct_id != ''"
                    + " ORDER BY timestamp, uuid")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  private static List<String> args(
      String runner, LocalClickHouse ch, String db, FakeCaptureServer server, Path checkpoints) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "clickhouse",
                "--runner=" + runner,
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=" + ch.user(),
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=" + DAY0,
                "--endDate=" + DAY0.plusDays(DAYS),
                "--posthogUrl=" + server.url(),
                "--posthogApiKey=" + KEY,
                "--batchSize=40",
                "--progressIntervalSeconds=0",
                "--checkpointDir=" + checkpoints));
    if (runner.equals("DirectRunner")) {
      a.add("--targetParallelism=1");
    } else {
      a.add("--parallelism=1");
    }
    if (!ch.password().isEmpty()) {
      a.add("--clickhousePassword=" + ch.password());
    }
    return a;
  }

  private static int killWhenOneGroupIsDone(List<String> args, Path checkpoints) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JarProcess.jar().toString());
    command.addAll(args);
    Path log = Files.createTempFile("nothing-lost-", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    int done = 0;
    while (System.nanoTime() < deadline) {
      assertTrue(p.isAlive(), () -> "the run ended before it was killed:\n" + read(log));
      done = groupsDone(checkpoints);
      if (done >= 1) {
        break;
      }
      Thread.sleep(10);
    }
    p.destroyForcibly().waitFor(); // SIGKILL
    int after = groupsDone(checkpoints);
    assertTrue(done >= 1 && after < DAYS, "killed after " + after + " of " + DAYS + " days");
    return after;
  }

  private static int groupsDone(Path checkpoints) throws Exception {
    Path groups = checkpoints.resolve("groups");
    if (!Files.isDirectory(groups)) {
      return 0;
    }
    int done = 0;
    try (Stream<Path> files = Files.list(groups)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".json")) {
          try {
            done += JSON.readTree(Files.readString(f)).path("done").asBoolean() ? 1 : 0;
          } catch (java.io.IOException e) {
            // being replaced right now
          }
        }
      }
    }
    return done;
  }

  /** uuid -> dead letter (as JSON) of every record in the directory. */
  private static Map<String, JsonNode> deadLetters(Path dir) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.getFileName().toString().endsWith(".jsonl")) {
          continue;
        }
        for (String line : Files.readAllLines(f, UTF_8)) {
          if (!line.isBlank()) {
            JsonNode n = JSON.readTree(line);
            out.put(n.path("uuid").asText(), n);
          }
        }
      }
    }
    return out;
  }

  /** What a user does to a refused row: corrects it in the dead-letter file. */
  private static void fixPayloads(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.getFileName().toString().endsWith(".jsonl")) {
          continue;
        }
        StringBuilder fixed = new StringBuilder();
        for (String line : Files.readAllLines(f, UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          ObjectNode n = (ObjectNode) JSON.readTree(line);
          if (n.path("stage").asText().equals("map")) {
            ObjectNode row = (ObjectNode) JSON.readTree(n.path("payload").asText());
            if (row.path("event").asText().isEmpty()) {
              row.put("event", "fixed_event");
            }
            if (row.path("distinct_id").asText().isEmpty()) {
              row.put("distinct_id", "fixed-user");
            }
            n.put("payload", row.toString());
          }
          fixed.append(n).append('\n');
        }
        Files.writeString(f, fixed.toString(), UTF_8);
      }
    }
  }

  private static Set<String> uuids(List<ReceivedEvent> events) {
    Map<String, Integer> seen = new HashMap<>();
    events.forEach(e -> seen.merge(e.uuid(), 1, Integer::sum));
    return new TreeSet<>(seen.keySet());
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
