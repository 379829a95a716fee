package dev.hogbeam.capture;

import java.util.function.LongSupplier;

/**
 * The events-per-second budget of one JVM's senders: a token bucket that starts empty, refills at
 * the current rate and holds at most one batch of credit, so that by any time {@code t} after it
 * was created at most {@code rate * t} events were let through, and in any window {@code w} at most
 * {@code rate * w + burst}. Callers reserve before sending: the reservation is taken at once (later
 * callers queue behind it) and the caller is told how long to wait.
 *
 * <p>On 429 the rate is halved (at most once per {@link #DECREASE_COOLDOWN_NANOS}, so the 429s of
 * many senders at the same moment count once; never below {@link #MIN_FACTOR} of the base rate),
 * then recovers linearly by {@link #RECOVERY_PER_SECOND} of the base rate per second. A {@code
 * Retry-After} pauses every sender of the JVM until then. With no budget (rate 0 = unlimited) only
 * the pauses apply.
 *
 * <p>Pure arithmetic over an injected nanosecond clock; thread-safe; it never sleeps itself.
 */
final class RateLimiter {
  static final double MIN_FACTOR = 1.0 / 32;
  static final double RECOVERY_PER_SECOND = 0.05;
  static final long DECREASE_COOLDOWN_NANOS = 1_000_000_000L;
  private static final double NANOS = 1e9;

  private final double baseRate;
  private final double burst;
  private final LongSupplier clock;

  private double tokens;
  private long updatedAt;
  private double factorAtDecrease = 1.0;
  private long decreasedAt;
  private boolean decreased;
  private long pausedUntil;
  private boolean paused;

  /**
   * @param eventsPerSecond the budget of this JVM; 0 means unlimited
   * @param burst the most events a bucket may hold (the batch size: a batch is taken whole)
   */
  RateLimiter(double eventsPerSecond, long burst, LongSupplier nanoClock) {
    if (eventsPerSecond < 0 || burst < 1) {
      throw new IllegalArgumentException("need eventsPerSecond >= 0 and burst >= 1");
    }
    this.baseRate = eventsPerSecond;
    this.burst = burst;
    this.clock = nanoClock;
    this.updatedAt = nanoClock.getAsLong();
  }

  /**
   * Reserves {@code events} and returns how many nanoseconds the caller must wait before sending
   * them (0 = send now).
   */
  synchronized long reserve(int events) {
    long now = clock.getAsLong();
    long wait = pauseRemaining(now);
    if (baseRate == 0) {
      return wait;
    }
    refill(now);
    tokens -= events;
    if (tokens < 0) {
      wait = Math.max(wait, (long) Math.ceil(-tokens / rate(now) * NANOS));
    }
    return wait;
  }

  /** Nanoseconds left of the current pause (0 if none). */
  synchronized long pauseRemaining() {
    return pauseRemaining(clock.getAsLong());
  }

  /** A 429: slow down, and pause everyone for {@code retryAfterNanos} (0 = no pause asked). */
  synchronized void throttled(long retryAfterNanos) {
    long now = clock.getAsLong();
    pause(now, retryAfterNanos);
    if (baseRate == 0 || (decreased && now - decreasedAt < DECREASE_COOLDOWN_NANOS)) {
      return;
    }
    refill(now);
    factorAtDecrease = Math.max(MIN_FACTOR, factor(now) / 2);
    decreasedAt = now;
    decreased = true;
  }

  /** A {@code Retry-After} on another status: pause everyone, keep the rate. */
  synchronized void pause(long nanos) {
    pause(clock.getAsLong(), nanos);
  }

  /** Events per second allowed now (infinite when unlimited). */
  synchronized double currentRate() {
    return baseRate == 0 ? Double.POSITIVE_INFINITY : rate(clock.getAsLong());
  }

  private void pause(long now, long nanos) {
    if (nanos > 0 && (!paused || now + nanos - pausedUntil > 0)) {
      pausedUntil = now + nanos;
      paused = true;
    }
  }

  private long pauseRemaining(long now) {
    return paused && pausedUntil - now > 0 ? pausedUntil - now : 0;
  }

  private double factor(long now) {
    if (!decreased) {
      return 1.0;
    }
    double f = factorAtDecrease + RECOVERY_PER_SECOND * ((now - decreasedAt) / NANOS);
    return Math.min(1.0, f);
  }

  private double rate(long now) {
    return baseRate * factor(now);
  }

  /** Adds the credit earned since the last update, at the rate in force at its end. */
  private void refill(long now) {
    long elapsed = now - updatedAt;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + rate(now) * (elapsed / NANOS));
      updatedAt = now;
    }
  }
}
