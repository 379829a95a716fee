package dev.hogbeam.capture;

/**
 * PostHog refused the API key (401), or the key can never be accepted. The run stops: no more
 * requests are made, and nothing is dead-lettered for it. The message says what key is expected and
 * never contains the key.
 */
public final class CaptureAuthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CaptureAuthException(String message) {
    super(message);
  }
}
