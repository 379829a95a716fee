package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.pipeline.clickhouse.ClickHouseMigration;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.files.PostHogFilesMigration;
import dev.hogbeam.pipeline.jdbc.JdbcMigration;
import dev.hogbeam.pipeline.mixpanel.MixpanelMigration;
import dev.hogbeam.pipeline.options.AmplitudeOptions;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.FilesOptions;
import dev.hogbeam.pipeline.options.JdbcOptions;
import dev.hogbeam.pipeline.options.MixpanelOptions;
import dev.hogbeam.pipeline.options.ObjectStorage;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.LocalPostgres;
import dev.hogbeam.testing.LocalS3;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline of each migration, built as the command line builds it for each kind of runner, as
 * Beam serializes it for a remote runner: no DoFn, transform, display data, pipeline proto or
 * options form holds a secret. On the DirectRunner and an embedded Flink the secrets are given as
 * flags (the riskiest form: the value is in the launcher's memory); on a Flink cluster as
 * environment variables and files, and a value flag is refused.
 */
class SerializedPipelineSecretsTest {
  static final String PASSWORD = "chpw-Zq81-pipeline-scan";
  static final String POSTHOG_KEY = "phc_pipelineScanKey7731";
  static final String AMPLITUDE_KEY = "ampkey-pipeline-scan-5521";
  static final String AMPLITUDE_SECRET = "ampsecret-pipeline-scan-9043";
  static final Clock NOW = Clock.fixed(Instant.parse("2026-11-21T00:00:00Z"), ZoneOffset.UTC);
  static final String TEAM2_KEY = "phc_teamTwoScanKey4410";
  static final String TEAM5_KEY = "phc_teamFiveScanKey8802";
  static final String TEAM_KEYS = "{\"2\": \"" + TEAM2_KEY + "\", \"5\": \"" + TEAM5_KEY + "\"}";
  static final String MIXPANEL_SECRET = "mpsecret-pipeline-scan-3318";
  static final String REMOTE_FLINK = "--flinkMaster=flink.example.internal:8081";

  static LocalClickHouse ch;
  static String db;

  @TempDir Path tmp;

  @BeforeAll
  static void source() {
    SecretScan.Source source = SecretScan.clickHouseWithPassword(PASSWORD, 50);
    ch = source.ch();
    db = source.db();
  }

  @AfterAll
  static void stop() {
    if (ch != null) {
      ch.close();
    }
  }

  private static SecretScan scan() {
    return SecretScan.of(
        List.of(PASSWORD, POSTHOG_KEY, AMPLITUDE_KEY, AMPLITUDE_SECRET, TEAM2_KEY, TEAM5_KEY),
        AMPLITUDE_KEY + ":" + AMPLITUDE_SECRET);
  }

  private List<String> clickhouse(String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=migrator",
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=2024-03-01",
                "--endDate=2024-03-03",
                "--posthogUrl=http://127.0.0.1:9/",
                "--checkpointDir=" + tmp.resolve("ck-" + System.nanoTime())));
    a.addAll(List.of(extra));
    return a;
  }

  private List<String> amplitude(String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--amplitudeUrl=http://127.0.0.1:9",
                "--startDate=2024-06-10",
                "--endDate=2024-06-10T03:00",
                "--posthogUrl=http://127.0.0.1:9/",
                "--checkpointDir=" + tmp.resolve("ck-" + System.nanoTime())));
    a.addAll(List.of(extra));
    return a;
  }

  private static MigrationCommand.Environment env(Map<String, String> variables) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream());
    return new MigrationCommand.Environment(sink, sink, variables, NOW);
  }

  private static <O extends PipelineOptions> O options(Class<O> type, List<String> args) {
    PipelineOptionsFactory.register(type);
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(type);
  }

  private static void assertCleanPipeline(PipelineOptions o, Migration<?> migration)
      throws Exception {
    Pipeline p = Pipeline.create(o);
    migration.expand(p);
    SecretScan scan = scan().pipeline(p).options(o);
    scan.assertClean();
    assertTrue(scan.places() > 50, "searched " + scan.places() + " places");
  }

  private void clickhouseOn(List<String> args, Map<String, String> variables) throws Exception {
    ClickHouseOptions o = options(ClickHouseOptions.class, args);
    assertCleanPipeline(o, ClickHouseMigration.create(o, env(variables)));
  }

  private void amplitudeOn(List<String> args, Map<String, String> variables) throws Exception {
    AmplitudeOptions o = options(AmplitudeOptions.class, args);
    assertCleanPipeline(o, AmplitudeMigration.create(o, env(variables)));
  }

  private Map<String, String> secretFiles() throws Exception {
    Map<String, String> files = new HashMap<>();
    files.put("password", Files.writeString(tmp.resolve("pw"), PASSWORD + "\n").toString());
    files.put("posthog", Files.writeString(tmp.resolve("phc"), POSTHOG_KEY).toString());
    return files;
  }

  @Test
  void clickHouseOnTheDirectRunnerWithSecretsAsFlags() throws Exception {
    clickhouseOn(
        clickhouse(
            "--runner=DirectRunner",
            "--clickhousePassword=" + PASSWORD,
            "--posthogApiKey=" + POSTHOG_KEY),
        Map.of());
  }

  @Test
  void clickHouseOnEmbeddedFlinkWithSecretsFromTheEnvironment() throws Exception {
    clickhouseOn(
        clickhouse("--runner=FlinkRunner", "--flinkMaster=[local]"),
        Map.of("CLICKHOUSE_PASSWORD", PASSWORD, "POSTHOG_API_KEY", POSTHOG_KEY));
  }

  @Test
  void clickHouseOnAFlinkClusterWithSecretsAsFilesAndEnvironmentVariables() throws Exception {
    Map<String, String> files = secretFiles();
    clickhouseOn(
        clickhouse(
            "--runner=FlinkRunner",
            REMOTE_FLINK,
            "--clickhousePasswordFile=" + files.get("password")),
        Map.of("POSTHOG_API_KEY", POSTHOG_KEY));
    clickhouseOn(
        clickhouse(
            "--runner=FlinkRunner", REMOTE_FLINK, "--posthogApiKeyFile=" + files.get("posthog")),
        Map.of("CLICKHOUSE_PASSWORD", PASSWORD));
  }

  /** {@code --teamIds}: the keys of every team, as a flag, a file and an environment variable. */
  @Test
  void severalTeamsWithTheirKeysAsAFlagAFileOrTheEnvironment() throws Exception {
    Path keys = Files.writeString(tmp.resolve("keys.json"), TEAM_KEYS);
    Map<List<String>, Map<String, String>> runs = new LinkedHashMap<>();
    runs.put(
        teams(
            "--runner=DirectRunner",
            "--clickhousePassword=" + PASSWORD,
            "--projectKeys=" + TEAM_KEYS),
        Map.of());
    runs.put(
        teams("--runner=FlinkRunner", REMOTE_FLINK, "--projectKeysFile=" + keys),
        Map.of("CLICKHOUSE_PASSWORD", PASSWORD));
    runs.put(
        teams("--runner=FlinkRunner", REMOTE_FLINK),
        Map.of("CLICKHOUSE_PASSWORD", PASSWORD, "POSTHOG_PROJECT_KEYS", TEAM_KEYS));
    for (Map.Entry<List<String>, Map<String, String>> run : runs.entrySet()) {
      ClickHouseOptions o = options(ClickHouseOptions.class, run.getKey());
      Pipeline p = Pipeline.create(o);
      ClickHouseMigration.createTeams(o, env(run.getValue())).expand(p);
      SecretScan scan = scan().pipeline(p).options(o);
      scan.assertClean();
      assertTrue(scan.places() > 100, "searched " + scan.places() + " places");
    }
    ClickHouseOptions remote =
        options(
            ClickHouseOptions.class,
            teams("--runner=FlinkRunner", REMOTE_FLINK, "--projectKeys=" + TEAM_KEYS));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClickHouseMigration.createTeams(
                    remote, env(Map.of("CLICKHOUSE_PASSWORD", PASSWORD))));
    assertTrue(e.getMessage().startsWith("--projectKeys cannot be used with FlinkRunner"));
    scan().text("the message", e.getMessage()).assertClean();
  }

  /** {@link #clickhouse} for teams 2 and 5. */
  private List<String> teams(String... extra) {
    List<String> a = new ArrayList<>(clickhouse(extra));
    a.remove("--teamId=2");
    a.add("--teamIds=2,5");
    return a;
  }

  @Test
  void amplitudeOnTheDirectRunnerAndEmbeddedFlinkWithKeysAsFlags() throws Exception {
    for (String runner : List.of("--runner=DirectRunner", "--runner=FlinkRunner")) {
      amplitudeOn(
          amplitude(
              runner,
              "--amplitudeApiKey=" + AMPLITUDE_KEY,
              "--amplitudeSecretKey=" + AMPLITUDE_SECRET,
              "--posthogApiKey=" + POSTHOG_KEY),
          Map.of());
    }
  }

  @Test
  void amplitudeOnAFlinkClusterWithKeysFromTheEnvironment() throws Exception {
    amplitudeOn(
        amplitude("--runner=FlinkRunner", REMOTE_FLINK),
        Map.of(
            "AMPLITUDE_API_KEY", AMPLITUDE_KEY,
            "AMPLITUDE_SECRET_KEY", AMPLITUDE_SECRET,
            "POSTHOG_API_KEY", POSTHOG_KEY));
  }

  @Test
  void mixpanelWithTheSecretsAsFlagsAndOnAFlinkClusterFromTheEnvironment() throws Exception {
    List<List<String>> runs =
        List.of(
            List.of(
                "--runner=DirectRunner",
                "--mixpanelServiceAccountSecret=" + MIXPANEL_SECRET,
                "--posthogApiKey=" + POSTHOG_KEY),
            List.of(
                "--runner=FlinkRunner",
                "--mixpanelServiceAccountSecret=" + MIXPANEL_SECRET,
                "--posthogApiKey=" + POSTHOG_KEY),
            List.of("--runner=FlinkRunner", REMOTE_FLINK));
    for (List<String> extra : runs) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "--mixpanelUrl=http://127.0.0.1:9",
                  "--mixpanelServiceAccountUser=hogbeam.42.mp-service-account",
                  "--mixpanelProjectId=42",
                  "--startDate=2024-06-10",
                  "--endDate=2024-06-12",
                  "--posthogUrl=http://127.0.0.1:9/",
                  "--checkpointDir=" + tmp.resolve("ck-" + System.nanoTime())));
      args.addAll(extra);
      MixpanelOptions o = options(MixpanelOptions.class, args);
      Pipeline p = Pipeline.create(o);
      MixpanelMigration.create(
              o,
              env(
                  Map.of(
                      "MIXPANEL_SERVICE_ACCOUNT_SECRET", MIXPANEL_SECRET,
                      "POSTHOG_API_KEY", POSTHOG_KEY)))
          .expand(p);
      SecretScan scan =
          SecretScan.of(
                  List.of(MIXPANEL_SECRET, POSTHOG_KEY),
                  "hogbeam.42.mp-service-account:" + MIXPANEL_SECRET)
              .pipeline(p)
              .options(o);
      scan.assertClean();
      assertTrue(scan.places() > 50, "searched " + scan.places() + " places");
    }
  }

  @Test
  void jdbcOnTheDirectRunnerWithTheSecretsAsFlagsAndOnAFlinkClusterFromFiles() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        LocalPostgres.available(),
        "PostgreSQL is not installed (apt-get install -y postgresql; .ci/run installs it)");
    try (LocalPostgres pg = LocalPostgres.start()) {
      pg.execute("CREATE TABLE events (name text, who text, at timestamptz, props jsonb)");
      List<String> base =
          List.of(
              "--jdbcUrl=" + pg.jdbcUrl(),
              "--jdbcUser=" + LocalPostgres.USER,
              "--table=events",
              "--eventColumn=name",
              "--distinctIdColumn=who",
              "--timestampColumn=at",
              "--propertiesColumn=props",
              "--startDate=2024-03-01",
              "--endDate=2024-03-03",
              "--posthogUrl=http://127.0.0.1:9/");
      SecretScan scan =
          SecretScan.of(
              List.of(pg.password(), POSTHOG_KEY), AMPLITUDE_KEY + ":" + AMPLITUDE_SECRET);

      List<String> direct = new ArrayList<>(base);
      direct.addAll(
          List.of(
              "--runner=DirectRunner",
              "--jdbcPassword=" + pg.password(),
              "--posthogApiKey=" + POSTHOG_KEY,
              "--checkpointDir=" + tmp.resolve("ck-jdbc-direct")));
      JdbcOptions o = options(JdbcOptions.class, direct);
      Pipeline p = Pipeline.create(o);
      JdbcMigration.create(o, env(Map.of())).expand(p);
      scan.pipeline(p).options(o).assertClean();

      Path pw = Files.writeString(tmp.resolve("jdbc-pw"), pg.password() + "\n");
      List<String> cluster = new ArrayList<>(base);
      cluster.addAll(
          List.of(
              "--runner=FlinkRunner",
              REMOTE_FLINK,
              "--jdbcPasswordFile=" + pw,
              "--checkpointDir=" + tmp.resolve("ck-jdbc-cluster")));
      JdbcOptions c = options(JdbcOptions.class, cluster);
      Pipeline q = Pipeline.create(c);
      JdbcMigration.create(c, env(Map.of("POSTHOG_API_KEY", POSTHOG_KEY))).expand(q);
      SecretScan again =
          SecretScan.of(List.of(pg.password(), POSTHOG_KEY), AMPLITUDE_KEY + ":" + AMPLITUDE_SECRET)
              .pipeline(q)
              .options(c);
      again.assertClean();
      assertTrue(again.places() > 20, "searched " + again.places() + " places");
    }
  }

  @Test
  void filesFromS3WithTheKeysInTheSdksDefaultChain() throws Exception {
    // The S3 keys where the AWS SDK's default chain finds them; the PostHog key as a flag value
    // (DirectRunner) and from the environment (a Flink cluster). Neither may reach the pipeline.
    try (LocalS3 s3 = LocalS3.start()) {
      s3.put(
          "scan",
          "events/a.jsonl",
          "{\"event\":\"e\",\"distinct_id\":\"d\",\"timestamp\":\"2024-03-01T00:00:00Z\"}\n"
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      System.setProperty("aws.accessKeyId", LocalS3.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", LocalS3.SECRET_KEY);
      try {
        for (List<String> runner :
            List.of(
                List.of("--runner=DirectRunner", "--posthogApiKey=" + POSTHOG_KEY),
                List.of("--runner=FlinkRunner", REMOTE_FLINK))) {
          List<String> args =
              new ArrayList<>(
                  List.of(
                      "--format=posthog",
                      "--inputFiles=s3://scan/events/*.jsonl",
                      "--endpoint=" + s3.endpointByName(),
                      "--awsRegion=" + LocalS3.REGION,
                      "--s3PathStyleAccess=true",
                      "--posthogUrl=http://127.0.0.1:9/",
                      "--checkpointDir=" + tmp.resolve("ck-" + System.nanoTime())));
          args.addAll(runner);
          FilesOptions o = options(FilesOptions.class, args);
          ObjectStorage.configure(o, args.toArray(String[]::new));
          FileSystems.setDefaultPipelineOptions(o);
          Pipeline p = Pipeline.create(o);
          PostHogFilesMigration.create(o, env(Map.of("POSTHOG_API_KEY", POSTHOG_KEY))).expand(p);
          SecretScan scan =
              SecretScan.of(List.of(POSTHOG_KEY, LocalS3.SECRET_KEY)).pipeline(p).options(o);
          scan.assertClean();
          assertTrue(scan.places() > 20, "searched " + scan.places() + " places");
        }
      } finally {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
      }
    }
  }

  @Test
  void theScanFindsASecretWhereThereIsOne() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(org.apache.beam.sdk.transforms.Create.of(POSTHOG_KEY))
        .apply(
            org.apache.beam.sdk.transforms.MapElements.into(
                    org.apache.beam.sdk.values.TypeDescriptors.strings())
                .via((String s) -> s + PASSWORD));
    AssertionError e = assertThrows(AssertionError.class, () -> scan().pipeline(p).assertClean());
    assertTrue(e.getMessage().contains("Create.Values") && e.getMessage().contains(POSTHOG_KEY));
    assertTrue(e.getMessage().contains("the pipeline proto holds " + POSTHOG_KEY));
  }

  @Test
  void aSecretGivenAsAValueIsRefusedForARemoteRunner() {
    ClickHouseOptions o =
        options(
            ClickHouseOptions.class,
            clickhouse(
                "--runner=FlinkRunner",
                REMOTE_FLINK,
                "--clickhousePassword=" + PASSWORD,
                "--posthogApiKey=" + POSTHOG_KEY));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ClickHouseMigration.create(o, env(Map.of())));
    assertEquals(
        "--posthogApiKey cannot be used with FlinkRunner at"
            + " --flinkMaster=flink.example.internal:8081: the value would travel inside the job."
            + " Give --posthogApiKeyFile=<a file every worker can read, e.g. gs://...> (or"
            + " secretmanager:projects/P/secrets/S/versions/V), or set POSTHOG_API_KEY in the"
            + " environment of the launcher and of every worker",
        e.getMessage());
    scan().text("the message", e.getMessage()).assertClean();
  }
}
