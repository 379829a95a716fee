package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final long S = 1_000_000_000L;

  /** A clock the test moves by hand. */
  private static final class FakeClock {
    long now = 123 * S;

    long get() {
      return now;
    }
  }

  private final FakeClock clock = new FakeClock();

  @Test
  void startsEmptySoTheFirstBatchWaitsItsShare() {
    RateLimiter limiter = new RateLimiter(100, 500, clock::get);
    assertEquals(S, limiter.reserve(100));
  }

  @Test
  void queuesConcurrentReservationsBehindEachOther() {
    RateLimiter limiter = new RateLimiter(1000, 500, clock::get);
    assertEquals(S / 2, limiter.reserve(500));
    assertEquals(S, limiter.reserve(500));
    assertEquals(3 * S / 2, limiter.reserve(500));
  }

  @Test
  void aSenderThatWaitsAsToldSendsExactlyAtTheRate() {
    RateLimiter limiter = new RateLimiter(2000, 500, clock::get);
    long start = clock.now;
    long sent = 0;
    long lastSendAt = 0;
    for (int i = 0; i < 40; i++) {
      clock.now += limiter.reserve(500); // wait as told, then send
      lastSendAt = clock.now;
      sent += 500;
      assertTrue(sent <= 2000.0 * (clock.now - start) / S + 1e-6, "never ahead of the budget");
      clock.now += 50_000_000L; // the request takes 50 ms
    }
    // 20000 events at 2000/s: the last batch goes at exactly 10 s. The 50 ms each request takes
    // overlaps the next batch's wait, so the sender is held to the budget, not below it.
    assertEquals(10 * S, lastSendAt - start);
  }

  @Test
  void idleTimeEarnsAtMostOneBatchOfCredit() {
    RateLimiter limiter = new RateLimiter(100, 50, clock::get);
    clock.now += 3600 * S;
    assertEquals(0, limiter.reserve(50));
    assertEquals(S / 2, limiter.reserve(50));
  }

  @Test
  void unlimitedNeverWaitsExceptForPauses() {
    RateLimiter limiter = new RateLimiter(0, 500, clock::get);
    assertEquals(0, limiter.reserve(1_000_000));
    limiter.pause(3 * S);
    assertEquals(3 * S, limiter.reserve(1));
    clock.now += S;
    assertEquals(2 * S, limiter.pauseRemaining());
    limiter.throttled(0);
    assertEquals(Double.POSITIVE_INFINITY, limiter.currentRate());
  }

  @Test
  void throttlingHalvesTheRateOncePerCooldownAndRecoversLinearly() {
    RateLimiter limiter = new RateLimiter(1000, 500, clock::get);
    limiter.throttled(0);
    assertEquals(500, limiter.currentRate(), 1e-9);
    limiter.throttled(0); // same moment, another sender: counted once
    assertEquals(500, limiter.currentRate(), 1e-9);
    clock.now += 2 * S;
    assertEquals(600, limiter.currentRate(), 1e-6); // +5% of the base rate per second
    limiter.throttled(0);
    assertEquals(300, limiter.currentRate(), 1e-6);
    clock.now += 14 * S;
    assertEquals(1000, limiter.currentRate(), 1e-6);
    clock.now += 100 * S;
    assertEquals(1000, limiter.currentRate(), 1e-6);
  }

  @Test
  void a429EverySecondSettlesAtTheRecoveryRateAboveTheFloor() {
    RateLimiter limiter = new RateLimiter(3200, 500, clock::get);
    for (int i = 0; i < 30; i++) {
      clock.now += RateLimiter.DECREASE_COOLDOWN_NANOS;
      limiter.throttled(0);
    }
    // f = (f + 0.05) / 2 converges to 0.05: halving every second against +5% per second.
    assertEquals(3200 * 0.05, limiter.currentRate(), 1e-3);
    assertTrue(limiter.currentRate() >= 3200 * RateLimiter.MIN_FACTOR);
  }

  @Test
  void retryAfterPausesEveryReservation() {
    RateLimiter limiter = new RateLimiter(1000, 500, clock::get);
    limiter.throttled(5 * S);
    assertEquals(5 * S, limiter.reserve(1), "the pause is longer than the rate wait");
    limiter.throttled(2 * S); // a shorter pause does not cut the longer one
    assertEquals(5 * S, limiter.pauseRemaining());
    clock.now += 5 * S;
    assertEquals(0, limiter.pauseRemaining());
  }

  @Test
  void theSlowerRateAppliesToTheWait() {
    RateLimiter limiter = new RateLimiter(1000, 500, clock::get);
    limiter.throttled(0);
    assertEquals(S, limiter.reserve(500), "500 events at the halved rate of 500/s");
  }
}
