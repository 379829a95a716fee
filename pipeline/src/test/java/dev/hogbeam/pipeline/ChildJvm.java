package dev.hogbeam.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A command's {@code main} run in a child JVM on the tests' class path, so that a test can kill it
 * as {@code kill -9} does ({@link #kill}) and run the same command again: the harness of the
 * resume-after-kill tests. Output and errors go to one log file.
 */
public final class ChildJvm {
  private final Process process;
  private final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code main} with {@code args} and {@code env} added to this process's environment.
   *
   * @param log where the child's output and errors go
   */
  public static ChildJvm start(Class<?> main, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(main.getName());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return new ChildJvm(builder.start(), log);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code once it ended by itself, or null while it runs. */
  public Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** Kills the child at once (SIGKILL: no shutdown hook, no flush) and waits for it to go. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** What the child printed so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
