package dev.hogbeam.capture;

import java.util.concurrent.ConcurrentHashMap;
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

  final RateLimiter limiter;
  private volatile @Nullable CaptureAuthException stop;

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
  void stopAll(CaptureAuthException cause) {
    if (stop == null) {
      stop = cause;
    }
  }

  void checkNotStopped() {
    CaptureAuthException s = stop;
    if (s != null) {
      throw new CaptureAuthException(s.getMessage());
    }
  }
}
