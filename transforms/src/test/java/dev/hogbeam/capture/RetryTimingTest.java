package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link Backoff} and {@link RetryAfter}. */
class RetryTimingTest {
  private static final Duration ONE_S = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(60);

  @Test
  void backoffDoublesUpToTheMaximumWithFullJitter() {
    assertEquals(Duration.ofMillis(999), Backoff.delay(1, ONE_S, MAX, 0.999));
    assertEquals(Duration.ofMillis(1998), Backoff.delay(2, ONE_S, MAX, 0.999));
    assertEquals(Duration.ofMillis(3996), Backoff.delay(3, ONE_S, MAX, 0.999));
    assertEquals(Duration.ofMillis(31968), Backoff.delay(6, ONE_S, MAX, 0.999));
    assertEquals(Duration.ofMillis(59940), Backoff.delay(7, ONE_S, MAX, 0.999));
    assertEquals(Duration.ofMillis(59940), Backoff.delay(40, ONE_S, MAX, 0.999));
    assertEquals(Duration.ZERO, Backoff.delay(5, ONE_S, MAX, 0.0));
    assertEquals(Duration.ofMillis(4000), Backoff.delay(4, ONE_S, MAX, 0.5));
  }

  @Test
  void retryAfterIsAFloorUnderTheBackoff() {
    assertEquals(
        Duration.ofSeconds(7), Backoff.beforeRetry(Duration.ofSeconds(2), Duration.ofSeconds(7)));
    assertEquals(
        Duration.ofSeconds(9), Backoff.beforeRetry(Duration.ofSeconds(9), Duration.ofSeconds(7)));
    assertEquals(Duration.ofSeconds(2), Backoff.beforeRetry(Duration.ofSeconds(2), null));
  }

  @Test
  void parsesRetryAfterSecondsAndDates() {
    Instant now = Instant.parse("2024-05-01T12:00:00Z");
    assertEquals(Duration.ofSeconds(30), RetryAfter.parse("30", now));
    assertEquals(Duration.ofSeconds(30), RetryAfter.parse(" 30 ", now));
    assertEquals(Duration.ZERO, RetryAfter.parse("0", now));
    assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Wed, 01 May 2024 12:01:30 GMT", now));
    assertEquals(Duration.ZERO, RetryAfter.parse("Wed, 01 May 2024 11:00:00 GMT", now));
    assertEquals(RetryAfter.MAX, RetryAfter.parse("86400", now));
    assertNull(RetryAfter.parse(null, now));
    assertNull(RetryAfter.parse("", now));
    assertNull(RetryAfter.parse("-5", now));
    assertNull(RetryAfter.parse("soon", now));
  }
}
