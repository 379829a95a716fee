package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hogbeam.runners.RunnerDefaults.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.NettyShuffleEnvironmentOptions;
import org.junit.jupiter.api.Test;

class RunnerDefaultsTest {

  private static final String JAR = "/opt/hogbeam/hogbeam.jar";

  private final List<String> probed = new ArrayList<>();

  private RunnerDefaults withCluster(int taskManagers, int slots) {
    return new RunnerDefaults(
        master -> {
          probed.add(master);
          return new FlinkClusterProbe.Cluster(taskManagers, slots);
        },
        JAR,
        true,
        () -> null,
        2);
  }

  private RunnerDefaults unreachableCluster() {
    return new RunnerDefaults(
        master -> {
          probed.add(master);
          throw new IOException("Connection refused");
        },
        JAR,
        true,
        () -> null,
        2);
  }

  private static String[] args(String... args) {
    return args;
  }

  @Test
  void noRunnerMeansEmbeddedFlink() {
    assertArrayEquals(
        args(
            "--elements=5",
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--objectReuse=true",
            "--fasterCopy=true",
            "--parallelism=2",
            "--rateLimitShares=1"),
        unreachableCluster().apply(args("--elements=5")));
    assertEquals(List.of(), probed, "an embedded Flink is not probed");
  }

  @Test
  void embeddedFlinkGetsTheConfigurationDirectory() {
    RunnerDefaults defaults = new RunnerDefaults(master -> null, JAR, false, () -> "/tmp/conf", 2);
    assertArrayEquals(
        args(
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--objectReuse=true",
            "--fasterCopy=true",
            "--flinkConfDir=/tmp/conf",
            "--parallelism=2",
            "--rateLimitShares=1"),
        defaults.apply(args()));
  }

  @Test
  void aGivenFlinkConfDirWinsAndNoneIsMade() {
    RunnerDefaults defaults =
        new RunnerDefaults(
            master -> null,
            JAR,
            false,
            () -> {
              throw new AssertionError("no configuration directory should be made");
            },
            2);
    assertArrayEquals(
        args(
            "--flinkConfDir=/mine",
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--objectReuse=true",
            "--fasterCopy=true",
            "--parallelism=2",
            "--rateLimitShares=1"),
        defaults.apply(args("--flinkConfDir=/mine")));
  }

  @Test
  void aFlinkClusterGetsNoEmbeddedConfiguration() {
    RunnerDefaults defaults =
        new RunnerDefaults(
            master -> new FlinkClusterProbe.Cluster(1, 2),
            JAR,
            false,
            () -> {
              throw new AssertionError("a cluster has its own configuration");
            },
            2);
    String[] out = defaults.apply(args("--flinkMaster=127.0.0.1:8081"));
    assertEquals(false, List.of(out).stream().anyMatch(a -> a.startsWith("--flinkConfDir")));
  }

  @Test
  void theEmbeddedConfigurationSwitchesOffShuffleCompression() throws Exception {
    assumeTrue(System.getenv("FLINK_CONF_DIR") == null, "FLINK_CONF_DIR is set");
    String dir = RunnerDefaults.EmbeddedFlinkConf.temporary().directory();
    assertEquals(
        RunnerDefaults.EmbeddedFlinkConf.CONTENT, Files.readString(Path.of(dir, "config.yaml")));
    // Flink itself reads it so: the default (true) is overridden.
    assertEquals(
        true,
        new Configuration().get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
    assertEquals(
        false,
        GlobalConfiguration.loadConfiguration(dir)
            .get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
  }

  @Test
  void embeddedFlinkRunsAsManyTasksAsCoresUnlessTold() {
    RunnerDefaults eightCores = new RunnerDefaults(master -> null, JAR, false, () -> null, 8);
    assertEquals(
        List.of("--parallelism=8"),
        List.of(eightCores.apply(args())).stream()
            .filter(a -> a.startsWith("--parallelism"))
            .toList());
    assertEquals(
        List.of("--parallelism=1"),
        List.of(eightCores.apply(args("--parallelism=1"))).stream()
            .filter(a -> a.startsWith("--parallelism"))
            .toList());
  }

  @Test
  void explicitFlagsWin() {
    assertArrayEquals(
        args(
            "--runner=FlinkRunner",
            "--objectReuse=false",
            "--rateLimitShares=4",
            "--flinkMaster=[auto]",
            "--fasterCopy=true",
            "--parallelism=2"),
        unreachableCluster()
            .apply(
                args(
                    "--runner=FlinkRunner",
                    "--objectReuse=false",
                    "--rateLimitShares=4",
                    "--flinkMaster=[auto]")));
  }

  @Test
  void directRunnerSkipsTheEnforcementPasses() {
    assertArrayEquals(
        args(
            "--runner=DirectRunner",
            "--enforceImmutability=true",
            "--enforceEncodability=false",
            "--rateLimitShares=1"),
        unreachableCluster().apply(args("--runner=DirectRunner", "--enforceImmutability=true")));
  }

  @Test
  void flinkClusterGetsItsSlotsTaskManagersAndTheJar() {
    assertArrayEquals(
        args(
            "--runner=FlinkRunner",
            "--flinkMaster=10.0.0.5:8081",
            "--objectReuse=true",
            "--fasterCopy=true",
            "--filesToStage=" + JAR,
            "--parallelism=12",
            "--rateLimitShares=3"),
        withCluster(3, 12).apply(args("--runner=FlinkRunner", "--flinkMaster=10.0.0.5:8081")));
    assertEquals(List.of("10.0.0.5:8081"), probed);
  }

  @Test
  void explicitSharesAndParallelismNeedNoProbe() {
    String[] given =
        args("--flinkMaster=h:1", "--parallelism=2", "--rateLimitShares=5", "--filesToStage=x.jar");
    assertArrayEquals(
        args(
            "--flinkMaster=h:1",
            "--parallelism=2",
            "--rateLimitShares=5",
            "--filesToStage=x.jar",
            "--runner=FlinkRunner",
            "--objectReuse=true",
            "--fasterCopy=true"),
        unreachableCluster().apply(given));
    assertEquals(List.of(), probed);
  }

  @Test
  void explicitSharesWinOverTheCluster() {
    String[] applied = withCluster(2, 4).apply(args("--flinkMaster=h:1", "--rateLimitShares=7"));
    assertEquals("7", Flags.of(applied).value("rateLimitShares").orElseThrow());
    assertEquals("4", Flags.of(applied).value("parallelism").orElseThrow());
  }

  @Test
  void unreachableClusterWithoutSharesIsAUsageError() {
    UsageException e =
        assertThrows(
            UsageException.class, () -> unreachableCluster().apply(args("--flinkMaster=h:1")));
    assertEquals(
        "cannot count the TaskManagers of the Flink cluster at --flinkMaster=h:1 (Connection"
            + " refused); check --flinkMaster, or pass --rateLimitShares=<number of TaskManagers>",
        e.getMessage());
  }

  @Test
  void unreachableClusterWithSharesKeepsThem() {
    String[] applied = unreachableCluster().apply(args("--flinkMaster=h:1", "--rateLimitShares=2"));
    assertEquals("2", Flags.of(applied).value("rateLimitShares").orElseThrow());
    assertEquals(false, Flags.of(applied).has("parallelism"));
  }

  @Test
  void clusterWithoutTaskManagersIsAUsageError() {
    UsageException e =
        assertThrows(
            UsageException.class, () -> withCluster(0, 0).apply(args("--flinkMaster=h:1")));
    assertEquals(
        "cannot count the TaskManagers of the Flink cluster at --flinkMaster=h:1 (no TaskManager"
            + " has registered with it); check --flinkMaster, or pass --rateLimitShares=<number of"
            + " TaskManagers>",
        e.getMessage());
  }

  @Test
  void dataflowSharesFollowTheWorkerCap() {
    RunnerDefaults defaults = withCluster(1, 1);
    assertArrayEquals(
        args("--runner=DataflowRunner", "--maxNumWorkers=8", "--rateLimitShares=8"),
        defaults.apply(args("--runner=DataflowRunner")));
    assertArrayEquals(
        args("--runner=DataflowRunner", "--maxNumWorkers=20", "--rateLimitShares=20"),
        defaults.apply(args("--runner=DataflowRunner", "--maxNumWorkers=20")));
    assertArrayEquals(
        args(
            "--runner=DataflowRunner",
            "--numWorkers=12",
            "--maxNumWorkers=12",
            "--rateLimitShares=12"),
        defaults.apply(args("--runner=DataflowRunner", "--numWorkers=12")));
  }

  @Test
  void dataflowBadWorkerCountNamesTheFlag() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> withCluster(1, 1).apply(args("--runner=DataflowRunner", "--maxNumWorkers=lots")));
    assertEquals("--maxNumWorkers must be a positive integer, but was 'lots'", e.getMessage());
  }

  @Test
  void dataflowWithoutTheRunnerInTheJar() {
    RunnerDefaults noDataflow = new RunnerDefaults(master -> null, JAR, false, () -> null, 2);
    UsageException e =
        assertThrows(UsageException.class, () -> noDataflow.apply(args("--runner=DataflowRunner")));
    assertEquals(
        "--runner=DataflowRunner: this hogbeam.jar has no Dataflow runner; build one with"
            + " mvn -Pdataflow -DskipTests package",
        e.getMessage());
  }

  @Test
  void badSharesAreAUsageErrorOnEveryRunner() {
    assertThrows(
        UsageException.class,
        () -> withCluster(1, 1).apply(args("--runner=DirectRunner", "--rateLimitShares=0")));
  }

  @Test
  void helpPassesThroughUntouched() {
    String[] help = args("--runner=DataflowRunner", "--help=DataflowPipelineOptions");
    assertSame(help, new RunnerDefaults(master -> null, null, false, () -> null, 2).apply(help));
  }

  @Test
  void otherRunnersGetNoDefaults() {
    assertArrayEquals(
        args("--runner=SparkRunner"), withCluster(1, 1).apply(args("--runner=SparkRunner")));
  }

  @Test
  void runnerNamesLikeBeam() {
    assertEquals(Runner.DIRECT, Runner.of("DirectRunner"));
    assertEquals(Runner.DIRECT, Runner.of("direct"));
    assertEquals(Runner.FLINK, Runner.of("org.apache.beam.runners.flink.FlinkRunner"));
    assertEquals(Runner.FLINK, Runner.of("flinkrunner"));
    assertEquals(Runner.FLINK, Runner.of("TestFlinkRunner"));
    assertEquals(Runner.DATAFLOW, Runner.of("Dataflow"));
    assertEquals(Runner.OTHER, Runner.of("PrismRunner"));
  }

  @Test
  void embeddedFlinkMasters() {
    assertEquals(true, RunnerDefaults.isEmbeddedFlink("[local]"));
    assertEquals(true, RunnerDefaults.isEmbeddedFlink("[auto]"));
    assertEquals(true, RunnerDefaults.isEmbeddedFlink("[collection]"));
    assertEquals(false, RunnerDefaults.isEmbeddedFlink("localhost:8081"));
  }

  @Test
  void sharesArithmetic() {
    assertEquals(3, RunnerDefaults.flinkClusterShares(new FlinkClusterProbe.Cluster(3, 12)));
    assertEquals(8, RunnerDefaults.dataflowShares(8, 0));
    assertEquals(12, RunnerDefaults.dataflowShares(8, 12));
    assertEquals(1, RunnerDefaults.dataflowShares(0, 0));
  }
}
