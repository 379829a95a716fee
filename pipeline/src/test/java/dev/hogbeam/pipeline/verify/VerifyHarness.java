package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.clickhouse.ClickHouseMigration;
import dev.hogbeam.testing.FakePostHog;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ClickHouse migration into the {@link FakePostHog}, then {@code verify}, both through their
 * command lines, in-process: the real ClickHouse engine on both sides.
 */
abstract class VerifyHarness {
  static final String KEY = "phc_verifytestkey";
  static final String PERSONAL_KEY = "phx_verifytestpersonalkey";
  static final long PROJECT = 2;
  static final LocalDate DAY0 = LocalDate.of(2024, 3, 1);
  static final Clock MIGRATION_CLOCK =
      Clock.fixed(Instant.parse("2026-11-21T00:00:00Z"), ZoneOffset.UTC);
  static final ObjectMapper JSON = new ObjectMapper();

  static LocalClickHouse ch;
  FakePostHog posthog;
  String db;
  @TempDir Path tmp;

  @BeforeAll
  static void engine() {
    ch = LocalClickHouse.shared();
  }

  @AfterEach
  void stop() {
    if (posthog != null) {
      posthog.close();
    }
    if (db != null) {
      ch.dropDatabase(db);
    }
  }

  /** Teams 1 and 2 over five days, three of them in the range, with copies. */
  void load(long eventsPerTeamDay) {
    db = ch.createDatabase("verify_source");
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(1, 2)
                .startDay(DAY0.minusDays(1))
                .days(5)
                .eventsPerTeamDay(eventsPerTeamDay)
                .duplicateFraction(0.03)
                .seed(16)
                .build());
  }

  record Run(int exitCode, String out, String err) {}

  Path checkpoints() {
    return tmp.resolve("checkpoints");
  }

  Run migrate(String... extra) {
    List<String> a = migrationArgs();
    a.addAll(Arrays.asList(extra));
    return run(
        (args, env) -> ClickHouseMigration.command().run(args, env), a, Map.of(), MIGRATION_CLOCK);
  }

  /** The migration's flags: team 2 of the source into the fake PostHog. */
  List<String> migrationArgs() {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=" + ch.user(),
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=2024-03-01",
                "--endDate=2024-03-04",
                "--posthogUrl=" + posthog.url(),
                "--posthogApiKey=" + KEY,
                "--batchSize=50",
                "--progressIntervalSeconds=0",
                "--checkpointDir=" + checkpoints()));
    if (!ch.password().isEmpty()) {
      a.add("--clickhousePassword=" + ch.password());
    }
    return a;
  }

  /** {@code verify} with the secrets in the environment, as a user would give them. */
  Run verify(String... extra) {
    List<String> a = new ArrayList<>();
    a.add("--checkpointDir=" + checkpoints());
    a.add("--posthogProjectId=" + PROJECT);
    a.add("--runner=DirectRunner");
    a.addAll(Arrays.asList(extra));
    return run(VerifyCommand::run, a, verifyEnvironment(), Clock.systemUTC());
  }

  /** The secrets verify reads from the environment. */
  Map<String, String> verifyEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY);
    env.put("POSTHOG_API_KEY", KEY);
    if (!ch.password().isEmpty()) {
      env.put("CLICKHOUSE_PASSWORD", ch.password());
    }
    return env;
  }

  interface Command {
    int run(String[] args, MigrationCommand.Environment env);
  }

  static Run run(Command c, List<String> args, Map<String, String> variables, Clock clock) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        c.run(
            args.toArray(new String[0]),
            new MigrationCommand.Environment(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                variables,
                clock));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  JsonNode verifyJson() throws IOException {
    return JSON.readTree(Files.readString(checkpoints().resolve("verify.json")));
  }

  /** The uuids of verify/missing.tsv. */
  Set<String> missingTsv() throws IOException {
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(checkpoints().resolve("verify/missing.tsv"))) {
      if (!line.isBlank()) {
        out.add(line.substring(line.lastIndexOf('\t') + 1));
      }
    }
    return out;
  }

  /** Distinct uuids of team 2 in the range that the migration sends. */
  long sourceEvents() throws Exception {
    return longQuery(
        "SELECT uniqExact(uuid) FROM "
            + db
            + ".events WHERE team_id = 2 AND timestamp >= '2024-03-01' AND timestamp <"
            + " '2024-03-04' AND event != '' AND distinct_id != ''");
  }

  /** {@code n} uuids of team 2's range, chosen by hash. */
  List<String> someUuids(int n) throws Exception {
    List<String> out = new ArrayList<>();
    try (var c = ch.connect(db);
        var s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT DISTINCT toString(uuid) AS u FROM "
                    + db
                    + ".events WHERE team_id = 2 AND timestamp >= '2024-03-01' AND timestamp <"
                    + " '2024-03-04' ORDER BY cityHash64(u) LIMIT "
                    + n)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  static long longQuery(String sql) throws Exception {
    try (var c = ch.connect();
        var s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
