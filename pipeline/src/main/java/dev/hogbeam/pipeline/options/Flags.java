package dev.hogbeam.pipeline.options;

/** Checks of single flag values, with messages that name the flag. */
public final class Flags {
  private Flags() {}

  /** Refuses {@code value <= 0}: "--flag must be > 0, but was value". */
  public static void checkPositive(String flag, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException("--" + flag + " must be > 0, but was " + value);
    }
  }
}
