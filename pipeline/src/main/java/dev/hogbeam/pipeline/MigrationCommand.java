package dev.hogbeam.pipeline;

import dev.hogbeam.capture.CaptureAuthException;
import dev.hogbeam.clickhouse.ShardReader;
import dev.hogbeam.pipeline.checkpoint.Lease;
import dev.hogbeam.pipeline.engine.DeadLetterRetry;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.ObjectStorage;
import dev.hogbeam.pipeline.progress.ProgressPrinter;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.pipeline.verify.MigrationRecord;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
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
    Migration<?> create(O options, Environment env) throws Exception;
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
    Migration<?> migration;
    try {
      checkNoRepeatedFlags(args);
      PipelineOptionsFactory.register(optionsClass);
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(optionsClass);
      // Secret files and checkpoints may be on any Beam file system (gs://, s3://...).
      ObjectStorage.configure(options, args);
      FileSystems.setDefaultPipelineOptions(options);
      migration = factory.create(options, env);
    } catch (IllegalArgumentException e) {
      err.println("hogbeam " + name + ": " + e.getMessage());
      err.println("(java -jar hogbeam.jar " + name + " --help lists every option)");
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.println("hogbeam " + name + ": cannot plan the migration: " + describe(e));
      return ExitCodes.FAILED;
    }

    if (!options.getRetryDeadLetters()) {
      // What verify needs to find the source and destination again; no secret.
      MigrationRecord.write(migration.setup().store(), name, args, optionsClass);
    }
    try (Lease lease =
        Lease.acquire(
            migration.setup().store(),
            migration.ledger().runId(),
            Duration.ofSeconds(options.getLeaseTimeoutSeconds()),
            Clock.systemUTC())) {
      int code = runHoldingLease(options, migration, env);
      if (lease.lost() != null) {
        err.println(
            "hogbeam "
                + name
                + ": another run took over the checkpoint directory while this one ran ("
                + lease.lost()
                + "); check the account before relying on it");
        return ExitCodes.FAILED;
      }
      return code;
    } catch (Lease.HeldException e) {
      err.println("hogbeam " + name + ": " + e.getMessage());
      return ExitCodes.FAILED;
    }
  }

  /**
   * Runs {@code migration} (or the retry of its dead letters) while holding the lease, then its
   * next stage if it has one and finished every group.
   */
  private int runHoldingLease(O options, Migration<?> migration, Environment env) {
    int code = runOne(options, migration, env);
    Migration.NextStage next = migration.next();
    if (next == null
        || options.getRetryDeadLetters()
        || (code != ExitCodes.OK && code != ExitCodes.DEAD_LETTERS)) {
      return code;
    }
    long unfinished = migration.ledger().groups().values().stream().filter(s -> !s.done()).count();
    if (unfinished > 0) {
      return code;
    }
    Migration<?> stage;
    try {
      stage = next.open();
    } catch (Exception e) {
      env.err().println("hogbeam " + name + ": cannot plan the next stage: " + describe(e));
      return ExitCodes.FAILED;
    }
    int stageCode = runOne(options, stage, env);
    if (stageCode != ExitCodes.OK && stageCode != ExitCodes.DEAD_LETTERS) {
      return stageCode;
    }
    try {
      env.out().print(next.finished(stage));
      migration.ledger().writeAccount();
    } catch (Exception e) {
      env.err().println("hogbeam " + name + ": the stage's account failed: " + describe(e));
      return ExitCodes.FAILED;
    }
    return Math.max(code, stageCode);
  }

  /** Runs one migration (or the retry of its dead letters). */
  private int runOne(O options, Migration<?> migration, Environment env) {
    PrintStream out = env.out();
    PrintStream err = env.err();
    DeadLetterRetry retry = null;
    if (options.getRetryDeadLetters()) {
      retry = DeadLetterRetry.of(migration);
      if (retry.isEmpty()) {
        RunReport account = migration.ledger().writeAccount();
        long kept = account.get(RunReport.MIGRATION, "deadLetters", Ledger.RECORDS);
        out.println(
            "hogbeam "
                + name
                + ": no dead letter on record can be re-sent"
                + (kept == 0 ? "" : " (" + kept + " kept: this source cannot map them again)"));
        return kept > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
      }
      migration = retry.migration();
    }
    out.println(migration.describe());
    Pipeline pipeline = Pipeline.create(options);
    migration.expand(pipeline);
    Ledger ledger = migration.ledger();
    SourcePlan plan = migration.plan();

    long started = System.nanoTime();
    Throwable failure = null;
    try (AutoCloseable progress =
        ProgressPrinter.start(
            Duration.ofSeconds(options.getProgressIntervalSeconds()),
            ledger::progress,
            out,
            plan.expectedEvents(),
            plan.shards(),
            plan.groupStarts().size())) {
      PipelineResult result = pipeline.run();
      result.waitUntilFinish();
    } catch (Exception e) {
      failure = e;
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    String cursor = migration.cursor();

    if (failure != null) {
      writeAccountQuietly(ledger, err);
      Throwable unauthorized = findUnauthorized(failure);
      if (unauthorized != null) {
        err.println("hogbeam " + name + ": stopped: " + unauthorized.getMessage());
      } else {
        err.println(
            "hogbeam " + name + ": failed after " + clock(elapsed) + ": " + describe(failure));
      }
      err.println(
          "To resume, run the same command again (checkpoints: "
              + ledger.store().directory()
              + ")"
              + (cursor == null ? "" : ", or pass --cursor=" + cursor));
      return unauthorized != null ? ExitCodes.UNAUTHORIZED : ExitCodes.FAILED;
    }

    try {
      migration.source().afterRun();
    } catch (Exception e) {
      err.println("hogbeam " + name + ": the run finished, but then failed: " + describe(e));
      return ExitCodes.FAILED;
    }

    RunReport account = ledger.writeAccount();
    out.print(Summary.format(name, elapsed, account, ledger, cursor));
    out.print(migration.source().summary(account));
    if (retry != null) {
      out.print(retry.settle().describe());
      ledger = retry.original().ledger();
      account = ledger.writeAccount();
    }
    long deadLettered = account.get(RunReport.MIGRATION, "deadLetters", Ledger.RECORDS);
    long unfinished = ledger.groups().values().stream().filter(s -> !s.done()).count();
    if (unfinished > 0) {
      err.println("hogbeam " + name + ": " + unfinished + " group(s) did not finish");
      return ExitCodes.DEAD_LETTERS;
    }
    return deadLettered > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
  }

  /** After a failure the account is still written, as far as the ledger goes. */
  private static void writeAccountQuietly(Ledger ledger, PrintStream err) {
    try {
      ledger.writeAccount();
    } catch (RuntimeException e) {
      err.println("(the account could not be written: " + describe(e) + ")");
    }
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

  /**
   * The innermost useful message of an exception chain (runners wrap failures several times): a
   * shard's failure (its message names the shard and carries the cause), else the root cause.
   */
  public static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof ShardReader.ShardReadException) {
        return root.getMessage();
      }
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
