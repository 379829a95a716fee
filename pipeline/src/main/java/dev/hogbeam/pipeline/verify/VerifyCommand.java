package dev.hogbeam.pipeline.verify;

import com.google.common.hash.Hashing;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.RunIdentity;
import dev.hogbeam.pipeline.engine.EventRules;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.RuleFlags;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.Secrets;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam verify --checkpointDir=DIR [--repair] [--settleMinutes=N]}: proves a migration
 * against PostHog itself. Everything about the migration comes from {@code DIR} ({@code
 * migration.json}, the plan, the dead letters); secrets are given again (flag, file or
 * environment). Prints the table, writes {@code DIR/verify.json} and {@code DIR/verify.html}, and
 * exits 0 only when nothing is missing (see {@link ExitCodes}).
 */
public final class VerifyCommand {
  static final int PRINTED_ROWS = 60;

  private static final Map<String, VerifyKind> KINDS =
      Map.of("clickhouse", new ClickHouseVerify(), "amplitude", new AmplitudeVerify());

  private VerifyCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, MigrationCommand.Environment.system()));
  }

  public static int run(String[] args, MigrationCommand.Environment env) {
    PrintStream out = env.out();
    PrintStream err = env.err();
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.println(
          "Usage: java -jar hogbeam.jar verify --checkpointDir=DIR [--repair]"
              + " [--settleMinutes=N] [--posthogProjectId=ID] ...");
      out.println();
      PipelineOptionsFactory.printHelp(out, VerifyOptions.class);
      return ExitCodes.OK;
    }
    Set<String> own = ownFlags();
    List<String> ownArgs = new ArrayList<>();
    List<String> passed = new ArrayList<>();
    for (String a : args) {
      String name = MigrationRecord.flagName(a);
      (name != null && own.contains(name) ? ownArgs : passed).add(a);
    }
    VerifyOptions o;
    VerifySource source;
    CheckpointStore store;
    MigrationRecord record;
    VerifyKind kind;
    List<String> sourceArgs;
    HogQLClient client;
    try {
      PipelineOptionsFactory.register(VerifyOptions.class);
      o = PipelineOptionsFactory.fromArgs(ownArgs.toArray(new String[0])).as(VerifyOptions.class);
      if (o.getCheckpointDir() == null) {
        throw new IllegalArgumentException(
            "--checkpointDir is required: the migration's checkpoint directory");
      }
      if (o.getSettleMinutes() < 0 || o.getPollSeconds() <= 0 || o.getIngestionLagSeconds() < 0) {
        throw new IllegalArgumentException(
            "--settleMinutes and --ingestionLagSeconds must be >= 0, --pollSeconds > 0");
      }
      store = CheckpointStore.at(o.getCheckpointDir());
      record = MigrationRecord.read(store);
      if (record == null) {
        record = MigrationRecord.ofTeamDirectory(store);
      }
      if (record != null && record.flag(MigrationRecord.TEAM_IDS) != null) {
        if (o.getPosthogProjectIds() == null || o.getRepair()) {
          throw new IllegalArgumentException(
              "--checkpointDir="
                  + o.getCheckpointDir()
                  + " holds a run over several teams (--teamIds="
                  + record.flag(MigrationRecord.TEAM_IDS)
                  + "), each sent to its own project: "
                  + (o.getRepair()
                      ? "--repair works one team at a time,"
                      : "give --posthogProjectIds=<team>:<project>,... to verify every team, or"
                          + " verify one team,")
                  + " --checkpointDir="
                  + store.path("team-<id>")
                  + " --posthogProjectId=<that team's destination project> (and, with --repair,"
                  + " that team's key: --posthogApiKeyFile or POSTHOG_API_KEY)");
        }
        return TeamsVerify.run(
            args, record.flag(MigrationRecord.TEAM_IDS), o.getPosthogProjectIds(), store, env);
      }
      if (o.getPosthogProjectIds() != null) {
        throw new IllegalArgumentException(
            "--posthogProjectIds is for a migration of several teams (--teamIds); give"
                + " --posthogProjectId");
      }
      if (record == null) {
        throw new IllegalArgumentException(
            "--checkpointDir="
                + o.getCheckpointDir()
                + " holds no "
                + MigrationRecord.FILE
                + " (the record of a migration); give the directory a migration wrote");
      }
      kind = KINDS.get(record.source());
      if (kind == null) {
        throw new IllegalArgumentException(
            "verify does not support '"
                + record.source()
                + "' migrations yet (it verifies: "
                + String.join(", ", new java.util.TreeSet<>(KINDS.keySet()))
                + ")");
      }
      sourceArgs = MigrationRecord.merge(record.args(), passed);
      String key =
          Secrets.from(env.variables())
              .resolve(
                  "posthogPersonalApiKey",
                  o.getPosthogPersonalApiKey(),
                  "posthogPersonalApiKeyFile",
                  o.getPosthogPersonalApiKeyFile(),
                  "POSTHOG_PERSONAL_API_KEY");
      if (key == null) {
        throw new IllegalArgumentException(
            "a personal API key with query:read is required: --posthogPersonalApiKey,"
                + " --posthogPersonalApiKeyFile or the POSTHOG_PERSONAL_API_KEY environment variable");
      }
      String projectId =
          o.getPosthogProjectId() != null
              ? o.getPosthogProjectId()
              : env.variables().get("POSTHOG_PROJECT_ID");
      if (projectId == null || !projectId.strip().matches("[0-9]+")) {
        throw new IllegalArgumentException(
            "--posthogProjectId is required: the destination project's numeric id"
                + (projectId == null ? "" : ", but was '" + projectId + "'"));
      }
      String appHost = o.getPosthogAppUrl();
      if (appHost == null) {
        String posthogUrl = flagValue(sourceArgs, "posthogUrl");
        if (posthogUrl == null) {
          throw new IllegalArgumentException(
              "the migration sent to no PostHog (--dryRun or --outputDir); nothing to verify");
        }
        appHost = AppHost.of(posthogUrl);
      }
      client = HogQLClient.create(appHost, projectId.strip(), key);
      source = RulesVerifySource.of(kind.open(sourceArgs, env, store), rules(sourceArgs, store));
    } catch (IllegalArgumentException e) {
      err.println("hogbeam verify: " + e.getMessage());
      err.println("(java -jar hogbeam.jar verify --help lists every option)");
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.println("hogbeam verify: cannot start: " + MigrationCommand.describe(e));
      return ExitCodes.FAILED;
    }

    String deadLetterDir = flagValue(sourceArgs, "deadLetterDir");
    if (deadLetterDir == null) {
      deadLetterDir = store.path("dead-letters");
    }
    try (VerifySource s = source) {
      out.println("verifying " + s.describe() + " [" + s.start() + ", " + s.end() + ")");
      out.println("  against " + client.uri());
      VerifyReport report = verify(o, s, client, store, env, deadLetterDir);
      if (o.getRepair() && report.total(CellResult::missing) > 0) {
        String missing = store.path("verify/missing.tsv");
        String repairDir = store.path("repair/" + digest(missing));
        out.println(
            "repairing: re-sending "
                + report.total(CellResult::missing)
                + " missing event(s), checkpoints in "
                + repairDir);
        int code = kind.repair(sourceArgs, env, store, missing, repairDir);
        if (code != ExitCodes.OK) {
          err.println("hogbeam verify: the repair did not finish (exit " + code + ")");
          return code;
        }
        out.println("verifying again after the repair");
        report = verify(o, s, client, store, env, deadLetterDir);
      }
      return report.exitCode();
    } catch (HogQLClient.QueryAuthException e) {
      err.println("hogbeam verify: " + e.getMessage());
      return ExitCodes.UNAUTHORIZED;
    } catch (Exception e) {
      err.println("hogbeam verify: failed: " + MigrationCommand.describe(e));
      return ExitCodes.FAILED;
    }
  }

  private static VerifyReport verify(
      VerifyOptions o,
      VerifySource source,
      HogQLClient client,
      CheckpointStore store,
      MigrationCommand.Environment env,
      String deadLetterDir)
      throws Exception {
    Verifier.Settings settings =
        new Verifier.Settings(
            Duration.ofMinutes(o.getSettleMinutes()),
            Duration.ofSeconds(o.getPollSeconds()),
            Duration.ofSeconds(o.getIngestionLagSeconds()),
            lastSent(store));
    Verifier verifier =
        new Verifier(
            source,
            new PostHogEvents(client),
            settings,
            sentDeadLetters(store, deadLetterDir),
            store.path("verify"),
            env.clock(),
            env.out());
    VerifyReport report = verifier.run();
    store.writeText("verify.json", report.toJson());
    store.writeText("verify.html", VerifyPage.render(report));
    env.out().print(report.table(PRINTED_ROWS));
    env.out().println("written: " + store.path("verify.json") + ", " + store.path("verify.html"));
    return report;
  }

  /**
   * When the migration (or a repair) last sent: the newest {@code report.json}, which a run writes
   * when it ends.
   */
  static Instant lastSent(CheckpointStore store) {
    long newest = 0;
    for (String glob : List.of("report.json", "repair/*/report.json")) {
      try {
        for (MatchResult.Metadata m : FileSystems.match(store.path(glob)).metadata()) {
          newest = Math.max(newest, m.lastModifiedMillis());
        }
      } catch (java.io.IOException e) {
        // no such file: never sent
      }
    }
    return Instant.ofEpochMilli(newest);
  }

  /** Uuids the migration dead-lettered after mapping (e.g. refused by PostHog when sent). */
  static Set<String> sentDeadLetters(CheckpointStore store, String deadLetterDir) {
    Set<String> uuids = new HashSet<>();
    Ledger ledger = Ledger.of(store, "verify", deadLetterDir);
    for (DeadLetter d : ledger.deadLetters()) {
      if (d.uuid() != null && !d.stage().equals("map")) {
        uuids.add(d.uuid());
      }
    }
    return uuids;
  }

  /**
   * The migration's filters and renames, from its recorded flags (its options are registered);
   * refused when they are not the rules its {@code run.json} recorded (a {@code --rulesFile} edited
   * since the migration).
   */
  static EventRules rules(List<String> sourceArgs, CheckpointStore store) {
    EventRules rules =
        RuleFlags.from(
            PipelineOptionsFactory.fromArgs(sourceArgs.toArray(new String[0]))
                .as(MigrationOptions.class));
    String runFile = store.readText(Migration.Setup.RUN_FILE);
    String recorded =
        runFile == null ? null : RunIdentity.fromJson(runFile).get(Migration.Setup.RULES);
    String now = rules.isEmpty() ? null : rules.describe();
    if (runFile != null && !java.util.Objects.equals(recorded, now)) {
      throw new IllegalArgumentException(
          "the migration ran with the rules "
              + (recorded == null ? "none" : recorded)
              + " ("
              + store.path(Migration.Setup.RUN_FILE)
              + "), but its recorded flags now give "
              + (now == null ? "none" : now)
              + ": was the --rulesFile changed? Restore it to verify");
    }
    return rules;
  }

  private static Set<String> ownFlags() {
    Set<String> names = new HashSet<>();
    for (Method m : VerifyOptions.class.getDeclaredMethods()) {
      if (m.getName().startsWith("get")) {
        names.add(m.getName().substring(3, 4).toLowerCase(Locale.ROOT) + m.getName().substring(4));
      } else if (m.getName().startsWith("is")) {
        names.add(m.getName().substring(2, 3).toLowerCase(Locale.ROOT) + m.getName().substring(3));
      }
    }
    return names;
  }

  private static @Nullable String flagValue(List<String> args, String name) {
    String value = null;
    for (String a : args) {
      if (a.startsWith("--" + name + "=")) {
        value = a.substring(name.length() + 3);
      }
    }
    return value;
  }

  /** A short digest of a file's contents: one repair directory per set of missing events. */
  static String digest(String file) throws java.io.IOException {
    var hasher = Hashing.sha256().newHasher();
    try (BufferedReader r = MissingEvents.reader(file)) {
      String line;
      while ((line = r.readLine()) != null) {
        hasher.putString(line, StandardCharsets.UTF_8).putChar('\n');
      }
    }
    return hasher.hash().toString().substring(0, 12);
  }
}
