package dev.hogbeam.runners;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command (the bundled jar, the cluster script) as a separate process, for the ITs. */
final class JarProcess {

  /** What a finished process left. */
  record Result(int exitCode, String stdout, String stderr) {
    String describe() {
      return "exit code " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  private JarProcess() {}

  /** The bundled jar the build made (the failsafe configuration passes its path). */
  static Path jar() {
    Path jar = Path.of(System.getProperty("hogbeam.jar", "target/hogbeam.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: the ITs run after mvn package");
    }
    return jar;
  }

  /** {@code java -jar hogbeam.jar args...} with at most 2 GB of heap. */
  static Result hogbeam(Duration timeout, String... args) throws IOException, InterruptedException {
    return hogbeam(timeout, Map.of(), List.of(args));
  }

  /** {@code java -jar hogbeam.jar args...} with extra environment variables. */
  static Result hogbeam(Duration timeout, Map<String, String> environment, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx2g");
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(args);
    return run(timeout, environment, command);
  }

  /** Runs a command with extra environment variables; stdout and stderr go through files. */
  static Result run(Duration timeout, Map<String, String> environment, List<String> command)
      throws IOException, InterruptedException {
    Path stdout = Files.createTempFile("hogbeam-it-", ".out");
    Path stderr = Files.createTempFile("hogbeam-it-", ".err");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile());
      builder.environment().putAll(environment);
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError(
            String.join(" ", command)
                + " did not finish within "
                + timeout
                + "\n--- stdout\n"
                + Files.readString(stdout, StandardCharsets.UTF_8)
                + "\n--- stderr\n"
                + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      return new Result(
          process.exitValue(),
          Files.readString(stdout, StandardCharsets.UTF_8),
          Files.readString(stderr, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }
}
