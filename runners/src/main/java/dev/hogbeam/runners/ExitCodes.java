package dev.hogbeam.runners;

/** Exit codes of {@code java -jar hogbeam.jar}. */
public final class ExitCodes {

  /** The command did what it was asked. */
  public static final int OK = 0;

  /** The command ran and failed (the pipeline failed, or its result was wrong). */
  public static final int FAILED = 1;

  /** The command line was wrong: unknown subcommand, bad or missing flag. Nothing ran. */
  public static final int USAGE = 2;

  private ExitCodes() {}
}
