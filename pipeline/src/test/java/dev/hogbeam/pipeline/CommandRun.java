package dev.hogbeam.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * What a command run in the test's JVM left: its exit code and everything it printed. {@link #of}
 * runs a command's {@code run(args, environment)} with these environment variables and clock.
 */
public record CommandRun(int exitCode, String out, String err) {

  /** A command's {@code run(String[], Environment)}. */
  @FunctionalInterface
  public interface Body {
    int run(String[] args, MigrationCommand.Environment environment);
  }

  /** Runs {@code command} with {@code args}, capturing what it prints. */
  public static CommandRun of(
      Body command, Map<String, String> env, List<String> args, Clock clock) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    MigrationCommand.Environment environment =
        new MigrationCommand.Environment(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            clock);
    int code = command.run(args.toArray(String[]::new), environment);
    return new CommandRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** For assertion messages. */
  public String describe() {
    return "exit code " + exitCode + "\n--- out\n" + out + "\n--- err\n" + err;
  }
}
