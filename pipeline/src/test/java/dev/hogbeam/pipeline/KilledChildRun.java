package dev.hogbeam.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A hogbeam command run in a child JVM (this test's class path) and killed with {@code
 * destroyForcibly}, as {@code kill -9} or a crash would end it: the harness of the
 * resume-after-kill tests of every source.
 */
public final class KilledChildRun {
  private final Process process;
  private final Path out;
  private final Path err;

  private KilledChildRun(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /**
   * Starts {@code main} (a class with a {@code main(String[])}, e.g. a migration) with these
   * arguments and environment variables; its output goes to {@code child.out} / {@code child.err}
   * in {@code dir}.
   */
  public static KilledChildRun start(
      Class<?> main, List<String> args, Map<String, String> env, Path dir) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(args);
    Path out = dir.resolve("child.out");
    Path err = dir.resolve("child.err");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().putAll(env);
    return new KilledChildRun(builder.start(), out, err);
  }

  /**
   * Kills the child as soon as {@code ready} holds; fails the test when the child ends first, or
   * when {@code ready} does not hold within {@code deadline} (the child is killed then too).
   */
  public void killWhen(BooleanSupplier ready, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    while (!ready.getAsBoolean()) {
      if (process.waitFor(10, TimeUnit.MILLISECONDS)) {
        fail(
            "the run ended (exit code "
                + process.exitValue()
                + ") before it was killed:\n"
                + output());
      }
      if (System.nanoTime() > until) {
        process.destroyForcibly().waitFor();
        fail("not ready to be killed within " + deadline + ":\n" + output());
      }
    }
    process.destroyForcibly().waitFor();
  }

  /** The child's standard output and error so far. */
  public String output() throws IOException {
    return "--- stdout\n"
        + Files.readString(out, StandardCharsets.UTF_8)
        + "\n--- stderr\n"
        + Files.readString(err, StandardCharsets.UTF_8);
  }
}
