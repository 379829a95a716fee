package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.EventCursor;
import org.junit.jupiter.api.Test;

class ResumeCursorTest {

  @Test
  void roundTripsToTheMicrosecond() {
    EventCursor c = EventCursor.of(1_706_700_005_123_456L, "0189A2B3-0000-7000-8000-00000000000F");
    String text = ResumeCursor.format(c);
    assertEquals("hb:2024-01-31T11:20:05.123456Z/0189a2b3-0000-7000-8000-00000000000f", text);
    assertTrue(ResumeCursor.isOurs(text));
    assertEquals(c, ResumeCursor.parse(text));
  }

  @Test
  void aCursorInsideATimeAndUuidIsPrintedAtTheEndOfTheUuidBefore() {
    EventCursor exact =
        EventCursor.of(1_706_700_005_123_456L, "0189a2b3-0000-7000-8000-00000000000f", "e", "d");
    assertEquals(
        "hb:2024-01-31T11:20:05.123456Z/0189a2b3-0000-7000-8000-00000000000e",
        ResumeCursor.format(exact));
  }

  @Test
  void checkpointsKeepTheEventAndDistinctIdAndOldOnesStillLoad() {
    EventCursor exact = EventCursor.of(5, "0189a2b3-0000-7000-8000-00000000000f", "$pageview", "d");
    GroupCheckpoint g = GroupCheckpoint.start("g").acknowledged(exact, 1);
    assertEquals(exact, GroupCheckpoint.fromJson(g.toJson()).acknowledged());
    String old =
        GroupCheckpoint.start("g")
            .acknowledged(EventCursor.of(5, "0189a2b3-0000-7000-8000-00000000000f"), 1)
            .toJson();
    assertFalse(old.contains("distinct_id"), old);
    assertEquals(
        EventCursor.of(5, "0189a2b3-0000-7000-8000-00000000000f"),
        GroupCheckpoint.fromJson(old).acknowledged());
  }

  @Test
  void rejectsOtherText() {
    assertFalse(ResumeCursor.isOurs("eyJ0aW1lc3RhbXAiOiAxfQ=="));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ResumeCursor.parse("hb:yesterday/x"));
    assertTrue(e.getMessage().startsWith("--cursor='hb:yesterday/x' is not a hogbeam cursor"));
  }
}
