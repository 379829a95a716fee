package dev.hogbeam.runners;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The entry point of the bundled jar: {@code java -jar hogbeam.jar <subcommand> --option=value
 * ...}. It finds the subcommand, applies the runner defaults ({@link RunnerDefaults}) and exits
 * with the subcommand's exit code ({@link ExitCodes}).
 */
public final class Hogbeam {

  private final List<Subcommand> subcommands;
  private final RunnerDefaults runnerDefaults;
  private final PrintStream out;
  private final PrintStream err;

  Hogbeam(
      List<Subcommand> subcommands,
      RunnerDefaults runnerDefaults,
      PrintStream out,
      PrintStream err) {
    this.subcommands = List.copyOf(subcommands);
    this.runnerDefaults = runnerDefaults;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    int exitCode =
        new Hogbeam(Subcommands.all(), RunnerDefaults.create(), System.out, System.err).run(args);
    System.exit(exitCode);
  }

  /** Runs one command line and returns its exit code. */
  int run(String[] args) {
    if (args.length == 0) {
      printUsage(err);
      return ExitCodes.USAGE;
    }
    if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      printUsage(out);
      return ExitCodes.OK;
    }
    Optional<Subcommand> found =
        subcommands.stream().filter(s -> s.name().equals(args[0])).findFirst();
    if (found.isEmpty()) {
      err.printf(
          "hogbeam: unknown subcommand '%s'; the subcommands are: %s (see --help)%n",
          args[0], subcommands.stream().map(Subcommand::name).collect(Collectors.joining(", ")));
      return ExitCodes.USAGE;
    }
    Subcommand subcommand = found.get();
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      return subcommand.run(runnerDefaults.apply(rest));
    } catch (UsageException | IllegalArgumentException e) {
      // Beam reports unknown and malformed flags as IllegalArgumentException.
      err.printf("hogbeam %s: %s%n", subcommand.name(), e.getMessage());
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.printf("hogbeam %s: failed: %s%n", subcommand.name(), e);
      e.printStackTrace(err);
      return ExitCodes.FAILED;
    }
  }

  private void printUsage(PrintStream to) {
    to.println("Usage: java -jar hogbeam.jar <subcommand> [--option=value ...]");
    to.println();
    to.println("Subcommands:");
    int width = subcommands.stream().mapToInt(s -> s.name().length()).max().orElse(0);
    for (Subcommand subcommand : subcommands) {
      to.printf("  %-" + width + "s  %s%n", subcommand.name(), subcommand.description());
    }
    to.println();
    to.println("Runners (--runner=...):");
    to.println(
        "  FlinkRunner     the default: embedded Flink in this JVM (--flinkMaster=[local]),");
    to.println("                  or a Flink 1.19 cluster with --flinkMaster=host:port");
    to.println("  DirectRunner    Beam's local testing runner");
    to.println("  DataflowRunner  Google Cloud Dataflow (a jar built with mvn -Pdataflow package)");
    to.println();
    to.println("'java -jar hogbeam.jar <subcommand> --help' lists a subcommand's options.");
  }
}
