package dev.hogbeam.download;

/**
 * An export API answered in a way retrying cannot fix: refused credentials, a wrong data residency,
 * another client error, or retries exhausted. The message names the range and what to do; it never
 * contains a credential.
 */
public final class ExportApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public ExportApiException(String message, int status) {
    super(message);
    this.status = status;
  }

  /** The HTTP status that ended it, or 0 when no response came (connection failures). */
  public int status() {
    return status;
  }
}
