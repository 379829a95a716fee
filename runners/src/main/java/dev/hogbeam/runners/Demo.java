package dev.hogbeam.runners;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hogbeam demo}: the ClickHouse migration end to end on one machine, with nothing to set up.
 * It starts the local ClickHouse engine (installed from npm on first use), loads sample PostHog
 * events into a PostHog {@code events} table, starts a local capture endpoint that behaves like
 * PostHog's, runs {@code hogbeam clickhouse} from one to the other, and shows what arrived.
 *
 * <p>Flags: {@code --events=N} (events per team and day, default 5000); every other flag goes to
 * {@code hogbeam clickhouse} (e.g. {@code --runner=DirectRunner}, {@code --orderBy=person}, {@code
 * --maxEventsPerSecond=2000}).
 *
 * <p>The local engine, the capture endpoint and the data generator are the testing kit, which
 * {@code hogbeam.jar} does not carry: the build puts it next to it as {@value #TESTING_JAR}. Where
 * the kit is not on the classpath, the demo runs in a child JVM (the same {@code java} and JVM
 * flags) with the classpath {@code hogbeam.jar:hogbeam-testing.jar}, and ends with its exit code.
 */
public final class Demo {
  static final String DEMO_KEY = "phc_hogbeam_demo_project_key";
  static final LocalDate FIRST_DAY = LocalDate.of(2024, 3, 1);
  static final int DAYS = 3;

  /** The testing kit's jar, next to {@code hogbeam.jar}. */
  static final String TESTING_JAR = "hogbeam-testing.jar";

  private static final String KIT_CLASS = "dev/hogbeam/testing/LocalClickHouse.class";

  public static final Subcommand SUBCOMMAND =
      Subcommand.of(
          "demo",
          "Migrate sample PostHog data from a local ClickHouse engine to a local capture endpoint",
          args -> run(args, System.out));

  private Demo() {}

  static int run(String[] args, PrintStream out) throws Exception {
    if (Demo.class.getClassLoader().getResource(KIT_CLASS) != null) {
      return DemoRun.run(args, out);
    }
    return runWithTestingJar(args, System.err);
  }

  /** Runs the demo in a child JVM whose classpath adds {@value #TESTING_JAR} to this jar. */
  private static int runWithTestingJar(String[] args, PrintStream err) throws Exception {
    Path jar = runningJar();
    Path kit = jar == null ? Path.of(TESTING_JAR) : jar.resolveSibling(TESTING_JAR);
    if (jar == null || !Files.isRegularFile(kit)) {
      err.println(
          "hogbeam demo: the demo needs the testing kit (the local ClickHouse engine, the capture"
              + " endpoint, the data generator) in "
              + kit.toAbsolutePath()
              + ", next to hogbeam.jar, and it is missing. The build makes both:"
              + " mvn -q -DskipTests package && java -jar runners/target/hogbeam.jar demo");
      return ExitCodes.FAILED;
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(jar + java.io.File.pathSeparator + kit);
    command.add(Hogbeam.class.getName());
    command.add("demo");
    command.addAll(List.of(args));
    Process child = new ProcessBuilder(command).inheritIO().start();
    Thread stopChild = new Thread(child::destroy, "hogbeam-demo-stop");
    Runtime.getRuntime().addShutdownHook(stopChild);
    try {
      return child.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stopChild);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook stops the child
      }
    }
  }

  private static Path runningJar() {
    try {
      Path location =
          Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(location) ? location.toAbsolutePath() : null;
    } catch (Exception e) {
      return null;
    }
  }
}
