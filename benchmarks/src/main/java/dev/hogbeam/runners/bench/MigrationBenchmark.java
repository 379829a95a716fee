package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.management.OperatingSystemMXBean;
import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalClickHouse;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code runners/bench/migration.sh}: the real {@code hogbeam clickhouse} migration, end to end on
 * this machine, next to its I/O floor measured in the same run.
 *
 * <p>For each size: a PostHog events table of that many events (generated once in the local
 * ClickHouse engine and kept under {@code --dataDir}), then the {@link Floor} (one streaming fetch
 * of the same rows through the same driver and front end, plus one gzip of the same JSON), then for
 * each runner the bundled jar's {@code clickhouse} command in a child JVM of its own (fixed {@code
 * -Xmx}, GC log, CPU profile) sending to a local capture endpoint that only counts. Every run is
 * checked: exit code 0, exactly the expected events accepted, report consistent.
 *
 * <p>Printed per run: events/s, wall time / floor, ClickHouse rows read per row returned (from the
 * run's report.json), heap (peak, and most kept after a GC) and peak RSS of the pipeline process,
 * CPU seconds of the three processes (pipeline, ClickHouse front end, capture endpoint), and the
 * pipeline's CPU split by stage (async-profiler samples attributed by {@link StageProfile}).
 */
public final class MigrationBenchmark {
  static final String API_KEY = "phc_hogbeam_bench";

  private MigrationBenchmark() {}

  /** The benchmark's own flags; anything else is passed to {@code hogbeam clickhouse}. */
  static final class Settings {
    List<Long> sizes = List.of(1_000_000L, 5_000_000L);
    List<String> runners = List.of("flink", "direct");
    String heap = "1g";
    int days = 5;
    int propertyBytes = 700;
    int personPropertyBytes = 0;
    boolean compareColumns = false;
    double duplicateFraction = 0.01;
    long seed = 42;
    Path dataDir = Path.of("runners/target/bench");
    Path jar = Path.of("runners/target/hogbeam.jar");
    Optional<Path> profiler = Optional.empty();
    boolean floor = true;
    List<String> jvmFlags = new ArrayList<>();
    List<String> pass = new ArrayList<>();

    static Settings parse(String[] args) {
      Settings s = new Settings();
      for (String a : args) {
        String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : "";
        if (a.startsWith("--events=")) {
          List<Long> sizes = new ArrayList<>();
          for (String n : v.split(",")) {
            sizes.add(Long.parseLong(n.trim().replace("_", "")));
          }
          s.sizes = sizes;
        } else if (a.startsWith("--runners=")) {
          s.runners = List.of(v.split(","));
        } else if (a.startsWith("--heap=")) {
          s.heap = v;
        } else if (a.startsWith("--days=")) {
          s.days = Integer.parseInt(v);
        } else if (a.startsWith("--propertyBytes=")) {
          s.propertyBytes = Integer.parseInt(v);
        } else if (a.startsWith("--personPropertyBytes=")) {
          s.personPropertyBytes = Integer.parseInt(v);
        } else if (a.equals("--compareColumns")) {
          s.compareColumns = true;
        } else if (a.startsWith("--dataDir=")) {
          s.dataDir = Path.of(v);
        } else if (a.startsWith("--jar=")) {
          s.jar = Path.of(v);
        } else if (a.startsWith("--profiler=")) {
          s.profiler = v.isEmpty() ? Optional.empty() : Optional.of(Path.of(v));
        } else if (a.equals("--noFloor")) {
          s.floor = false;
        } else if (a.startsWith("--jvm=")) {
          s.jvmFlags.add(v);
        } else if (a.startsWith("--")) {
          s.pass.add(a);
        } else {
          throw new IllegalArgumentException("unknown argument " + a);
        }
      }
      for (String r : s.runners) {
        String base = baseRunner(r);
        if (!base.equals("flink") && !base.equals("direct") && !base.startsWith("cluster")) {
          throw new IllegalArgumentException(
              "--runners takes flink, direct and cluster[:host:port], each optionally followed by"
                  + " +flag=value for that run only, but was "
                  + r);
        }
      }
      return s;
    }

    /**
     * The page size the pipeline runs with: {@code --fetchLimit} if passed on, else its default.
     */
    int fetchLimit() {
      int limit = ClickHouseEventsIO.DEFAULT_FETCH_SIZE;
      for (String a : pass) {
        if (a.startsWith("--fetchLimit=")) {
          limit = Integer.parseInt(a.substring("--fetchLimit=".length()));
        }
      }
      return limit;
    }
  }

  /**
   * {@code flink+fetchLimit=500000} is the runner {@code flink}, run with {@code
   * --fetchLimit=500000}.
   */
  static String baseRunner(String spec) {
    int plus = spec.indexOf('+');
    return plus < 0 ? spec : spec.substring(0, plus);
  }

  /**
   * The parts of a runner spec after the runner: {@code +flag=value} (a hogbeam flag), {@code
   * +jar:PATH} (another bundled jar), {@code +url:NAME=VALUE} (a parameter added to the ClickHouse
   * URL) or, last, {@code +jvm:FLAG} (a flag of the pipeline JVM), by kind.
   */
  static List<String> specParts(String spec, String kind) {
    List<String> out = new ArrayList<>();
    // "+jvm:" takes the rest of the spec, so that JVM flags may contain '+' (-XX:+UseParallelGC).
    int jvm = spec.indexOf("+jvm:");
    String[] parts = (jvm < 0 ? spec : spec.substring(0, jvm)).split("\\+");
    if (jvm >= 0 && kind.equals("jvm")) {
      out.add(spec.substring(jvm + 5));
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.startsWith("jvm:") || p.startsWith("jar:") || p.startsWith("url:")) {
        if (p.startsWith(kind + ":")) {
          out.add(p.substring(4));
        }
      } else if (kind.equals("flag")) {
        out.add("--" + p);
      }
    }
    return out;
  }

  /** One pipeline run's figures. */
  record Run(
      String runner,
      long events,
      ChildProcess.Result process,
      RunReport report,
      GcLog gc,
      Optional<StageProfile> profile,
      double clickHouseCpu,
      double captureCpu,
      Floor.Result floor,
      ExactRead.Result exact) {

    double eventsPerSecond() {
      return events / process.wallSeconds();
    }

    /**
     * ClickHouse rows read per row returned: from the report when the run knew it exactly (a run
     * with wait_end_of_query=1), else from the exact pass of this size (the same reader, queries
     * and page size); NaN when neither.
     */
    double rowsReadPerRow() {
      long scanned = report.total("shards", "sourceRowsScanned");
      if (scanned >= 0) {
        return (double) scanned / report.total("shards", "rowsRead");
      }
      return exact == null ? Double.NaN : exact.rowsReadPerRow();
    }

    String rowsReadSource() {
      return report.total("shards", "sourceRowsScanned") >= 0
          ? "the run's report"
          : exact == null ? "not known" : "the exact pass";
    }
  }

  public static void main(String[] args) throws Exception {
    Settings s = Settings.parse(args);
    Files.createDirectories(s.dataDir);
    Path runs = s.dataDir.resolve("runs");
    Files.createDirectories(runs);
    if (!Files.isRegularFile(s.jar)) {
      throw new IllegalArgumentException(
          "no bundled jar at " + s.jar + " (mvn -q -DskipTests package)");
    }
    System.out.printf(
        Locale.ROOT,
        "hogbeam migration benchmark, %s: %d cores, pipeline heap -Xmx%s, %d days, properties >= %d"
            + " bytes, person properties >= %d bytes, %.0f%% unmerged copies; sizes %s; runners %s;"
            + " hogbeam flags %s%n",
        LocalDate.now(),
        Runtime.getRuntime().availableProcessors(),
        s.heap,
        s.days,
        s.propertyBytes,
        s.personPropertyBytes,
        s.duplicateFraction * 100,
        s.sizes,
        s.runners,
        s.pass);
    List<Run> results = new ArrayList<>();
    int failures = 0;
    try (LocalClickHouse ch =
            LocalClickHouse.builder().dataDirectory(s.dataDir.resolve("clickhouse")).startLocal();
        FakeCaptureServer capture = FakeCaptureServer.builder().countingOnly(true).start()) {
      long frontEnd = frontEndPid();
      for (long n : s.sizes) {
        BenchData data =
            BenchData.ensure(
                ch,
                n,
                new BenchData.Shape(
                    s.days, s.propertyBytes, s.personPropertyBytes, s.duplicateFraction, s.seed));
        System.out.printf(
            Locale.ROOT,
            "%n== %,d events (%,d rows with the copies) in %s.events, team %d, [%s, %s); generated in %.1f s%n",
            data.events(),
            data.rows(),
            data.database(),
            data.teamId(),
            data.startDate(),
            data.endDate(),
            data.generated().toMillis() / 1000.0);
        Floor.Result floor = null;
        if (s.floor) {
          floor = Floor.measure(ch, data);
          System.out.printf(
              Locale.ROOT,
              "floor: fetch %,d rows %.2f s (%,.0f rows/s) + gzip %,d MB of JSON to %,d MB %.2f s = %.2f s"
                  + " (mapping to JSON, not counted: %.2f s)%n",
              floor.rows(),
              floor.fetchSeconds(),
              floor.rows() / floor.fetchSeconds(),
              floor.jsonBytes() >> 20,
              floor.gzipBytes() >> 20,
              floor.gzipSeconds(),
              floor.seconds(),
              floor.untimedSeconds());
        }
        ExactRead.Result exact = exactPass(ch, data, s, false);
        if (s.compareColumns) {
          ExactRead.Result wide = exactPass(ch, data, s, true);
          System.out.printf(
              Locale.ROOT,
              "reading the person and group columns too: %.2fx the bytes ClickHouse reads, %.2fx the"
                  + " reader's streamed read time%n",
              (double) wide.readBytes() / exact.readBytes(),
              wide.streamedSeconds() / exact.streamedSeconds());
        }
        for (String runner : s.runners) {
          try {
            Run r = runOnce(s, ch, capture, frontEnd, data, runner, floor, exact, runs);
            results.add(r);
            print(r);
          } catch (IllegalStateException e) {
            failures++;
            System.out.println("FAILED: " + e.getMessage());
          }
        }
      }
    }
    summarize(results);
    if (failures > 0) {
      System.out.println(failures + " run(s) failed");
      System.exit(1);
    }
  }

  /** The exact pass of {@link ExactRead}, printed. */
  private static ExactRead.Result exactPass(
      LocalClickHouse ch, BenchData data, Settings s, boolean personColumns) throws Exception {
    ExactRead.Result e =
        ExactRead.measure(
            ch, ExactRead.plan(ch, data, s.fetchLimit(), personColumns), s.fetchLimit());
    System.out.printf(
        Locale.ROOT,
        "exact pass%s: the reader streamed %,d rows in %.2f s (%,.0f rows/s, %d queries, pages of"
            + " %,d); ClickHouse read %,d rows (%.3f per row returned; the pages alone %.3f, the"
            + " shards' counts the rest) and %,d MB%n",
        personColumns ? " with the person and group columns" : "",
        e.rowsReturned(),
        e.streamedSeconds(),
        e.rowsReturned() / e.streamedSeconds(),
        e.queries(),
        s.fetchLimit(),
        e.readRows(),
        e.rowsReadPerRow(),
        e.pageRowsReadPerRow(),
        e.readBytes() >> 20);
    return e;
  }

  private static Run runOnce(
      Settings s,
      LocalClickHouse ch,
      FakeCaptureServer capture,
      long frontEnd,
      BenchData data,
      String runner,
      Floor.Result floor,
      ExactRead.Result exact,
      Path runs)
      throws Exception {
    Path dir =
        runs.resolve(
            String.format(
                Locale.ROOT,
                "%s-%d-%s",
                runner
                    .replaceAll("[^A-Za-z0-9=.-]", "_")
                    .substring(0, Math.min(60, runner.length())),
                data.events(),
                java.time.LocalDateTime.now().toString().replace(':', '-')));
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + s.heap);
    cmd.add("-Xlog:gc:file=" + dir.resolve("gc.log"));
    long interval = 10_000_000L;
    s.profiler.ifPresent(
        p ->
            cmd.add(
                "-agentpath:"
                    + p.toAbsolutePath()
                    + "=start,event=cpu,interval="
                    + interval
                    + ",threads,collapsed,file="
                    + dir.resolve("profile.collapsed").toAbsolutePath()));
    cmd.addAll(s.jvmFlags);
    cmd.addAll(specParts(runner, "jvm"));
    cmd.add("-jar");
    List<String> jar = specParts(runner, "jar");
    cmd.add((jar.isEmpty() ? s.jar : Path.of(jar.get(0))).toAbsolutePath().toString());
    cmd.add("clickhouse");
    String url = ch.jdbcUrl();
    for (String param : specParts(runner, "url")) {
      url += (url.contains("?") ? "&" : "?") + param;
    }
    cmd.add("--clickhouseUrl=" + url);
    cmd.add("--clickhouseUser=" + ch.user());
    cmd.add("--clickhouseDatabase=" + data.database());
    cmd.add("--teamId=" + data.teamId());
    cmd.add("--startDate=" + data.startDate());
    cmd.add("--endDate=" + data.endDate());
    cmd.add("--posthogUrl=" + capture.url());
    cmd.add("--checkpointDir=" + dir.resolve("checkpoints").toAbsolutePath());
    String base = baseRunner(runner);
    if (base.equals("direct")) {
      cmd.add("--runner=DirectRunner");
    } else if (base.startsWith("cluster")) {
      String master = base.contains(":") ? base.substring(base.indexOf(':') + 1) : "127.0.0.1:8081";
      cmd.add("--runner=FlinkRunner");
      cmd.add("--flinkMaster=" + master);
    } else {
      cmd.add("--runner=FlinkRunner");
    }
    // Secrets as files: a Flink cluster's TaskManagers read them at setup (they do not share this
    // process's environment, and a value flag is refused for a cluster).
    cmd.add(
        "--posthogApiKeyFile="
            + Files.writeString(dir.resolve("posthog.key"), API_KEY, UTF_8).toAbsolutePath());
    if (!ch.password().isEmpty()) {
      cmd.add(
          "--clickhousePasswordFile="
              + Files.writeString(dir.resolve("clickhouse.pw"), ch.password(), UTF_8)
                  .toAbsolutePath());
    }
    cmd.addAll(s.pass);
    cmd.addAll(specParts(runner, "flag"));
    Files.writeString(dir.resolve("command.txt"), String.join(" ", cmd) + "\n", UTF_8);
    Map<String, String> env = new LinkedHashMap<>();

    capture.reset();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double ch0 = ChildProcess.cpuSeconds(frontEnd);
    long own0 = os.getProcessCpuTime();
    ChildProcess.Result p =
        ChildProcess.run(
            cmd,
            env,
            dir.resolve("output.txt"),
            line -> line.startsWith("ClickHouse read plan:"),
            line -> line.startsWith("hogbeam clickhouse: finished in"));
    double clickHouseCpu = ChildProcess.cpuSeconds(frontEnd) - ch0;
    double captureCpu = (os.getProcessCpuTime() - own0) / 1e9;

    if (p.exitCode() != 0) {
      throw new IllegalStateException(
          runner
              + " run of "
              + data.events()
              + " events exited with "
              + p.exitCode()
              + "; see "
              + p.log());
    }
    RunReport report =
        RunReport.fromJson(Files.readString(dir.resolve("checkpoints/report.json"), UTF_8));
    long sent = report.total("groups", "sent");
    long accepted = capture.acceptedEventCount();
    // Stored rows: those passed on plus the copies the reader merged (the source table's rule).
    long rowsRead = report.total("shards", "rowsRead") + report.total("shards", "copiesMerged");
    long duplicates =
        report.total("shards", "copiesMerged") + report.total("groups", "duplicatesDropped");
    // A run of another jar is a prototype, whose report may lack sections: only the count is
    // checked.
    boolean partialReport = !specParts(runner, "jar").isEmpty();
    if (sent != data.events()
        || accepted != data.events()
        || (!partialReport && (rowsRead != data.rows() || duplicates != data.duplicates()))) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "%s run of %d events: report says %d rows read, %d sent, %d duplicates dropped; the capture"
                  + " endpoint accepted %d; expected %d rows, %d events, %d duplicates (see %s)",
              runner,
              data.events(),
              rowsRead,
              sent,
              duplicates,
              accepted,
              data.rows(),
              data.events(),
              data.duplicates(),
              dir));
    }
    Optional<StageProfile> profile = Optional.empty();
    Path collapsed = dir.resolve("profile.collapsed");
    if (s.profiler.isPresent() && Files.isRegularFile(collapsed)) {
      profile = Optional.of(StageProfile.read(collapsed, interval));
    }
    return new Run(
        runner,
        data.events(),
        p,
        report,
        GcLog.read(dir.resolve("gc.log")),
        profile,
        clickHouseCpu,
        captureCpu,
        floor,
        exact);
  }

  private static void print(Run r) {
    ChildProcess.Result p = r.process();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%s, %,d events: %.1f s wall (pipeline %.1f s after planning) = %,.0f events/s",
            r.runner(),
            r.events(),
            p.wallSeconds(),
            p.markToEndSeconds(),
            r.eventsPerSecond()));
    if (r.floor() != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "; wall / floor = %.2f (pipeline / floor = %.2f)",
              p.wallSeconds() / r.floor().seconds(),
              p.markToEndSeconds() / r.floor().seconds()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%n  ClickHouse rows read per row returned %.3f (from %s; the report says %s), %,d rows"
                + " passed on, %d queries; reader busy %.1f s summed over shards%n",
            r.rowsReadPerRow(),
            r.rowsReadSource(),
            r.report().total("shards", "sourceRowsScanned") < 0
                ? "not known"
                : String.format(
                    Locale.ROOT, "%,d", r.report().total("shards", "sourceRowsScanned")),
            r.report().total("shards", "rowsRead"),
            r.report().total("shards", "queries"),
            r.report().total("shards", "readMillis") / 1000.0));
    sb.append(
        String.format(
            Locale.ROOT,
            "  memory: heap peak %d MiB, most kept after a GC %d MiB (%d GCs, %.2f s paused), peak RSS %d MiB%n",
            r.gc().peakUsedBytes() >> 20,
            r.gc().maxAfterGcBytes() >> 20,
            r.gc().collections(),
            r.gc().pauseSeconds(),
            p.peakRssBytes() >> 20));
    sb.append(
        String.format(
            Locale.ROOT,
            "  CPU seconds: pipeline %.1f, ClickHouse front end %.1f, capture endpoint %.1f (of %.1f available)%n",
            p.cpuSeconds(),
            r.clickHouseCpu(),
            r.captureCpu(),
            p.wallSeconds() * Runtime.getRuntime().availableProcessors()));
    r.profile()
        .ifPresent(
            prof -> {
              sb.append("  pipeline CPU by stage (profile):");
              for (String stage : StageProfile.STAGES) {
                if (prof.share(stage) >= 0.005) {
                  sb.append(
                      String.format(
                          Locale.ROOT,
                          " %s %.0f%% (%.1f s)",
                          stage,
                          prof.share(stage) * 100,
                          prof.cpuSeconds(stage)));
                }
              }
              sb.append('\n');
            });
    System.out.print(sb);
  }

  private static void summarize(List<Run> runs) {
    System.out.println();
    System.out.println(
        "| runner | events | wall s | events/s | floor s | wall/floor | pipeline/floor"
            + " | CH rows read/row | heap peak / after GC MiB | RSS MiB |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (Run r : runs) {
      double floor = r.floor() == null ? Double.NaN : r.floor().seconds();
      System.out.printf(
          Locale.ROOT,
          "| %s | %,d | %.1f | %,.0f | %.1f | %.2f | %.2f | %.3f | %d / %d | %d |%n",
          r.runner(),
          r.events(),
          r.process().wallSeconds(),
          r.eventsPerSecond(),
          floor,
          r.process().wallSeconds() / floor,
          r.process().markToEndSeconds() / floor,
          r.rowsReadPerRow(),
          r.gc().peakUsedBytes() >> 20,
          r.gc().maxAfterGcBytes() >> 20,
          r.process().peakRssBytes() >> 20);
    }
    // Growth: seconds per event of the largest size against the smallest, per runner.
    Map<String, List<Run>> byRunner = new LinkedHashMap<>();
    runs.forEach(r -> byRunner.computeIfAbsent(r.runner(), k -> new ArrayList<>()).add(r));
    byRunner.forEach(
        (runner, list) -> {
          if (list.size() < 2) {
            return;
          }
          Run small = list.get(0);
          for (Run big : list.subList(1, list.size())) {
            double a = small.process().wallSeconds() / small.events();
            double b = big.process().wallSeconds() / big.events();
            double pa = small.process().markToEndSeconds() / small.events();
            double pb = big.process().markToEndSeconds() / big.events();
            System.out.printf(
                Locale.ROOT,
                "%s: time per event at %,d vs %,d events: %+.0f%% wall, %+.0f%% pipeline (linear: within 20%%)%n",
                runner,
                big.events(),
                small.events(),
                (b / a - 1) * 100,
                (pb / pa - 1) * 100);
          }
        });
  }

  /** The local engine's front end: this JVM's child process running ChdbServer. */
  static long frontEndPid() {
    return ProcessHandle.current()
        .descendants()
        .filter(h -> h.info().commandLine().map(c -> c.contains("ChdbServer")).orElse(false))
        .findFirst()
        .map(ProcessHandle::pid)
        .orElse(-1L);
  }
}
