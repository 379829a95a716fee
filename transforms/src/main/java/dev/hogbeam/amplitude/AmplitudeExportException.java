package dev.hogbeam.amplitude;

/**
 * The Export API answered in a way retrying cannot fix: bad keys (401/403), an hour over
 * Amplitude's 4 GB export limit (400), another client error, or retries exhausted. The message
 * names the hour and what to do; it never contains the keys.
 */
public final class AmplitudeExportException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  AmplitudeExportException(String message, int status) {
    super(message);
    this.status = status;
  }

  /** The HTTP status that ended it, or 0 when no response came (connection failures). */
  public int status() {
    return status;
  }
}
