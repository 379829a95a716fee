package dev.hogbeam.pipeline;

import dev.hogbeam.capture.CaptureAuthException;
import dev.hogbeam.pipeline.checkpoint.GlobalCursor;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.checkpoint.ResumeCursor;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.progress.ProgressPrinter;
import dev.hogbeam.pipeline.report.ReportPart;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.pipeline.report.WriteReport;
import dev.hogbeam.progress.LiveCounters;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The command-line flow every source shares: parse and check the options, plan, run with progress
 * lines, print the report, and turn the outcome into an {@link ExitCodes exit code}.
 *
 * <p>{@code main} methods stay thin: they call {@link #run} with the real environment; tests call
 * it with their own streams, environment variables and clock.
 */
public final class MigrationCommand<O extends MigrationOptions> {

  /** What a command reads from and writes to, replaceable in tests. */
  public record Environment(
      PrintStream out, PrintStream err, Map<String, String> variables, Clock clock) {
    public static Environment system() {
      return new Environment(System.out, System.err, System.getenv(), Clock.systemUTC());
    }
  }

  /** Builds the migration from checked options; throws IllegalArgumentException on bad flags. */
  public interface Factory<O> {
    Migration create(O options, Environment env) throws Exception;
  }

  private final String name;
  private final Class<O> optionsClass;
  private final Factory<O> factory;

  public MigrationCommand(String name, Class<O> optionsClass, Factory<O> factory) {
    this.name = name;
    this.optionsClass = optionsClass;
    this.factory = factory;
  }

  public int run(String[] args, Environment env) {
    PrintStream out = env.out();
    PrintStream err = env.err();
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.println("Usage: java -jar hogbeam.jar " + name + " --option=value ...");
      out.println();
      PipelineOptionsFactory.printHelp(out, optionsClass);
      return ExitCodes.OK;
    }

    O options;
    Migration migration;
    try {
      checkNoRepeatedFlags(args);
      PipelineOptionsFactory.register(optionsClass);
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(optionsClass);
      migration = factory.create(options, env);
    } catch (IllegalArgumentException e) {
      err.println("hogbeam " + name + ": " + e.getMessage());
      err.println("(java -jar hogbeam.jar " + name + " --help lists every option)");
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.println("hogbeam " + name + ": cannot plan the migration: " + describe(e));
      return ExitCodes.FAILED;
    }

    out.println(migration.describe());
    LiveCounters.reset();
    Pipeline pipeline = Pipeline.create(options);
    migration.expand(pipeline);

    long started = System.nanoTime();
    Throwable failure = null;
    try (AutoCloseable progress =
        ProgressPrinter.start(
            Duration.ofSeconds(options.getProgressIntervalSeconds()),
            () -> progressSnapshot(migration),
            out,
            migration.expectedEvents(),
            migration.shards(),
            migration.groupStarts().size())) {
      PipelineResult result = pipeline.run();
      result.waitUntilFinish();
    } catch (Exception e) {
      failure = e;
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

    Map<String, GroupCheckpoint> states = migration.checkpoints().readAllGroups();
    String cursor =
        migration.groupStarts().isEmpty()
            ? null
            : ResumeCursor.format(
                GlobalCursor.lowWaterMark(
                    migration.groupStarts(), states, migration.rangeEndMicros()));

    if (failure != null) {
      Throwable unauthorized = findUnauthorized(failure);
      if (unauthorized != null) {
        err.println("hogbeam " + name + ": stopped: " + unauthorized.getMessage());
      } else {
        err.println(
            "hogbeam " + name + ": failed after " + clock(elapsed) + ": " + describe(failure));
      }
      err.println(
          "To resume, run the same command again (checkpoints: "
              + migration.checkpoints().directory()
              + ")"
              + (cursor == null ? "" : ", or pass --cursor=" + cursor));
      return unauthorized != null ? ExitCodes.UNAUTHORIZED : ExitCodes.FAILED;
    }

    try {
      migration.afterRun();
    } catch (Exception e) {
      err.println("hogbeam " + name + ": the run finished, but then failed: " + describe(e));
      return ExitCodes.FAILED;
    }

    String reportJson = migration.checkpoints().readText(WriteReport.FILE);
    if (reportJson == null) {
      err.println("hogbeam " + name + ": the run ended but wrote no report");
      return ExitCodes.FAILED;
    }
    RunReport report = RunReport.fromJson(reportJson);
    out.print(Summary.format(name, elapsed, report, migration, cursor));
    out.print(migration.reportDetails(report));
    long deadLettered = report.total(ReportPart.DEAD_LETTERS, "records");
    long unfinished = states.values().stream().filter(s -> !s.done()).count();
    if (unfinished > 0) {
      err.println("hogbeam " + name + ": " + unfinished + " group(s) did not finish");
      return ExitCodes.DEAD_LETTERS;
    }
    return deadLettered > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
  }

  /**
   * The counters for a progress line: this process's live counters when the job runs here
   * (DirectRunner, embedded Flink); when it runs elsewhere (a cluster) they stay zero, and the
   * checkpoint directory tells what was sent and which groups finished (over all runs).
   */
  static LiveCounters.Snapshot progressSnapshot(Migration migration) {
    LiveCounters.Snapshot live = LiveCounters.snapshot();
    if (!live.equals(new LiveCounters.Snapshot(0, 0, 0, 0, 0))) {
      return live;
    }
    long sent = 0;
    long finished = 0;
    for (GroupCheckpoint g : migration.checkpoints().readAllGroups().values()) {
      sent += g.sent();
      finished += g.done() ? 1 : 0;
    }
    return new LiveCounters.Snapshot(0, 0, sent, finished, 0);
  }

  /** Beam's own message for a repeated flag is cryptic ("expected one element but was ..."). */
  static void checkNoRepeatedFlags(String[] args) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String a : args) {
      if (!a.startsWith("--")) {
        continue;
      }
      int eq = a.indexOf('=');
      String flag = eq < 0 ? a : a.substring(0, eq);
      if (!seen.add(flag)) {
        throw new IllegalArgumentException(flag + " is given more than once");
      }
    }
  }

  /** The first cause that says PostHog refused the key, if any. */
  private static @Nullable Throwable findUnauthorized(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CaptureAuthException) {
        return c;
      }
    }
    return null;
  }

  /** The innermost useful message of an exception chain (runners wrap failures several times). */
  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  static String clock(Duration d) {
    long s = d.getSeconds();
    return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
