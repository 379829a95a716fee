package dev.hogbeam.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import dev.hogbeam.testing.FakeCaptureServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kill harness of the resume tests: a migration's {@code main} in a child JVM (this JVM's class
 * path, {@code -Xmx512m}), killed with {@code destroyForcibly} (as a crash or {@code kill -9}
 * would) once the capture server acknowledged enough batches. The test then runs the same command
 * again and checks what was delivered twice.
 */
public final class KilledRun {
  private final Process child;
  private final Path dir;

  private KilledRun(Process child, Path dir) {
    this.child = child;
    this.dir = dir;
  }

  /**
   * Starts {@code main} with {@code args}, these environment variables added, its output in {@code
   * dir}/child.out and child.err.
   */
  public static KilledRun start(Class<?> main, List<String> args, Map<String, String> env, Path dir)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(dir.resolve("child.out").toFile())
            .redirectError(dir.resolve("child.err").toFile());
    builder.environment().putAll(env);
    return new KilledRun(builder.start(), dir);
  }

  /**
   * Kills the child once {@code capture} acknowledged (200) at least {@code batches} requests;
   * fails the test if the child ends first or nothing arrives within {@code deadline}.
   */
  public void killAfterAcknowledged(FakeCaptureServer capture, int batches, Duration deadline)
      throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    while (capture.requests().stream().filter(r -> r.status() == 200).count() < batches) {
      if (child.waitFor(10, TimeUnit.MILLISECONDS)) {
        fail(
            "the first run ended (exit code "
                + child.exitValue()
                + ") before it was killed:\n"
                + output());
      }
      if (System.nanoTime() > end) {
        child.destroyForcibly().waitFor();
        fail("no " + batches + " batches acknowledged within " + deadline + ":\n" + output());
      }
    }
    child.destroyForcibly().waitFor();
  }

  /** What the child printed. */
  public String output() throws IOException {
    return "--- stdout\n"
        + Files.readString(dir.resolve("child.out"), StandardCharsets.UTF_8)
        + "\n--- stderr\n"
        + Files.readString(dir.resolve("child.err"), StandardCharsets.UTF_8);
  }
}
