package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogPersonsGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The final-state stage at scale: 2,000,000 persons with 3,000,000 distinct ids, the migration in a
 * child JVM with {@code -Xmx512m} ({@code --dryRun}: the writer counts instead of sending, so the
 * figure is the stage's reading and event making, not a capture server's). Opt in with {@code
 * -DfinalStateScale=true}; the time goes to docs/benchmarks.md.
 */
@EnabledIfSystemProperty(named = "finalStateScale", matches = "true")
class FinalStateScaleTest extends ClickHouseHarness {
  static final long PERSONS = 2_000_000;
  static final long DISTINCT_IDS = 3_000_000;

  @Test
  void twoMillionPersonsWithThreeMillionDistinctIdsIn512Megabytes() throws Exception {
    String db = ch.createDatabase("final_state_scale");
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(2)
                .startDay(DAY0)
                .days(3)
                .eventsPerTeamDay(10)
                .seed(3)
                .build());
    PostHogPersonsGenerator.createTables(ch, db);
    String id = "toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(%s), 12, '0')))";
    try (var c = ch.connect(db);
        var s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + db
              + ".person (id, created_at, team_id, properties, is_identified, is_deleted, version,"
              + " _timestamp, _offset) SELECT "
              + String.format(id, "number")
              + ", now64(), 2, concat('{\"email\":\"p', toString(number), '@example.com\",\"plan\":\"pro\"}'),"
              + " 1, 0, 1, now(), 0 FROM numbers("
              + PERSONS
              + ")");
      s.execute(
          "INSERT INTO "
              + db
              + ".person_distinct_id2 (team_id, distinct_id, person_id, is_deleted, version,"
              + " _timestamp, _offset, _partition) SELECT 2, concat('d', toString(number)), "
              + String.format(id, "number % " + PERSONS)
              + ", 0, 1, now(), 0, 0 FROM numbers("
              + DISTINCT_IDS
              + ")");
    }
    server = FakeCaptureServer.start();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(ClickHouseMigration.class.getName());
    command.addAll(args(db, "--dryRun", "--persons=all", "--groups=none"));
    Path log = tmp.resolve("scale.log");
    long started = System.nanoTime();
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.MINUTES), "finished");
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    String output = Files.readString(log);
    System.out.println(output);
    System.out.printf(
        "final-state scale: %,d persons, %,d distinct ids, -Xmx512m: %d s (whole command)%n",
        PERSONS, DISTINCT_IDS, seconds);
    assertEquals(0, p.exitValue(), output);
    assertTrue(
        output.contains("final state: 2,000,000 person(s) with 1,000,000 link(s)")
            || output.contains("final state: 2000000 person(s) with 1000000 link(s)"),
        output);
  }
}
