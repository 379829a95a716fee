package dev.hogbeam.pipeline;

/** What the exit status of {@code hogbeam <source>} means. */
public final class ExitCodes {
  /** Every shard finished and every event was delivered (or de-duplicated). */
  public static final int OK = 0;

  /** The run failed: the source could not be read, a stage threw; see the message. */
  public static final int FAILED = 1;

  /** A flag is missing or wrong; nothing ran. */
  public static final int USAGE = 2;

  /**
   * The run finished, but the migration's dead-letter record holds records (of this run or of an
   * earlier one, until they are re-sent with {@code --retryDeadLetters} or deleted).
   */
  public static final int DEAD_LETTERS = 3;

  /** PostHog refused the API key (401): nothing more was sent. */
  public static final int UNAUTHORIZED = 4;

  /** {@code verify}: events of the source are missing from PostHog (see verify.json). */
  public static final int MISSING = 5;

  /**
   * {@code verify}: nothing is known to be missing, but some events are not in PostHog yet and were
   * sent too recently (or are still arriving) to call them missing; verify again later.
   */
  public static final int STILL_ARRIVING = 6;

  private ExitCodes() {}
}
