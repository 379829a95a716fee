package dev.hogbeam.pipeline;

import dev.hogbeam.event.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a command run in the test's JVM left: its exit code and everything it printed. {@link #of}
 * runs a command's {@code run(args, environment)} with these environment variables and clock: the
 * command-line tests of every source go through it, as a user would.
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

  /** Runs a migration command with its clock at {@code now}. */
  public static CommandRun of(
      MigrationCommand<?> command, Map<String, String> env, List<String> args, Instant now) {
    return of(command::run, env, args, Clock.fixed(now, ZoneOffset.UTC));
  }

  /** For assertion messages. */
  public String describe() {
    return "exit code " + exitCode + "\n--- out\n" + out + "\n--- err\n" + err;
  }

  /** Every dead letter written into {@code dir} (none when it does not exist). */
  public static List<DeadLetter> deadLetters(Path dir) throws IOException {
    List<DeadLetter> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (!l.isBlank()) {
            out.add(DeadLetter.fromJsonLine(l));
          }
        }
      }
    }
    return out;
  }
}
