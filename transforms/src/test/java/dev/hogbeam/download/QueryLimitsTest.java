package dev.hogbeam.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The query windows on a clock the test moves: per second, per hour, at once, and a 429 pause. */
class QueryLimitsTest {
  private static final long MS = 1_000_000L;
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

  private QueryLimits.Window window(int perSecond, int perHour, int concurrent) {
    return new QueryLimits.Window(perSecond, perHour, concurrent, now::get);
  }

  @Test
  void perSecondWithItsMargin() throws Exception {
    QueryLimits.Window w = window(3, 60, 100);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, w.waitNanos(now.get()));
      w.acquire();
      w.release();
    }
    assertEquals(1100 * MS, w.waitNanos(now.get()), "a fourth waits 1.1 s (10% margin)");
    now.addAndGet(1099 * MS);
    assertEquals(MS, w.waitNanos(now.get()));
    now.addAndGet(MS);
    assertEquals(0, w.waitNanos(now.get()));
  }

  @Test
  void perHourCountsEveryStartOfTheLastHour() throws Exception {
    QueryLimits.Window w = window(100, 2, 100);
    w.acquire();
    w.release();
    now.addAndGet(10_000 * MS);
    w.acquire();
    w.release();
    long wait = w.waitNanos(now.get());
    assertEquals(3960_000 * MS - 10_000 * MS, wait, "until the first start is 1.1 h old");
  }

  @Test
  void concurrentAndPause() throws Exception {
    QueryLimits.Window w = window(100, 100, 1);
    w.acquire();
    assertTrue(w.waitNanos(now.get()) > 0, "one open: the next waits for a release");
    w.release();
    assertEquals(0, w.waitNanos(now.get()));
    w.pause(2000);
    assertEquals(2000 * MS, w.waitNanos(now.get()), "Retry-After holds every request");
  }

  @Test
  void oneGatePerProjectAndLimitsInTheJvm() {
    assertSame(
        new QueryLimits("https://data.mixpanel.com|1", 3, 60, 100).gate(),
        new QueryLimits("https://data.mixpanel.com|1", 3, 60, 100).gate());
    assertTrue(
        new QueryLimits("https://data.mixpanel.com|1", 3, 60, 100).gate()
            != new QueryLimits("https://data.mixpanel.com|2", 3, 60, 100).gate());
  }
}
