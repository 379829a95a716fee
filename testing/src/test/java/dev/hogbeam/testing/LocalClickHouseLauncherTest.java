package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How LocalClickHouse finds, installs, names and stops things: the front end's java and classpath,
 * npm installs, URLs, orphans.
 */
class LocalClickHouseLauncherTest {

  @Test
  void serverUrlsAreDerivedFromJdbcAndHttpForms() {
    assertArrayEquals(
        new String[] {"jdbc:clickhouse://ch.example:8123/db?ssl=false", "http://ch.example:8123"},
        LocalClickHouse.serverUrls("jdbc:clickhouse://ch.example:8123/db?ssl=false"));
    assertArrayEquals(
        new String[] {"jdbc:clickhouse:https://ch.example:8443", "https://ch.example:8443"},
        LocalClickHouse.serverUrls("https://ch.example:8443"));
    assertArrayEquals(
        new String[] {"jdbc:ch://h:1", "http://h:1"}, LocalClickHouse.serverUrls("jdbc:ch://h:1"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LocalClickHouse.serverUrls("h:8123"));
    assertTrue(e.getMessage().contains(LocalClickHouse.ENV_URL), e.getMessage());
  }

  @Test
  void theFrontEndRunsOnTheCallersJavaWithTheKitAndJnaOnItsClasspath() throws IOException {
    List<String> entries =
        List.of(LocalClickHouse.frontEndClasspath().split(java.io.File.pathSeparator));
    assertTrue(
        entries.stream().anyMatch(e -> e.endsWith("classes") || e.contains("hogbeam-testing")),
        "the kit's classes: " + entries);
    assertTrue(
        entries.stream().anyMatch(e -> Path.of(e).getFileName().toString().startsWith("jna")),
        "JNA: " + entries);
    assertTrue(entries.size() <= 2, "nothing but the kit and JNA: " + entries);

    LocalClickHouse clickHouse = LocalClickHouse.shared();
    assumeFalse(clickHouse.isExternal(), "concerns the local engine only");
    ProcessHandle.Info frontEnd = ProcessHandle.of(clickHouse.frontEndPid()).orElseThrow().info();
    assertEquals(
        Path.of(System.getProperty("java.home"), "bin", "java").toRealPath(),
        Path.of(frontEnd.command().orElseThrow()).toRealPath(),
        "the front end runs on the caller's java");
    String arguments = String.join(" ", frontEnd.arguments().orElse(new String[0]));
    assertTrue(arguments.contains("dev.hogbeam.testing.chdb.ChdbServer"), arguments);
  }

  // ---------------------------------------------------------------------------------------------
  // Installing with npm, from several JVMs at once

  /** Entry point of the child JVMs: installs into $HOGBEAM_CACHE and prints the library path. */
  public static final class InstallMain {
    public static void main(String[] args) throws IOException {
      System.out.println("LIB " + LocalClickHouse.installEngine(LocalClickHouse.cacheDirectory()));
    }
  }

  private static final String FAKE_NPM =
      "#!/bin/bash\n"
          + "# Stands in for npm: logs the call, takes a while (like a download), then creates the package.\n"
          + "echo \"$$ $*\" >> \"$FAKE_NPM_LOG\"\n"
          + "prev=''; for a in \"$@\"; do [ \"$prev\" = --prefix ] && prefix=\"$a\"; prev=\"$a\"; done\n"
          + "sleep 1\n"
          + "mkdir -p \"$prefix/node_modules/@chdb/lib-linux-x64-gnu\"\n"
          + "echo fake > \"$prefix/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so\"\n";

  private static Process installInChildJvm(Path cache, String path, Path npmLog)
      throws IOException {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(System.getProperty("java.home") + "/bin/java");
    ProcessBuilder pb =
        new ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"), InstallMain.class.getName());
    pb.environment().put("PATH", path);
    pb.environment().put(LocalClickHouse.ENV_CACHE, cache.toString());
    pb.environment().put("FAKE_NPM_LOG", npmLog.toString());
    pb.redirectErrorStream(true);
    return pb.start();
  }

  private static Path fakeNpm(Path bin, String script) throws IOException {
    Files.createDirectories(bin);
    Path npm = Files.writeString(bin.resolve("npm"), script);
    Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
    return npm;
  }

  private static String output(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child JVM did not finish");
    return out;
  }

  @Test
  void concurrentFirstInstallsFromSeveralJvmsRunNpmOnce(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache");
    Path bin = dir.resolve("bin");
    Path npmLog = dir.resolve("npm.log");
    fakeNpm(bin, FAKE_NPM);

    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      children.add(installInChildJvm(cache, bin + ":/usr/bin:/bin", npmLog));
    }
    List<String> libraries = new ArrayList<>();
    for (Process child : children) {
      String out = output(child);
      assertEquals(0, child.exitValue(), out);
      libraries.add(
          out.lines()
              .filter(l -> l.startsWith("LIB "))
              .findFirst()
              .orElseThrow(() -> new AssertionError(out)));
    }
    Path expected =
        cache
            .resolve("chdb")
            .resolve(LocalClickHouse.ENGINE_VERSION)
            .resolve("node_modules/@chdb/lib-linux-x64-gnu/libchdb.so");
    assertEquals(List.of("LIB " + expected, "LIB " + expected, "LIB " + expected), libraries);
    List<String> calls = Files.readAllLines(npmLog);
    assertEquals(1, calls.size(), "npm ran once: " + calls);
    assertTrue(
        calls.get(0).contains("install")
            && calls
                .get(0)
                .contains(LocalClickHouse.ENGINE_PACKAGE + "@" + LocalClickHouse.ENGINE_VERSION),
        calls.get(0));
    assertEquals("fake\n", Files.readString(expected));
    try (Stream<Path> left = Files.list(cache.resolve("chdb"))) {
      assertEquals(
          List.of(),
          left.filter(p -> p.getFileName().toString().startsWith("staging-")).toList(),
          "no staging directories left");
    }

    // Installed: later starts do not call npm at all.
    Process again = installInChildJvm(cache, bin + ":/usr/bin:/bin", npmLog);
    String againOut = output(again);
    assertEquals(0, again.exitValue(), againOut);
    assertEquals(1, Files.readAllLines(npmLog).size());
  }

  @Test
  void missingOrFailingNpmGivesAClearError(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty-bin"));
    Process noNpm =
        installInChildJvm(
            dir.resolve("cache1"), dir.resolve("empty-bin").toString(), dir.resolve("npm.log"));
    String out = output(noNpm);
    assertNotEquals(0, noNpm.exitValue());
    assertTrue(out.contains("needs npm"), out);
    assertTrue(out.contains(LocalClickHouse.ENV_URL), out);

    Path bin = dir.resolve("bin");
    fakeNpm(
        bin,
        "#!/bin/bash\necho 'npm error 404 Not Found - GET https://registry.npmjs.org/@chdb%2flib-linux-x64-gnu'\nexit 1\n");
    Process failing =
        installInChildJvm(dir.resolve("cache2"), bin + ":/usr/bin:/bin", dir.resolve("npm.log"));
    out = output(failing);
    assertNotEquals(0, failing.exitValue());
    assertTrue(out.contains("failed (exit code 1)") && out.contains("404 Not Found"), out);
    assertTrue(
        Files.notExists(dir.resolve("cache2/chdb").resolve(LocalClickHouse.ENGINE_VERSION)),
        "nothing half-installed");
  }

  // ---------------------------------------------------------------------------------------------
  // No orphans

  /** Entry point of a child JVM that starts the engine, prints the front end's pid and waits. */
  public static final class StartAndWaitMain {
    public static void main(String[] args) throws Exception {
      LocalClickHouse clickHouse = LocalClickHouse.builder().startLocal();
      System.out.println("FRONTEND " + clickHouse.frontEndPid());
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }

  @Test
  void theFrontEndExitsWhenItsLauncherIsKilled() throws Exception {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(System.getProperty("java.home") + "/bin/java");
    Process launcher =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                StartAndWaitMain.class.getName())
            .redirectErrorStream(true)
            .start();
    java.io.BufferedReader out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
    long pid = -1;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("FRONTEND ")) {
        pid = Long.parseLong(line.substring("FRONTEND ".length()).trim());
        break;
      }
    }
    assertTrue(pid > 0, "the child JVM did not start the engine");
    ProcessHandle frontEnd = ProcessHandle.of(pid).orElseThrow();
    assertTrue(frontEnd.isAlive());

    launcher.destroyForcibly(); // SIGKILL: no shutdown hook runs in the launcher
    frontEnd.onExit().get(60, TimeUnit.SECONDS);
    assertTrue(!frontEnd.isAlive());
  }
}
