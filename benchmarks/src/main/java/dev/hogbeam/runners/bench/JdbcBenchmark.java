package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code hogbeam jdbc} from a real PostgreSQL ({@link LocalPostgres}) against the I/O floor of the
 * same table, in the same run.
 *
 * <ol>
 *   <li>A table of {@code --events} rows (default 1,000,000) over {@code --days} UTC days (5): a
 *       uuid, event name, distinct_id, {@code timestamptz} (indexed) and ~550 bytes of {@code
 *       jsonb} properties, made by {@code generate_series}.
 *   <li><b>Floor</b>: one {@code COPY (SELECT the mapped columns of the range) TO STDOUT} through
 *       {@code psql}, piped through {@code gzip -3} (the writer's level); also the COPY alone.
 *   <li><b>hogbeam</b>: {@code java -jar runners/target/hogbeam.jar jdbc} (the launcher's default
 *       runner unless {@code --runner=direct}) to a counting local capture endpoint; wall time of
 *       the whole command, events/s, wall / floor, peak RSS, CPU seconds. The run must send every
 *       row.
 * </ol>
 *
 * Args: {@code [--events=N] [--days=D] [--heap=1g] [--runners=flink,direct]}.
 */
public final class JdbcBenchmark {
  private static final String API_KEY = "phc_hogbeam_bench";

  private JdbcBenchmark() {}

  public static void main(String[] args) throws Exception {
    long events = 1_000_000;
    int days = 5;
    String heap = "1g";
    List<String> runners = List.of("flink");
    for (String a : args) {
      if (a.startsWith("--events=")) {
        events = Long.parseLong(a.substring(9).replace("_", ""));
      } else if (a.startsWith("--days=")) {
        days = Integer.parseInt(a.substring(7));
      } else if (a.startsWith("--heap=")) {
        heap = a.substring(7);
      } else if (a.startsWith("--runners=")) {
        runners = List.of(a.substring(10).split(","));
      } else {
        throw new IllegalArgumentException("unknown argument " + a);
      }
    }
    Path jar = Path.of("runners/target/hogbeam.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("build the jar first: " + jar + " (runners/bench/jdbc.sh)");
    }
    Path runs = Path.of("runners/target/bench/jdbc-runs");
    Files.createDirectories(runs);
    String start = "2024-06-01";
    String end = java.time.LocalDate.parse(start).plusDays(days).toString();
    try (LocalPostgres pg = LocalPostgres.start();
        FakeCaptureServer capture = FakeCaptureServer.builder().countingOnly(true).start()) {
      long t0 = System.nanoTime();
      load(pg, events, days, start);
      System.out.printf(
          Locale.ROOT,
          "PostgreSQL: %,d rows over %d days loaded in %.1f s%n",
          events,
          days,
          (System.nanoTime() - t0) / 1e9);

      String select =
          "SELECT event_uuid, event, user_id, ts, props FROM events WHERE ts >= '"
              + start
              + " 00:00:00+00' AND ts < '"
              + end
              + " 00:00:00+00'";
      String psql =
          pg.binDirectory().resolve("psql")
              + " -X -q -h 127.0.0.1 -p "
              + pg.port()
              + " -U "
              + LocalPostgres.USER
              + " -d postgres -c \"COPY ("
              + select
              + ") TO STDOUT\"";
      double copy = timed(pg, psql + " | wc -c");
      double floor = timed(pg, psql + " | gzip -3 | wc -c");
      System.out.printf(
          Locale.ROOT,
          "floor: COPY ... TO STDOUT %.1f s (%,.0f rows/s); COPY | gzip -3 %.1f s (%,.0f rows/s)%n",
          copy,
          events / copy,
          floor,
          events / floor);

      for (String runner : runners) {
        Path dir = runs.resolve(runner + "-" + events + "-" + Instant.now().toEpochMilli());
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        cmd.add("jdbc");
        cmd.add("--jdbcUrl=" + pg.jdbcUrl());
        cmd.add("--jdbcUser=" + LocalPostgres.USER);
        cmd.add(
            "--jdbcPasswordFile="
                + Files.writeString(dir.resolve("pg.pw"), pg.password(), UTF_8).toAbsolutePath());
        cmd.add(
            "--posthogApiKeyFile="
                + Files.writeString(dir.resolve("posthog.key"), API_KEY, UTF_8).toAbsolutePath());
        cmd.add("--table=events");
        cmd.add("--eventColumn=event");
        cmd.add("--distinctIdColumn=user_id");
        cmd.add("--timestampColumn=ts");
        cmd.add("--propertiesColumn=props");
        cmd.add("--uuidColumn=event_uuid");
        cmd.add("--startDate=" + start);
        cmd.add("--endDate=" + end);
        cmd.add("--posthogUrl=" + capture.url());
        cmd.add("--checkpointDir=" + dir.resolve("checkpoints").toAbsolutePath());
        if (runner.equals("direct")) {
          cmd.add("--runner=DirectRunner");
        }
        capture.reset();
        ChildProcess.Result p =
            ChildProcess.run(
                cmd,
                Map.of(),
                dir.resolve("output.txt"),
                line -> line.startsWith("source: "),
                line -> line.startsWith("hogbeam jdbc: finished in"));
        if (p.exitCode() != 0) {
          throw new IllegalStateException(
              runner + " run exited with " + p.exitCode() + "; see " + p.log());
        }
        RunReport report =
            RunReport.fromJson(Files.readString(dir.resolve("checkpoints/report.json"), UTF_8));
        long sent = report.total("groups", "sent");
        if (sent != events || capture.acceptedEventCount() != events) {
          throw new IllegalStateException(
              runner
                  + ": sent "
                  + sent
                  + ", capture accepted "
                  + capture.acceptedEventCount()
                  + " of "
                  + events);
        }
        System.out.printf(
            Locale.ROOT,
            "hogbeam jdbc (%s, -Xmx%s): %,d events in %.1f s wall = %,.0f events/s; %.1fx the floor;"
                + " peak RSS %.2f GB; CPU %.1f s; log %s%n",
            runner,
            heap,
            events,
            p.wallSeconds(),
            events / p.wallSeconds(),
            p.wallSeconds() / floor,
            p.peakRssBytes() / 1e9,
            p.cpuSeconds(),
            p.log());
      }
    }
  }

  private static void load(LocalPostgres pg, long events, int days, String start) throws Exception {
    double stepMicros = days * 86_400e6 / events;
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE events (id bigint, event text, user_id text, ts timestamptz, props jsonb,"
              + " event_uuid uuid)");
      s.execute(
          String.format(
              Locale.ROOT,
              "INSERT INTO events SELECT i,"
                  + " (ARRAY['$pageview','$autocapture','signed_up','purchase'])[1 + i %% 4],"
                  + " 'user-' || (i %% 50000),"
                  + " timestamptz '%s 00:00:00+00' + (i * %.6f) * interval '1 microsecond',"
                  + " jsonb_build_object('$current_url', 'https://example.com/products/' || (i %%"
                  + " 5000) || '?ref=newsletter&utm_source=email&utm_campaign=summer',"
                  + " '$browser', 'Chrome', '$browser_version', 124, '$os', 'Mac OS X',"
                  + " '$device_type', 'Desktop', '$screen_height', 1080, '$screen_width', 1920,"
                  + " '$lib', 'web', '$lib_version', '1.130.0', '$referrer',"
                  + " 'https://www.google.com/', '$session_id', md5(i::text), 'plan', 'pro', 'n',"
                  + " i, 'title', 'Product page ' || (i %% 5000) || ' – ünïcode ✓', 'cart',"
                  + " jsonb_build_array(i %% 7, i %% 11, i %% 13)),"
                  + " md5('e' || i)::uuid FROM generate_series(0, %d) AS i",
              start,
              stepMicros,
              events - 1));
      s.execute("CREATE INDEX ON events (ts)");
      s.execute("ANALYZE events");
    }
  }

  /** Seconds {@code bash -c command} takes, with the database password in the environment. */
  private static double timed(LocalPostgres pg, String command)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", "set -o pipefail; " + command).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", pg.password());
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8).strip();
    int code = p.waitFor();
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (code != 0) {
      throw new IllegalStateException("exit " + code + " from " + command + ":\n" + out);
    }
    System.out.printf(Locale.ROOT, "  %s -> %s bytes%n", command.replaceAll(".*\\| ", "| "), out);
    return seconds;
  }
}
