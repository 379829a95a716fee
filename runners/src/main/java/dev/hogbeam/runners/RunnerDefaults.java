package dev.hogbeam.runners;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner-specific defaults of {@code hogbeam.jar}, all in one place. They are applied to the
 * command line before Beam parses it, and only for flags the user did not give: explicit flags
 * always win.
 *
 * <ul>
 *   <li>no {@code --runner}: {@value #DEFAULT_RUNNER} on an embedded Flink ({@code
 *       --flinkMaster=[local]}), the local runner whose memory stays bounded whatever the size of a
 *       day (README, "Runners": the DirectRunner keeps every group on the heap).
 *   <li>DirectRunner: {@code --enforceImmutability=false --enforceEncodability=false}. The checks
 *       re-encode every element to catch DoFn bugs; the tests (TestPipeline) keep them on, a
 *       migration does not pay for them twice over.
 *   <li>embedded Flink: {@code --flinkConfDir} = a directory holding {@link
 *       EmbeddedFlinkConf#CONTENT} (unless the user gave one, or {@code FLINK_CONF_DIR} is set): it
 *       switches off the LZ4 compression of batch shuffle data, which inside one JVM only costs CPU
 *       (measured: 8% of the pipeline's CPU time on a 1M-event migration); {@code --parallelism} =
 *       the machine's cores, so that groups are sorted and sent side by side (measured on 2 cores:
 *       a 1M-event migration 12% faster than with Flink's default of 1).
 *   <li>Flink: {@code --objectReuse=true --fasterCopy=true}: hogbeam's DoFns never mutate an
 *       element they received or emitted (TestPipeline's DirectRunner enforces it in the tests), so
 *       Flink may hand records to the next chained operator as they are instead of cloning each one
 *       through its coder. No checkpointing (Beam's default for batch; a bounded job resumes from
 *       hogbeam's own checkpoints). On a cluster, {@code --parallelism} = the cluster's task slots
 *       and {@code --filesToStage} = this jar.
 *   <li>Dataflow: {@code --maxNumWorkers} = {@value #DEFAULT_DATAFLOW_MAX_WORKERS} (or {@code
 *       --numWorkers} if larger) so that the rate budget has a known number of shares.
 *   <li>every runner: {@code --rateLimitShares}, the number of worker JVMs that share the job-wide
 *       events/s budget ({@link RunnerOptions}).
 * </ul>
 */
public final class RunnerDefaults {

  private static final Logger LOG = LoggerFactory.getLogger(RunnerDefaults.class);

  static final String DEFAULT_RUNNER = "FlinkRunner";
  static final String EMBEDDED_FLINK = "[local]";
  static final int DEFAULT_DATAFLOW_MAX_WORKERS = 8;
  static final String RATE_LIMIT_SHARES = "rateLimitShares";

  private static final Set<String> EMBEDDED_FLINK_MASTERS =
      Set.of("[local]", "[auto]", "[collection]");

  /** The runners the defaults know, from a {@code --runner} value. */
  enum Runner {
    DIRECT,
    FLINK,
    DATAFLOW,
    OTHER;

    /**
     * Like Beam: the class's simple name or its short form, case-insensitive ({@code DirectRunner},
     * {@code direct}, {@code org.apache.beam.runners.flink.FlinkRunner}).
     */
    static Runner of(String runnerFlag) {
      String simple =
          runnerFlag.substring(runnerFlag.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
      String name = simple.endsWith("runner") ? simple.substring(0, simple.length() - 6) : simple;
      switch (name) {
        case "direct":
          return DIRECT;
        case "flink":
        case "testflink":
          return FLINK;
        case "dataflow":
        case "testdataflow":
          return DATAFLOW;
        default:
          return OTHER;
      }
    }
  }

  /** The Flink configuration directory given to an embedded Flink, made on first use. */
  @FunctionalInterface
  interface EmbeddedFlinkConf {
    /**
     * What the directory's {@code config.yaml} holds. Shuffle data between tasks of one JVM never
     * leaves memory, so compressing it (Flink's default for batch jobs) only costs CPU.
     */
    String CONTENT = "taskmanager.network.batch-shuffle.compression.enabled: false\n";

    /** The directory, or null to leave Flink's configuration alone. */
    @Nullable String directory();

    /**
     * A temporary directory deleted at exit, or null when {@code FLINK_CONF_DIR} is set (the user's
     * own configuration then applies).
     */
    static EmbeddedFlinkConf temporary() {
      return () -> {
        if (System.getenv("FLINK_CONF_DIR") != null) {
          return null;
        }
        try {
          Path dir = Files.createTempDirectory("hogbeam-flink-conf-");
          dir.toFile().deleteOnExit();
          Path file = Files.writeString(dir.resolve("config.yaml"), CONTENT);
          file.toFile().deleteOnExit();
          return dir.toString();
        } catch (IOException e) {
          LOG.warn(
              "Cannot write a Flink configuration for the embedded Flink ({}); using Flink's"
                  + " defaults",
              e.getMessage());
          return null;
        }
      };
    }
  }

  private final FlinkClusterProbe flinkClusterProbe;
  private final @Nullable String ownJar;
  private final boolean dataflowInJar;
  private final EmbeddedFlinkConf embeddedFlinkConf;
  private final int embeddedParallelism;

  /**
   * @param flinkClusterProbe asks a Flink cluster for its size
   * @param ownJar the bundled jar to stage on a Flink cluster, or null to let Beam stage the
   *     classpath
   * @param dataflowInJar whether the Dataflow runner is on the classpath (mvn -Pdataflow)
   * @param embeddedFlinkConf the configuration directory for an embedded Flink
   * @param embeddedParallelism the parallelism of an embedded Flink (the machine's cores)
   */
  RunnerDefaults(
      FlinkClusterProbe flinkClusterProbe,
      @Nullable String ownJar,
      boolean dataflowInJar,
      EmbeddedFlinkConf embeddedFlinkConf,
      int embeddedParallelism) {
    this.flinkClusterProbe = flinkClusterProbe;
    this.ownJar = ownJar;
    this.dataflowInJar = dataflowInJar;
    this.embeddedFlinkConf = embeddedFlinkConf;
    this.embeddedParallelism = Math.max(1, embeddedParallelism);
  }

  /** The defaults for this process: the REST probe, the jar it runs from, its runners. */
  public static RunnerDefaults create() {
    return new RunnerDefaults(
        FlinkClusterProbe.rest(Duration.ofSeconds(10)),
        runningJar(),
        onClasspath("org.apache.beam.runners.dataflow.DataflowRunner"),
        EmbeddedFlinkConf.temporary(),
        Runtime.getRuntime().availableProcessors());
  }

  /**
   * The command line with the runner defaults added.
   *
   * @throws UsageException when a flag the defaults depend on is wrong, or a Flink cluster cannot
   *     be asked for its size and {@code --rateLimitShares} was not given
   */
  public String[] apply(String[] args) {
    Flags flags = Flags.of(args);
    if (flags.helpRequested()) {
      return args;
    }
    flags.positiveInt(RATE_LIMIT_SHARES);
    flags = flags.withDefault("runner", DEFAULT_RUNNER);
    switch (Runner.of(flags.value("runner").orElseThrow())) {
      case DIRECT:
        return direct(flags).toArray();
      case FLINK:
        return flink(flags).toArray();
      case DATAFLOW:
        return dataflow(flags).toArray();
      default:
        return flags.toArray();
    }
  }

  private static Flags direct(Flags flags) {
    return flags
        .withDefault("enforceImmutability", false)
        .withDefault("enforceEncodability", false)
        .withDefault(RATE_LIMIT_SHARES, 1);
  }

  private Flags flink(Flags flags) {
    flags =
        flags
            .withDefault("flinkMaster", EMBEDDED_FLINK)
            .withDefault("objectReuse", true)
            .withDefault("fasterCopy", true);
    String master = flags.value("flinkMaster").orElseThrow();
    if (isEmbeddedFlink(master)) {
      if (!flags.has("flinkConfDir")) {
        String conf = embeddedFlinkConf.directory();
        if (conf != null) {
          flags = flags.withDefault("flinkConfDir", conf);
        }
      }
      // One JVM: its writers share one rate limiter, so the budget has one share.
      return flags
          .withDefault("parallelism", embeddedParallelism)
          .withDefault(RATE_LIMIT_SHARES, 1);
    }
    if (ownJar != null) {
      flags = flags.withDefault("filesToStage", ownJar);
    }
    if (flags.has("parallelism") && flags.has(RATE_LIMIT_SHARES)) {
      return flags;
    }
    FlinkClusterProbe.Cluster cluster;
    try {
      cluster = flinkClusterProbe.probe(master);
      if (cluster.taskManagers() == 0) {
        throw new IOException("no TaskManager has registered with it");
      }
    } catch (IOException e) {
      if (!flags.has(RATE_LIMIT_SHARES)) {
        throw new UsageException(
            "cannot count the TaskManagers of the Flink cluster at --flinkMaster="
                + master
                + " ("
                + e.getMessage()
                + "); check --flinkMaster, or pass --rateLimitShares=<number of TaskManagers>",
            e);
      }
      LOG.warn(
          "Cannot ask the Flink cluster at {} for its size ({}); using --rateLimitShares={} and"
              + " Flink's default parallelism (pass --parallelism to choose)",
          master,
          e.getMessage(),
          flags.value(RATE_LIMIT_SHARES).orElseThrow());
      return flags;
    }
    Optional<Integer> explicitShares = flags.positiveInt(RATE_LIMIT_SHARES);
    if (explicitShares.isPresent() && explicitShares.get() != cluster.taskManagers()) {
      LOG.warn(
          "--rateLimitShares={} but the Flink cluster at {} has {} TaskManagers; keeping {}",
          explicitShares.get(),
          master,
          cluster.taskManagers(),
          explicitShares.get());
    }
    flags =
        flags
            .withDefault("parallelism", cluster.slots())
            .withDefault(RATE_LIMIT_SHARES, flinkClusterShares(cluster));
    LOG.info(
        "Flink cluster at {}: {} TaskManagers, {} task slots; running with --parallelism={}"
            + " --rateLimitShares={}, staging {}",
        master,
        cluster.taskManagers(),
        cluster.slots(),
        flags.value("parallelism").orElseThrow(),
        flags.value(RATE_LIMIT_SHARES).orElseThrow(),
        flags.value("filesToStage").orElse("the classpath"));
    return flags;
  }

  private Flags dataflow(Flags flags) {
    if (!dataflowInJar) {
      throw new UsageException(
          "--runner=DataflowRunner: this hogbeam.jar has no Dataflow runner; build one with"
              + " mvn -Pdataflow -DskipTests package");
    }
    int numWorkers = flags.positiveInt("numWorkers").orElse(0);
    int maxNumWorkers =
        flags
            .positiveInt("maxNumWorkers")
            .orElse(Math.max(DEFAULT_DATAFLOW_MAX_WORKERS, numWorkers));
    return flags
        .withDefault("maxNumWorkers", maxNumWorkers)
        .withDefault(RATE_LIMIT_SHARES, dataflowShares(maxNumWorkers, numWorkers));
  }

  /** {@code [local]}, {@code [auto]} and {@code [collection]} run Flink inside this JVM. */
  static boolean isEmbeddedFlink(String flinkMaster) {
    return EMBEDDED_FLINK_MASTERS.contains(flinkMaster);
  }

  /** One share per TaskManager: each TaskManager is one JVM running the writer. */
  static int flinkClusterShares(FlinkClusterProbe.Cluster cluster) {
    return Math.max(1, cluster.taskManagers());
  }

  /**
   * Dataflow runs at most {@code maxNumWorkers} worker VMs (one JVM each); with autoscaling off it
   * runs {@code numWorkers}. Counting the larger never lets the workers together exceed the budget.
   */
  static int dataflowShares(int maxNumWorkers, int numWorkers) {
    return Math.max(1, Math.max(maxNumWorkers, numWorkers));
  }

  private static boolean onClasspath(String className) {
    try {
      Class.forName(className, false, RunnerDefaults.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** The jar this class was loaded from, or null when running from class directories. */
  private static @Nullable String runningJar() {
    try {
      Path location =
          Path.of(RunnerDefaults.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(location) && location.toString().endsWith(".jar")
          ? location.toAbsolutePath().toString()
          : null;
    } catch (Exception e) {
      return null;
    }
  }
}
