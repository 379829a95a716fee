package dev.hogbeam.capture;

/**
 * A batch could not be delivered and should not be dead-lettered: retryable failures (408, 429,
 * 5xx, no answer) outlasted the retry budget, or the server answered a status that retrying cannot
 * fix and that does not blame the events (e.g. 404 from a wrong host). The group fails, so that its
 * later batches are not sent out of order; a re-run resumes after the last acknowledged batch.
 */
public class CaptureDeliveryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CaptureDeliveryException(String message) {
    super(message);
  }
}
