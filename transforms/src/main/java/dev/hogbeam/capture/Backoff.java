package dev.hogbeam.capture;

import java.time.Duration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Exponential backoff with full jitter: before retry {@code n} (1-based) wait a uniformly random
 * time in {@code [0, min(max, initial * 2^(n-1)))}. Full jitter spreads the retries of many senders
 * that failed together, so they do not hit the recovering server in one wave.
 */
final class Backoff {
  private Backoff() {}

  /**
   * @param retry 1 for the first retry
   * @param random01 a uniform random number in [0, 1)
   */
  static Duration delay(int retry, Duration initial, Duration max, double random01) {
    long ceiling = initial.toMillis();
    for (int i = 1; i < retry && ceiling < max.toMillis(); i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, max.toMillis());
    return Duration.ofMillis((long) (ceiling * random01));
  }

  /** The wait before a retry: the jittered backoff, but never less than the server asked for. */
  static Duration beforeRetry(Duration jittered, @Nullable Duration retryAfterOrNull) {
    if (retryAfterOrNull == null) {
      return jittered;
    }
    return retryAfterOrNull.compareTo(jittered) > 0 ? retryAfterOrNull : jittered;
  }
}
