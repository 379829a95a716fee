package dev.hogbeam.capture;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What all senders of one writer share inside one JVM, whatever the number of DoFn instances and
 * threads the runner makes: the rate limiter (this JVM's share of the budget) and the stop signal
 * after a 401. Keyed by the writer's id, which {@link CaptureIO.Write#expand} draws once per
 * application of the transform and which travels with the serialized DoFn.
 */
final class JvmSendState {
  private static final ConcurrentHashMap<String, JvmSendState> BY_WRITER =
      new ConcurrentHashMap<>();

  /**
   * The circuit breaker: this many events in a row refused alone (400 or 413 for a request of one
   * event, with no request accepted in between) stop every sender of the JVM. A few bad events
   * among good ones never get there: each bisection that isolates one also sends accepted halves.
   */
  static final int REFUSED_ALONE_LIMIT = 25;

  final RateLimiter limiter;
  private volatile @Nullable RuntimeException stop;
  private final AtomicInteger refusedAloneInARow = new AtomicInteger();

  JvmSendState(RateLimiter limiter) {
    this.limiter = limiter;
  }

  static JvmSendState of(WriteSettings s) {
    return BY_WRITER.computeIfAbsent(
        s.writerId(),
        id ->
            new JvmSendState(
                new RateLimiter(s.jvmEventsPerSecond(), s.batchSize(), System::nanoTime)));
  }

  /** Every sender of this writer in this JVM stops before its next request. */
  void stopAll(RuntimeException cause) {
    if (stop == null) {
      stop = cause;
    }
  }

  void checkNotStopped() {
    RuntimeException s = stop;
    if (s instanceof CaptureAuthException) {
      throw new CaptureAuthException(s.getMessage());
    }
    if (s != null) {
      throw new CaptureRefusedException(s.getMessage());
    }
  }

  /** A request was accepted: the breaker's count starts again. */
  void accepted() {
    refusedAloneInARow.set(0);
  }

  /**
   * A request of one event was refused whole; returns true (and stops every sender) when that makes
   * {@value #REFUSED_ALONE_LIMIT} in a row.
   */
  boolean refusedAlone(int status, String message) {
    if (refusedAloneInARow.incrementAndGet() < REFUSED_ALONE_LIMIT) {
      return false;
    }
    stopAll(
        new CaptureRefusedException(
            "PostHog refused "
                + REFUSED_ALONE_LIMIT
                + " events in a row, each sent alone (last: HTTP "
                + status
                + (message.isEmpty() ? "" : ", " + message)
                + "), and accepted nothing in between: the requests, not the events, look wrong"
                + " (a proxy in the way? the wrong --posthogUrl?). The run stopped instead of"
                + " dead-lettering the whole migration; the refused events are in the dead-letter"
                + " record. Fix the cause and run the same command again."));
    return true;
  }
}
