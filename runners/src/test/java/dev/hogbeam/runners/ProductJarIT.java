package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.runners.JarProcess.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the two jars of the build carry: {@code hogbeam.jar} (the product) no test classes, no
 * testing kit, no fixtures and no benchmarks; {@code hogbeam-testing.jar} (next to it, for {@code
 * hogbeam.jar demo}) the kit and JNA, and no tests.
 */
class ProductJarIT {

  /**
   * Class names of tests and test helpers in hogbeam's packages: *Test* and *IT (with their nested
   * classes). The {@code selftest} subcommand's classes ({@code SelfTest}, {@code SelfTestOptions})
   * are product code and named so on purpose.
   */
  private static final Pattern HOGBEAM_TEST_CLASS =
      Pattern.compile(
          "dev/hogbeam/(?!runners/SelfTest)(.*/)?([^/$]*Test[^/]*|[^/$]*IT(\\$[^/]*)?\\.class)");

  private static List<String> entries(Path jar) throws IOException {
    List<String> names = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (JarEntry e : (Iterable<JarEntry>) file.stream()::iterator) {
        if (!e.isDirectory()) {
          names.add(e.getName());
        }
      }
    }
    return names;
  }

  /** Every class compiled from a module's src/test, as a jar entry name. */
  private static Set<String> compiledTestClasses() throws IOException {
    Path root = Path.of(System.getProperty("hogbeam.root", "..")).toAbsolutePath().normalize();
    Set<String> names = new TreeSet<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.toList()) {
        Path classes = module.resolve("target/test-classes");
        if (!Files.isDirectory(classes)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(classes)) {
          files
              .filter(f -> f.toString().endsWith(".class"))
              .forEach(f -> names.add(classes.relativize(f).toString().replace('\\', '/')));
        }
      }
    }
    return names;
  }

  private static List<String> matching(List<String> entries, Pattern pattern) {
    return entries.stream().filter(e -> pattern.matcher(e).matches()).toList();
  }

  @Test
  void theProductJarCarriesNoTestsNoTestingKitNoFixturesAndNoBenchmarks() throws IOException {
    List<String> entries = entries(JarProcess.jar());
    assertTrue(entries.contains("dev/hogbeam/runners/Hogbeam.class"), "the launcher is there");
    assertTrue(entries.contains("dev/hogbeam/runners/Demo.class"), "the demo command is there");
    assertEquals(
        List.of(), matching(entries, Pattern.compile("dev/hogbeam/testing/.*")), "testing kit");
    assertEquals(List.of(), matching(entries, HOGBEAM_TEST_CLASS), "hogbeam test classes");
    Set<String> testClasses = compiledTestClasses();
    assertTrue(
        testClasses.contains("dev/hogbeam/runners/ProductJarIT.class"),
        "the build's test classes are found: " + testClasses.size());
    assertEquals(
        List.of(),
        entries.stream().filter(testClasses::contains).toList(),
        "classes compiled from src/test of any module");
    assertEquals(
        List.of(), matching(entries, Pattern.compile("(.*/)?posthog-events\\.sql")), "fixtures");
    assertEquals(
        List.of(),
        matching(entries, Pattern.compile("dev/hogbeam/runners/bench/.*")),
        "benchmarks");
  }

  @Test
  void theTestingJarCarriesTheKitAndJnaButNoTests() throws IOException {
    Path kit = Path.of(System.getProperty("hogbeam.testingJar", "target/hogbeam-testing.jar"));
    assertTrue(Files.isRegularFile(kit), kit + " is built next to hogbeam.jar");
    List<String> entries = entries(kit);
    for (String expected :
        List.of(
            "dev/hogbeam/testing/LocalClickHouse.class",
            "dev/hogbeam/testing/FakeCaptureServer.class",
            "dev/hogbeam/testing/PostHogDataGenerator.class",
            "dev/hogbeam/testing/chdb/ChdbServer.class",
            "dev/hogbeam/testing/posthog-events.sql",
            "com/sun/jna/Native.class")) {
      assertTrue(entries.contains(expected), kit + " lacks " + expected);
    }
    assertEquals(List.of(), matching(entries, HOGBEAM_TEST_CLASS), "hogbeam test classes");
    assertEquals(
        List.of(),
        matching(entries, Pattern.compile("dev/hogbeam/(?!testing/).*")),
        "nothing of hogbeam but the kit");
  }

  @Test
  void withoutTheTestingJarTheDemoNamesTheMissingFileAndTheBuildCommand(@TempDir Path dir)
      throws Exception {
    // A copy of hogbeam.jar alone in a directory (a symbolic link would not do: the JVM finds the
    // jar's real directory, where hogbeam-testing.jar is).
    Path alone = Files.copy(JarProcess.jar(), dir.resolve("hogbeam.jar"));
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            alone.toString(),
            "demo");
    Result result = JarProcess.run(Duration.ofMinutes(2), Map.of(), command);
    assertEquals(1, result.exitCode(), result.describe());
    assertTrue(
        result.stderr().contains(dir.resolve("hogbeam-testing.jar").toString())
            && result.stderr().contains("mvn -q -DskipTests package"),
        result.describe());
  }
}
