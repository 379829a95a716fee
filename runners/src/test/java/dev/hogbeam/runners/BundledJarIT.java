package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.runners.JarProcess.Result;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/** {@code java -jar runners/target/hogbeam.jar ...} as a user runs it. */
class BundledJarIT {

  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  @Test
  void helpListsTheSubcommands() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "--help");
    assertEquals(0, result.exitCode(), result.describe());
    assertTrue(
        result
            .stdout()
            .contains(
                "\nSubcommands:\n"
                    + "  clickhouse  Migrate a self-hosted PostHog's ClickHouse events into PostHog\n"
                    + "  amplitude   Migrate Amplitude export files, or Amplitude's Export API, into"
                    + " PostHog\n"
                    + "  jdbc        Migrate events from any SQL table or query (PostgreSQL,"
                    + " MariaDB/MySQL, other JDBC drivers) into PostHog\n"
                    + "  mixpanel    Migrate Mixpanel's raw Export API, or Mixpanel export files,"
                    + " into PostHog\n"
                    + "  files       Migrate event files (PostHog, Amplitude, Mixpanel shapes; JSON"
                    + " lines, gzip, zip) from local disk, s3:// or gs:// into PostHog\n"
                    + "  verify      Compare a finished migration with PostHog per day and event;"
                    + " --repair re-sends what is missing\n"
                    + "  demo        Migrate sample PostHog data from a local ClickHouse engine to a"
                    + " local capture endpoint\n"
                    + "  selftest    Run a small GroupByKey pipeline on the chosen runner and check"
                    + " its result\n"),
        result.describe());
  }

  @Test
  void unknownSubcommandIsAUsageError() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "clickhuose", "--runner=DirectRunner");
    assertEquals(2, result.exitCode(), result.describe());
    assertEquals("", result.stdout());
    assertEquals(
        "hogbeam: unknown subcommand 'clickhuose'; the subcommands are: clickhouse, amplitude,"
            + " jdbc, mixpanel, files, verify, demo, selftest (see --help)\n",
        result.stderr());
  }

  @Test
  void selftestOnTheDirectRunner() throws Exception {
    Result result =
        JarProcess.hogbeam(TIMEOUT, "selftest", "--runner=DirectRunner", "--elements=100000");
    assertEquals(0, result.exitCode(), result.describe());
    assertEquals(
        "selftest OK: 100000 elements in 10 groups on DirectRunner, rateLimitShares=1\n",
        result.stdout(),
        result.describe());
  }

  @Test
  void selftestOnEmbeddedFlinkByDefault() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "selftest", "--elements=100000", "--keys=7");
    assertEquals(0, result.exitCode(), result.describe());
    assertEquals(
        "selftest OK: 100000 elements in 7 groups on FlinkRunner, rateLimitShares=1\n",
        result.stdout(),
        result.describe());
  }

  @Test
  void misspelledFlagIsAUsageError() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "selftest", "--elemnts=5");
    assertEquals(2, result.exitCode(), result.describe());
    assertEquals("", result.stdout());
    assertTrue(
        result
            .stderr()
            .contains(
                "hogbeam selftest: Class interface dev.hogbeam.runners.SelfTestOptions missing a"
                    + " property named 'elemnts'. Did you mean 'elements'?"),
        result.describe());
  }

  @Test
  void badValueIsAUsageError() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "selftest", "--keys=0");
    assertEquals(2, result.exitCode(), result.describe());
    assertEquals("hogbeam selftest: --keys must be >= 1, but was 0\n", result.stderr());
  }

  @Test
  @DisabledIfSystemProperty(named = "hogbeam.dataflow", matches = "true")
  void dataflowNeedsTheDataflowBuild() throws Exception {
    Result result = JarProcess.hogbeam(TIMEOUT, "selftest", "--runner=DataflowRunner");
    assertEquals(2, result.exitCode(), result.describe());
    assertEquals(
        "hogbeam selftest: --runner=DataflowRunner: this hogbeam.jar has no Dataflow runner;"
            + " build one with mvn -Pdataflow -DskipTests package\n",
        result.stderr());
  }
}
