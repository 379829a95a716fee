package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogPersonsGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final-state stage (persons and their distinct ids) at scale: N persons, each with one
 * distinct id and every second one with two more ids than that ({@code --persons=2000000
 * --distinctIds=3000000} gives 1,000,000 persons with two ids), migrated by the bundled jar's
 * {@code clickhouse} command in a child JVM with a fixed heap ({@code --heap=512m}) on the
 * launcher's default runner, to a counting capture endpoint. Prints wall time, the stage's time
 * (from the event migration's summary line to the stage's), heap and RSS, and checks the stage's
 * account: every person's {@code $set} and every extra id's link sent.
 *
 * <p>Args: {@code --persons=2000000 --distinctIds=3000000 --heap=512m
 * --dataDir=runners/target/bench-final-state [--runner=flink|direct] [--jar=another bundled jar,
 * e.g. an older build] [hogbeam clickhouse flags]}.
 */
public final class FinalStateBenchmark {
  private static final long TEAM = 2;
  private static final LocalDate FIRST_DAY = LocalDate.of(2024, 3, 1);
  private static final Pattern SUMMARY =
      Pattern.compile("final state: ([\\d,]+) person\\(s\\) with ([\\d,]+) link\\(s\\)");

  private FinalStateBenchmark() {}

  public static void main(String[] args) throws Exception {
    long persons = 2_000_000;
    long ids = 3_000_000;
    String heap = "512m";
    String runner = "flink";
    Path dataDir = Path.of("runners/target/bench-final-state");
    List<Path> jars = new ArrayList<>();
    List<String> pass = new ArrayList<>();
    for (String a : args) {
      String v = a.substring(a.indexOf('=') + 1);
      if (a.startsWith("--persons=")) {
        persons = Long.parseLong(v);
      } else if (a.startsWith("--distinctIds=")) {
        ids = Long.parseLong(v);
      } else if (a.startsWith("--heap=")) {
        heap = v;
      } else if (a.startsWith("--runner=")) {
        runner = v;
      } else if (a.startsWith("--jar=")) {
        jars.add(Path.of(v));
      } else if (a.startsWith("--dataDir=")) {
        dataDir = Path.of(v);
      } else {
        pass.add(a);
      }
    }
    if (ids < persons || ids > 2 * persons) {
      throw new IllegalArgumentException(
          "--distinctIds must be between --persons and twice --persons");
    }
    if (jars.isEmpty()) {
      jars.add(Path.of("runners/target/hogbeam.jar"));
    }
    for (Path jar : jars) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            "no bundled jar at " + jar + " (mvn -q -DskipTests package)");
      }
    }
    try (LocalClickHouse ch =
            LocalClickHouse.builder().dataDirectory(dataDir.resolve("clickhouse")).startLocal();
        FakeCaptureServer capture = FakeCaptureServer.builder().countingOnly(true).start()) {
      String db = String.format(Locale.ROOT, "hogbeam_bench_persons_%d_%d", persons, ids);
      ensure(ch, db, persons, ids);
      long frontEnd = MigrationBenchmark.frontEndPid();
      for (Path jar : jars) {
        capture.reset();
        run(ch, capture, frontEnd, db, jar, runner, heap, dataDir, persons, ids, pass);
      }
    }
  }

  private static void run(
      LocalClickHouse ch,
      FakeCaptureServer capture,
      long frontEnd,
      String db,
      Path jar,
      String runner,
      String heap,
      Path dataDir,
      long persons,
      long ids,
      List<String> pass)
      throws Exception {
    Path dir =
        Files.createDirectories(
            dataDir.resolve(
                "runs/" + runner + "-" + LocalDate.now() + "-" + System.currentTimeMillis()));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-Xlog:gc:file=" + dir.resolve("gc.log"));
    cmd.add("-XX:+HeapDumpOnOutOfMemoryError");
    cmd.add("-XX:HeapDumpPath=" + dir.toAbsolutePath());
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    cmd.add("clickhouse");
    cmd.add("--clickhouseUrl=" + ch.jdbcUrl());
    cmd.add("--clickhouseUser=" + ch.user());
    cmd.add("--clickhouseDatabase=" + db);
    cmd.add("--teamId=" + TEAM);
    cmd.add("--startDate=" + FIRST_DAY);
    cmd.add("--endDate=" + FIRST_DAY.plusDays(3));
    cmd.add("--posthogUrl=" + capture.url());
    cmd.add(
        "--posthogApiKeyFile="
            + Files.writeString(dir.resolve("posthog.key"), "phc_bench", UTF_8).toAbsolutePath());
    cmd.add("--checkpointDir=" + dir.resolve("checkpoints").toAbsolutePath());
    cmd.add("--runner=" + (runner.equals("direct") ? "DirectRunner" : "FlinkRunner"));
    cmd.add("--persons=all");
    cmd.add("--groups=none");
    cmd.addAll(pass);
    Files.writeString(dir.resolve("command.txt"), String.join(" ", cmd) + "\n", UTF_8);
    double clickHouse0 = ChildProcess.cpuSeconds(frontEnd);
    ChildProcess.Result p =
        ChildProcess.run(
            cmd,
            Map.of(),
            dir.resolve("output.txt"),
            line -> line.contains("final state of team"),
            line -> line.startsWith("final state:"));
    double clickHouseCpu = ChildProcess.cpuSeconds(frontEnd) - clickHouse0;
    GcLog gc = GcLog.read(dir.resolve("gc.log"));
    String output = Files.readString(p.log(), UTF_8);
    Matcher m = SUMMARY.matcher(output);
    long links = ids - persons;
    long expected = persons + links;
    System.out.printf(
        Locale.ROOT,
        "%s: final state, %,d persons / %,d distinct ids, %s, -Xmx%s: exit %d, %.1f s wall;"
            + " heap peak %d MiB, most kept after a GC %d MiB (%d GCs); peak RSS %d MiB;"
            + " CPU %.1f s, ClickHouse CPU %.1f s; capture endpoint accepted %,d events"
            + " (expected at least %,d)%n",
        jar,
        persons,
        ids,
        runner,
        heap,
        p.exitCode(),
        p.wallSeconds(),
        gc.peakUsedBytes() >> 20,
        gc.maxAfterGcBytes() >> 20,
        gc.collections(),
        p.peakRssBytes() >> 20,
        p.cpuSeconds(),
        clickHouseCpu,
        capture.acceptedEventCount(),
        expected);
    if (p.exitCode() != 0 || !m.find()) {
      throw new IllegalStateException("the run failed or printed no final-state line: " + dir);
    }
    long sentPersons = Long.parseLong(m.group(1).replace(",", ""));
    long sentLinks = Long.parseLong(m.group(2).replace(",", ""));
    if (sentPersons != persons || sentLinks != links) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the stage sent %d persons and %d links; expected %d and %d (see %s)",
              sentPersons,
              sentLinks,
              persons,
              links,
              dir));
    }
    System.out.printf(
        Locale.ROOT,
        "%s; the stage itself (plan line to summary line): %.1f s%n",
        m.group(),
        p.markToEndSeconds());
  }

  /**
   * The events of three days (a few per day) and the person tables: person {@code i} has id {@code
   * 00000000-0000-4000-8000-<i>}, distinct id {@code d<i>}, and for {@code i < ids - persons} also
   * {@code d<persons + i>}. Kept in the engine's data directory and reused when complete.
   */
  private static void ensure(LocalClickHouse ch, String db, long persons, long ids)
      throws Exception {
    try (Connection c = ch.connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT count() FROM system.tables WHERE database = '"
                  + db
                  + "' AND name = 'generated'")) {
        rs.next();
        if (rs.getLong(1) == 1) {
          return;
        }
      }
      s.execute("DROP DATABASE IF EXISTS " + db);
      s.execute("CREATE DATABASE " + db);
    }
    long t0 = System.nanoTime();
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(TEAM)
                .startDay(FIRST_DAY)
                .days(3)
                .eventsPerTeamDay(10)
                .seed(3)
                .build());
    PostHogPersonsGenerator.createTables(ch, db);
    String id = "toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(%s), 12, '0')))";
    ch.execute(
        "INSERT INTO "
            + db
            + ".person (id, created_at, team_id, properties, is_identified, is_deleted, version,"
            + " _timestamp, _offset) SELECT "
            + String.format(id, "number")
            + ", now64(), "
            + TEAM
            + ", concat('{\"email\":\"p', toString(number), '@example.com\",\"plan\":\"pro\"}'),"
            + " 1, 0, 1, now(), 0 FROM numbers("
            + persons
            + ")");
    ch.execute(
        "INSERT INTO "
            + db
            + ".person_distinct_id2 (team_id, distinct_id, person_id, is_deleted, version,"
            + " _timestamp, _offset, _partition) SELECT "
            + TEAM
            + ", concat('d', toString(number)), "
            + String.format(id, "number % " + persons)
            + ", 0, 1, now(), 0, 0 FROM numbers("
            + ids
            + ")");
    ch.execute("CREATE TABLE " + db + ".generated (millis UInt64) ENGINE = MergeTree ORDER BY ()");
    ch.execute(
        "INSERT INTO " + db + ".generated VALUES (" + (System.nanoTime() - t0) / 1_000_000 + ")");
    System.out.printf(
        Locale.ROOT,
        "generated %,d persons with %,d distinct ids in %s in %.1f s%n",
        persons,
        ids,
        db,
        (System.nanoTime() - t0) / 1e9);
  }
}
