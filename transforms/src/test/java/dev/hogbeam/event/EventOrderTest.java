package dev.hogbeam.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The send order and the cursor are one function, including for cursors of older checkpoints. */
class EventOrderTest {
  private static final String U = "0190a000-0000-7000-8000-00000000000a";

  private static CaptureEvent event(String name, String distinctId) {
    return CaptureEvent.of(U, name, distinctId, 100, "{}");
  }

  @Test
  void sameUuidAndTimeWithAnotherNameOrPersonAreDifferentPositions() {
    List<CaptureEvent> events =
        new ArrayList<>(
            List.of(event("signed_up", "a"), event("$pageview", "b"), event("$pageview", "a")));
    events.sort(EventOrder.EVENTS);
    assertEquals(
        List.of("$pageview/a", "$pageview/b", "signed_up/a"),
        events.stream().map(e -> e.event() + "/" + e.distinctId()).toList());
    EventCursor middle = EventCursor.at(events.get(1));
    assertFalse(EventOrder.isAfter(events.get(0), middle));
    assertFalse(EventOrder.isAfter(events.get(1), middle));
    assertTrue(EventOrder.isAfter(events.get(2), middle));
  }

  @Test
  void aCursorWithoutNamesStandsForTheLastEventOfItsTimeAndUuid() {
    EventCursor legacy = EventCursor.of(100, U);
    assertFalse(EventOrder.isAfter(event("zzz", "zzz"), legacy));
    assertTrue(EventOrder.isAfter(CaptureEvent.of(U, "a", "a", 101, "{}"), legacy));
    assertTrue(EventOrder.compare(EventCursor.at(event("zzz", "zzz")), legacy) < 0);
    assertEquals(0, EventOrder.compare(legacy, EventCursor.of(100, U.toUpperCase())));
  }

  @Test
  void withoutNamesACursorStepsBackToTheEndOfThePreviousUuid() {
    EventCursor exact = EventCursor.at(event("$pageview", "a"));
    EventCursor back = exact.atOrBeforeWithoutNames();
    assertEquals(EventCursor.of(100, "0190a000-0000-7000-8000-000000000009"), back);
    assertTrue(EventOrder.compare(back, exact) < 0);
    assertFalse(EventOrder.isAfter(CaptureEvent.of(back.uuid(), "x", "y", 100, "{}"), back));
    assertEquals(back, back.atOrBeforeWithoutNames());
    assertEquals(
        EventCursor.of(99, "ffffffff-ffff-ffff-ffff-ffffffffffff"),
        EventCursor.of(100, "00000000-0000-0000-0000-000000000000", "e", "d")
            .atOrBeforeWithoutNames());
  }
}
