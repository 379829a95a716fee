package dev.hogbeam.runners;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * One command of the bundled jar: {@code java -jar hogbeam.jar <name> --option=value ...}.
 *
 * <p>The launcher ({@link Hogbeam}) has already applied the runner defaults ({@link
 * RunnerDefaults}) to the arguments it passes on; {@code <name> --help} reaches the subcommand
 * unchanged and is its business. Register a subcommand in {@link Subcommands#all()}.
 */
public interface Subcommand {

  /** The word after {@code hogbeam.jar}, e.g. {@code clickhouse}. */
  String name();

  /** One line for {@code --help}. */
  String description();

  /**
   * Runs the command and returns the process exit code ({@link ExitCodes}). An exception that
   * escapes ends the process with {@link ExitCodes#FAILED}, or {@link ExitCodes#USAGE} for an
   * {@link IllegalArgumentException} (which is what Beam throws for a bad or unknown flag).
   */
  int run(String[] args) throws Exception;

  /** The body of a subcommand, usually a static {@code run(String[] args)} method reference. */
  @FunctionalInterface
  interface Body {
    int run(String[] args) throws Exception;
  }

  /** A subcommand from a name, a one-line description and a method reference. */
  static Subcommand of(String name, String description, Body body) {
    checkArgument(
        name != null && name.matches("[a-z][a-z0-9-]*"),
        "subcommand name must be lower case letters, digits and '-', but was %s",
        name);
    checkArgument(
        description != null && !description.isBlank() && !description.contains("\n"),
        "description of subcommand %s must be one non-blank line",
        name);
    Objects.requireNonNull(body, "body");
    return new Subcommand() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String description() {
        return description;
      }

      @Override
      public int run(String[] args) throws Exception {
        return body.run(args);
      }

      @Override
      public String toString() {
        return "Subcommand(" + name + ")";
      }
    };
  }
}
