package dev.hogbeam.pipeline.checkpoint;

import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The single resume cursor hogbeam prints, like PostHog's script does: a position in send order
 * such that every event at or before it, in every group, has been delivered. Groups run in
 * parallel, so it is the low-water mark over the groups that are not finished.
 */
public final class GlobalCursor {
  /** The largest uuid: a cursor (t, MAX_UUID) covers every event at time t. */
  public static final String MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";

  private GlobalCursor() {}

  /**
   * @param groupStarts for every group of the run, the earliest time its events can have (its
   *     shard's first microsecond; the range start for person buckets)
   * @param checkpoints the groups' states, by key; a missing group has not started
   * @param rangeEndMicros the end of the range (exclusive)
   * @return the low-water mark, or a cursor just before the range end when every group is done
   */
  public static EventCursor lowWaterMark(
      Map<String, Long> groupStarts,
      Map<String, GroupCheckpoint> checkpoints,
      long rangeEndMicros) {
    EventCursor low = EventCursor.of(rangeEndMicros - 1, MAX_UUID);
    for (Map.Entry<String, Long> g : groupStarts.entrySet()) {
      GroupCheckpoint state = checkpoints.get(g.getKey());
      if (state != null && state.done()) {
        continue;
      }
      EventCursor position = position(state, g.getValue());
      if (compare(position, low) < 0) {
        low = position;
      }
    }
    return low;
  }

  private static EventCursor position(@Nullable GroupCheckpoint state, long groupStartMicros) {
    EventCursor acked = state == null ? null : state.acknowledged();
    return acked != null ? acked : EventCursor.of(groupStartMicros - 1, MAX_UUID);
  }

  private static int compare(EventCursor a, EventCursor b) {
    return EventOrder.compare(a, b);
  }
}
