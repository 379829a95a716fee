package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.event.EventCursor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlobalCursorTest {
  private static final long DAY = 86_400_000_000L;
  private static final EventCursor MID_DAY1 =
      EventCursor.of(DAY + 5, "00000000-0000-0000-0000-000000000001");

  @Test
  void unstartedGroupHoldsTheMarkJustBeforeItsStart() {
    Map<String, Long> starts = Map.of("d0", 0L, "d1", DAY);
    EventCursor c = GlobalCursor.lowWaterMark(starts, Map.of(), 2 * DAY);
    assertEquals(EventCursor.of(-1, GlobalCursor.MAX_UUID), c);
  }

  @Test
  void finishedGroupsDoNotHoldTheMark() {
    Map<String, Long> starts = Map.of("d0", 0L, "d1", DAY);
    Map<String, GroupCheckpoint> states =
        Map.of(
            "d0", GroupCheckpoint.start("d0").finished(),
            "d1", GroupCheckpoint.start("d1").acknowledged(MID_DAY1, 3));
    assertEquals(MID_DAY1, GlobalCursor.lowWaterMark(starts, states, 2 * DAY));
  }

  @Test
  void everythingDoneGivesTheEndOfTheRange() {
    Map<String, Long> starts = Map.of("d0", 0L);
    Map<String, GroupCheckpoint> states = Map.of("d0", GroupCheckpoint.start("d0").finished());
    assertEquals(
        EventCursor.of(DAY - 1, GlobalCursor.MAX_UUID),
        GlobalCursor.lowWaterMark(starts, states, DAY));
  }
}
