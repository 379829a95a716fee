package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Writers given one budget name ({@link CaptureIO.Write#withSharedBudget}) share one rate limiter
 * and one stop signal per JVM; other writers, and other budgets, do not.
 */
class SharedBudgetTest {
  private static GroupWriter writer(String budget) {
    CaptureIO.Write w = CaptureIO.write().withDryRun(true).withMaxEventsPerSecond(100);
    GroupWriter g = (budget == null ? w : w.withSharedBudget(budget)).groupWriter();
    g.setup();
    return g;
  }

  @Test
  void writersOfOneBudgetShareTheLimiterAndTheStop() throws Exception {
    String budget = "teams-" + UUID.randomUUID();
    GroupWriter a = writer(budget);
    GroupWriter b = writer(budget);
    GroupWriter own = writer(null);
    GroupWriter other = writer("teams-" + UUID.randomUUID());

    assertSame(a.sharedState(), b.sharedState());
    assertSame(a.sharedState().limiter, b.sharedState().limiter);
    assertNotSame(a.sharedState(), own.sharedState());
    assertNotSame(a.sharedState(), other.sharedState());

    a.sharedState().stopAll(new CaptureAuthException("refused key"));
    assertThrows(CaptureAuthException.class, () -> b.sharedState().checkNotStopped());
    own.sharedState().checkNotStopped();
    other.sharedState().checkNotStopped();
    for (GroupWriter g : new GroupWriter[] {a, b, own, other}) {
      g.teardown();
    }
  }
}
