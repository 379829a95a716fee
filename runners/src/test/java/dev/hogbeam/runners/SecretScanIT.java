package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.runners.JarProcess.Result;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeAmplitudeExportServer;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.LocalClickHouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar hogbeam.jar} run with known secret strings, each migration on the DirectRunner
 * and on an embedded Flink, plus a run that fails: no file the run leaves (checkpoints, plan, run
 * and report files, dead letters, downloads, whatever the JVM put in its temporary directory) and
 * neither stdout nor stderr (where the logs go) holds a secret. The serialized pipeline is searched
 * by {@link SerializedPipelineSecretsTest}.
 */
class SecretScanIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final String PASSWORD = "chpw-Zq81-jar-scan";
  private static final String POSTHOG_KEY = "phc_jarScanSecretKey4410";
  private static final String AMPLITUDE_KEY = "ampkey-jar-scan-7781";
  private static final String AMPLITUDE_SECRET = "ampsecret-jar-scan-2209";

  static LocalClickHouse ch;
  static String db;

  @TempDir Path tmp;

  @BeforeAll
  static void source() {
    SecretScan.Source source = SecretScan.clickHouseWithPassword(PASSWORD, 300);
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
        List.of(PASSWORD, POSTHOG_KEY, AMPLITUDE_KEY, AMPLITUDE_SECRET),
        AMPLITUDE_KEY + ":" + AMPLITUDE_SECRET);
  }

  /** The jar in a child JVM whose temporary directory is {@code tmp/jvm} (scanned too). */
  private Result hogbeam(Map<String, String> env, List<String> args) throws Exception {
    Path jvmTmp = Files.createDirectories(tmp.resolve("jvm"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-Djava.io.tmpdir=" + jvmTmp);
    command.add("-jar");
    command.add(JarProcess.jar().toString());
    command.addAll(args);
    return JarProcess.run(TIMEOUT, env, command);
  }

  private void assertNoSecretLeft(Result run) throws Exception {
    SecretScan scan = scan().text("stdout", run.stdout()).text("stderr", run.stderr()).files(tmp);
    scan.assertClean();
    assertTrue(scan.places() > 5, "searched " + scan.places() + " places:\n" + run.describe());
  }

  private List<String> clickhouse(FakeCaptureServer capture, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "clickhouse",
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=migrator",
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=2024-03-01",
                "--endDate=2024-03-03",
                "--posthogUrl=" + capture.url(),
                "--batchSize=50",
                "--progressIntervalSeconds=1",
                "--checkpointDir=" + tmp.resolve("ck"),
                "--deadLetterDir=" + tmp.resolve("dead")));
    a.addAll(List.of(extra));
    return a;
  }

  @Test
  void clickHouseOnTheDirectRunnerWithSecretsAsFlags() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      Result run =
          hogbeam(
              Map.of(),
              clickhouse(
                  capture,
                  "--runner=DirectRunner",
                  "--clickhousePassword=" + PASSWORD,
                  "--posthogApiKey=" + POSTHOG_KEY));
      assertEquals(0, run.exitCode(), run.describe());
      assertTrue(capture.acceptedEventCount() > 0, run.describe());
      assertNoSecretLeft(run);
    }
  }

  @Test
  void clickHouseOnEmbeddedFlinkWithSecretsFromAFileAndTheEnvironment() throws Exception {
    Path pw =
        Files.writeString(
            Files.createDirectories(tmp.resolve("secrets")).resolve("pw"), PASSWORD + "\n");
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      Result run =
          hogbeam(
              Map.of("POSTHOG_API_KEY", POSTHOG_KEY),
              clickhouse(capture, "--clickhousePasswordFile=" + pw));
      assertEquals(0, run.exitCode(), run.describe());
      assertTrue(capture.acceptedEventCount() > 0, run.describe());
      Files.delete(pw);
      assertNoSecretLeft(run);
    }
  }

  @Test
  void aFailedRunOnEmbeddedFlink() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      capture.setFaultPlan(FaultPlan.always(Fault.status(503)).batchOnly());
      Result run =
          hogbeam(
              Map.of("CLICKHOUSE_PASSWORD", PASSWORD),
              clickhouse(capture, "--posthogApiKey=" + POSTHOG_KEY, "--maxAttempts=1"));
      assertEquals(1, run.exitCode(), run.describe());
      assertTrue(run.stderr().contains("To resume, run the same command again"), run.describe());
      assertNoSecretLeft(run);
    }
  }

  @Test
  void amplitudeExportOnTheDirectRunnerAndOnEmbeddedFlink() throws Exception {
    try (FakeAmplitudeExportServer amplitude =
            FakeAmplitudeExportServer.start(AMPLITUDE_KEY, AMPLITUDE_SECRET);
        FakeCaptureServer capture = FakeCaptureServer.start()) {
      for (int h = 0; h < 2; h++) {
        String hour = "20240610T0" + h;
        amplitude.putHour(
            hour,
            new AmplitudeExportZipBuilder("456")
                .file(
                    hour,
                    0,
                    List.of(
                        AmplitudeExportZipBuilder.webEvent(
                                "00000000-0000-4000-8000-00000000002" + h,
                                "Opened",
                                "u" + h,
                                "d" + h,
                                "2024-06-10 0" + h + ":30:00")
                            .toString(),
                        "{not json"))
                .build());
      }
      List<String> common =
          List.of(
              "amplitude",
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--startDate=2024-06-10",
              "--endDate=2024-06-10T02:00",
              "--posthogUrl=" + capture.url(),
              "--progressIntervalSeconds=1");
      List<String> direct = new ArrayList<>(common);
      direct.addAll(
          List.of(
              "--runner=DirectRunner",
              "--checkpointDir=" + tmp.resolve("ck-direct"),
              "--amplitudeApiKey=" + AMPLITUDE_KEY,
              "--amplitudeSecretKey=" + AMPLITUDE_SECRET,
              "--posthogApiKey=" + POSTHOG_KEY));
      Result first = hogbeam(Map.of(), direct);
      assertEquals(3, first.exitCode(), "dead letters: " + first.describe());
      List<String> flink = new ArrayList<>(common);
      flink.add("--checkpointDir=" + tmp.resolve("ck-flink"));
      Result second =
          hogbeam(
              Map.of(
                  "AMPLITUDE_API_KEY", AMPLITUDE_KEY,
                  "AMPLITUDE_SECRET_KEY", AMPLITUDE_SECRET,
                  "POSTHOG_API_KEY", POSTHOG_KEY),
              flink);
      assertEquals(3, second.exitCode(), second.describe());
      assertTrue(capture.acceptedEventCount() >= 2, second.describe());
      assertNoSecretLeft(first);
      assertNoSecretLeft(second);
    }
  }
}
