package dev.hogbeam.pipeline;

import dev.hogbeam.capture.CaptureAuthException;
import dev.hogbeam.clickhouse.ShardReader;
import dev.hogbeam.pipeline.checkpoint.Lease;
import dev.hogbeam.pipeline.engine.DeadLetterRetry;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.Migrations;
import dev.hogbeam.pipeline.engine.TrialRun;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.ObjectStorage;
import dev.hogbeam.pipeline.progress.ProgressPrinter;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.pipeline.verify.MigrationRecord;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
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

  /** Builds what a command runs: one migration, or several run as one ({@link Migrations}). */
  public interface RunFactory<O> {
    Migrations create(O options, Environment env) throws Exception;
  }

  private final String name;
  private final Class<O> optionsClass;
  private final RunFactory<O> factory;

  public MigrationCommand(String name, Class<O> optionsClass, Factory<O> factory) {
    this(optionsClass, name, (o, env) -> Migrations.of(factory.create(o, env)));
  }

  private MigrationCommand(Class<O> optionsClass, String name, RunFactory<O> factory) {
    this.name = name;
    this.optionsClass = optionsClass;
    this.factory = factory;
  }

  /** A command whose factory may plan several migrations run as one. */
  public static <O extends MigrationOptions> MigrationCommand<O> ofRuns(
      String name, Class<O> optionsClass, RunFactory<O> factory) {
    return new MigrationCommand<>(optionsClass, name, factory);
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
    Migrations migration;
    try {
      checkNoRepeatedFlags(args);
      PipelineOptionsFactory.register(optionsClass);
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(optionsClass);
      // Secret files and checkpoints may be on any Beam file system (gs://, s3://...).
      ObjectStorage.configure(options, args);
      FileSystems.setDefaultPipelineOptions(options);
      if (options.getSample() != null) {
        checkTrialRun(options);
      }
      migration = factory.create(options, env);
    } catch (IllegalArgumentException e) {
      err.println("hogbeam " + name + ": " + e.getMessage());
      err.println("(java -jar hogbeam.jar " + name + " --help lists every option)");
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.println("hogbeam " + name + ": cannot plan the migration: " + describe(e));
      return ExitCodes.FAILED;
    }

    if (options.getSample() != null) {
      return trialRun(migration, options.getSample(), env);
    }
    if (!options.getRetryDeadLetters()) {
      // What verify needs to find the source and destination again; no secret.
      MigrationRecord.write(migration.store(), name, args, optionsClass);
    }
    try (Lease lease =
        Lease.acquire(
            migration.store(),
            migration.runId(),
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
   * A trial run sends nothing and writes nothing: it plans as a dry run (no PostHog key needed),
   * with a read-only checkpoint directory ({@code Migration.Setup#store}).
   */
  private static void checkTrialRun(MigrationOptions options) {
    if (options.getSample() <= 0) {
      throw new IllegalArgumentException("--sample must be > 0, but was " + options.getSample());
    }
    if (options.getOutputDir() != null) {
      throw new IllegalArgumentException(
          "--sample sends nothing and writes nothing; leave out --outputDir");
    }
    if (options.getRetryDeadLetters()) {
      throw new IllegalArgumentException(
          "--sample reads the source; it cannot be combined with --retryDeadLetters");
    }
    options.setDryRun(true);
  }

  /** {@code --sample=N}: prints the first N records and what they become ({@link TrialRun}). */
  private int trialRun(Migrations run, int n, Environment env) {
    try {
      for (Map.Entry<String, Migration<?>> part : run.parts().entrySet()) {
        if (run.several()) {
          env.out().println("== " + part.getKey());
        }
        TrialRun.run(part.getValue(), n, env.out());
      }
      return ExitCodes.OK;
    } catch (IllegalArgumentException e) {
      env.err().println("hogbeam " + name + ": " + e.getMessage());
      return ExitCodes.USAGE;
    } catch (Exception e) {
      env.err().println("hogbeam " + name + ": the trial run failed: " + describe(e));
      return ExitCodes.FAILED;
    }
  }

  /**
   * Runs {@code run} (or the retry of its dead letters) while holding the lease, then the next
   * stage of each of its migrations that has one and finished every group.
   */
  private int runHoldingLease(O options, Migrations run, Environment env) {
    int code = runOne(options, run, env);
    if (options.getRetryDeadLetters() || (code != ExitCodes.OK && code != ExitCodes.DEAD_LETTERS)) {
      return code;
    }
    Map<String, Migration<?>> stages = new LinkedHashMap<>();
    Map<String, Migration.NextStage> nexts = new LinkedHashMap<>();
    for (Map.Entry<String, Migration<?>> part : run.parts().entrySet()) {
      Migration.NextStage next = part.getValue().next();
      if (next == null
          || part.getValue().ledger().groups().values().stream().anyMatch(s -> !s.done())) {
        continue;
      }
      try {
        stages.put(part.getKey(), next.open());
        nexts.put(part.getKey(), next);
      } catch (Exception e) {
        env.err()
            .println(
                "hogbeam "
                    + name
                    + ": cannot plan the next stage"
                    + label(part.getKey())
                    + ": "
                    + describe(e));
        return ExitCodes.FAILED;
      }
    }
    if (stages.isEmpty()) {
      return code;
    }
    Migrations stageRun =
        run.several()
            ? Migrations.together(run.store().path(STAGES), Map.of(), run.partsName(), stages)
            : Migrations.of(stages.values().iterator().next());
    int stageCode = runOne(options, stageRun, env);
    if (stageCode != ExitCodes.OK && stageCode != ExitCodes.DEAD_LETTERS) {
      return stageCode;
    }
    try {
      for (Map.Entry<String, Migration.NextStage> next : nexts.entrySet()) {
        env.out().print(next.getValue().finished(stages.get(next.getKey())));
      }
      run.writeAccount();
    } catch (Exception e) {
      env.err().println("hogbeam " + name + ": the stage's account failed: " + describe(e));
      return ExitCodes.FAILED;
    }
    return Math.max(code, stageCode);
  }

  /**
   * Where the combined account of several parts' next stages is kept (each stage keeps its own
   * checkpoints with its part).
   */
  static final String STAGES = "next-stages";

  private static String label(String part) {
    return part.isEmpty() ? "" : " (" + part + ")";
  }

  /** Runs one migration, several as one, or the retry of one's dead letters. */
  private int runOne(O options, Migrations run, Environment env) {
    PrintStream out = env.out();
    PrintStream err = env.err();
    Migrations original = run;
    Map<String, DeadLetterRetry> retries = new LinkedHashMap<>();
    if (options.getRetryDeadLetters()) {
      Map<String, Migration<?>> retrying = new LinkedHashMap<>();
      long kept = 0;
      for (Map.Entry<String, Migration<?>> part : run.parts().entrySet()) {
        DeadLetterRetry retry = DeadLetterRetry.of(part.getValue());
        if (retry.isEmpty()) {
          kept +=
              part.getValue()
                  .ledger()
                  .writeAccount()
                  .get(RunReport.MIGRATION, "deadLetters", Ledger.RECORDS);
        } else {
          retries.put(part.getKey(), retry);
          retrying.put(part.getKey(), retry.migration());
        }
      }
      if (retries.isEmpty()) {
        if (run.several()) {
          run.writeAccount();
        }
        out.println(
            "hogbeam "
                + name
                + ": no dead letter on record can be re-sent"
                + (kept == 0 ? "" : " (" + kept + " kept: this source cannot map them again)"));
        return kept > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
      }
      // Each part's retry keeps its checkpoints with the part; several are run as one.
      run =
          run.several()
              ? Migrations.together(
                  run.store().path("retries/" + run.runId()), Map.of(), run.partsName(), retrying)
              : Migrations.of(retrying.values().iterator().next());
    }
    out.println(run.describe());
    Pipeline pipeline = Pipeline.create(options);
    run.expand(pipeline);

    long started = System.nanoTime();
    Throwable failure = null;
    try (AutoCloseable progress =
        ProgressPrinter.start(
            Duration.ofSeconds(options.getProgressIntervalSeconds()),
            run::progress,
            out,
            run.expectedEvents(),
            run.shards(),
            run.groupsKnown())) {
      PipelineResult result = pipeline.run();
      result.waitUntilFinish();
    } catch (Exception e) {
      failure = e;
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    String cursor = run.several() ? null : run.only().cursor();

    if (failure != null) {
      writeAccountQuietly(run, err);
      Throwable unauthorized = findUnauthorized(failure);
      if (unauthorized != null) {
        err.println("hogbeam " + name + ": stopped: " + unauthorized.getMessage());
      } else {
        err.println(
            "hogbeam " + name + ": failed after " + clock(elapsed) + ": " + describe(failure));
      }
      err.println(
          "To resume, run the same command again (checkpoints: "
              + run.store().directory()
              + ")"
              + (cursor == null ? "" : ", or pass --cursor=" + cursor));
      return unauthorized != null ? ExitCodes.UNAUTHORIZED : ExitCodes.FAILED;
    }

    for (Map.Entry<String, Migration<?>> part : run.parts().entrySet()) {
      try {
        part.getValue().source().afterRun();
      } catch (Exception e) {
        err.println(
            "hogbeam "
                + name
                + ": the run finished, but then failed"
                + label(part.getKey())
                + ": "
                + describe(e));
        return ExitCodes.FAILED;
      }
    }

    Map<String, RunReport> accounts = run.writeAccount();
    for (Map.Entry<String, Migration<?>> part : run.parts().entrySet()) {
      String title = part.getKey().isEmpty() ? name : name + " " + part.getKey();
      RunReport account = accounts.get(part.getKey());
      out.print(Summary.format(title, elapsed, account, part.getValue().ledger(), cursor));
      out.print(part.getValue().source().summary(account));
      DeadLetterRetry retry = retries.get(part.getKey());
      if (retry != null) {
        out.print(retry.settle().describe());
      }
    }
    if (!retries.isEmpty()) {
      // The record the retries settled is the original migrations'.
      accounts = original.writeAccount();
    }
    long deadLettered = 0;
    for (RunReport account : accounts.values()) {
      deadLettered += account.get(RunReport.MIGRATION, "deadLetters", Ledger.RECORDS);
    }
    if (original.several()) {
      out.print(Summary.total(name, original.partsName(), accounts, original.store()));
    }
    long unfinished = original.unfinishedGroups();
    if (unfinished > 0) {
      err.println("hogbeam " + name + ": " + unfinished + " group(s) did not finish");
      return ExitCodes.DEAD_LETTERS;
    }
    return deadLettered > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
  }

  /** After a failure the account is still written, as far as the ledger goes. */
  private static void writeAccountQuietly(Migrations run, PrintStream err) {
    try {
      run.writeAccount();
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
