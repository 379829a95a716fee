package dev.hogbeam.pipeline.checkpoint;

import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.Timestamps;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * hogbeam's printed cursor: {@code hb:<ISO-8601 UTC timestamp with microseconds>/<uuid>}, a
 * position in {@link dev.hogbeam.event.EventOrder}. It means: every event that sorts at or before
 * it, in every group, has been delivered. Passing it back with {@code --cursor} skips exactly those
 * events.
 */
public final class ResumeCursor {
  public static final String PREFIX = "hb:";

  private ResumeCursor() {}

  /**
   * The text of {@code cursor}; a cursor inside a (timestamp, uuid) (one naming its event) is
   * printed at the end of the uuid before, so resuming from the text never skips an event.
   */
  public static String format(EventCursor cursor) {
    EventCursor c = cursor.atOrBeforeWithoutNames();
    return PREFIX + Timestamps.toIso(c.timestampMicros()) + "/" + c.uuid();
  }

  public static boolean isOurs(String text) {
    return text.strip().startsWith(PREFIX);
  }

  public static EventCursor parse(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    if (!t.startsWith(PREFIX) || slash < 0) {
      throw new IllegalArgumentException(
          "--cursor='" + text + "' is not a hogbeam cursor (hb:<timestamp>/<uuid>)");
    }
    try {
      Instant ts = Instant.parse(t.substring(PREFIX.length(), slash));
      return EventCursor.of(Timestamps.toMicros(ts), t.substring(slash + 1));
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--cursor='"
              + text
              + "' is not a hogbeam cursor (hb:<timestamp>/<uuid>): "
              + e.getMessage());
    }
  }
}
