package dev.hogbeam.capture;

/**
 * The circuit breaker tripped: PostHog refused every recent request whole, down to single events,
 * so the requests rather than the events are likely wrong. The run stops (exit code 1) instead of
 * bisecting the whole migration into dead letters.
 */
public final class CaptureRefusedException extends CaptureDeliveryException {
  private static final long serialVersionUID = 1L;

  public CaptureRefusedException(String message) {
    super(message);
  }
}
