package dev.hogbeam.event;

import java.util.Comparator;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one order in which hogbeam sends the events of a group: by timestamp, then by uuid as an
 * unsigned 128-bit number, then by event name, then by distinct_id. The sorter, the de-duplication
 * and the resume cursor all use this comparator, so "after the cursor" means exactly "not yet
 * sent".
 *
 * <p>Event name and distinct_id are part of the order because PostHog's events table keeps rows
 * that share a uuid and a timestamp but differ in a column of its sort key (the event name on
 * current layouts) as different rows; hogbeam sends each of them, so each needs its own place in
 * the order and its own cursor position. Events equal in all four are copies of one event.
 *
 * <p>The uuid part compares canonical lower-case text, which equals unsigned numeric order. It is
 * NOT ClickHouse's UUID order (ClickHouse compares the second half first), which is why no part of
 * hogbeam asks ClickHouse to order or compare by (timestamp, uuid) on its behalf. Names compare as
 * Java strings; only Java compares them.
 */
public final class EventOrder {
  private EventOrder() {}

  /**
   * Compares (timestamp, uuid) pairs: the first two keys of the send order (equal pairs may still
   * be different events).
   */
  public static int compare(long tsMicrosA, String uuidA, long tsMicrosB, String uuidB) {
    int c = Long.compare(tsMicrosA, tsMicrosB);
    return c != 0 ? c : uuidA.compareTo(uuidB);
  }

  /**
   * Compares positions in send order. A null event name or distinct_id (a cursor written before
   * they were part of the order) sorts after every name: such a cursor stands for the last event of
   * its (timestamp, uuid).
   */
  public static int compare(
      long tsMicrosA,
      String uuidA,
      @Nullable String eventA,
      @Nullable String distinctIdA,
      long tsMicrosB,
      String uuidB,
      @Nullable String eventB,
      @Nullable String distinctIdB) {
    int c = compare(tsMicrosA, uuidA, tsMicrosB, uuidB);
    if (c == 0) {
      c = compareLastIfNull(eventA, eventB);
    }
    return c != 0 ? c : compareLastIfNull(distinctIdA, distinctIdB);
  }

  private static int compareLastIfNull(@Nullable String a, @Nullable String b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return a.compareTo(b);
  }

  /** Send order of events. */
  public static final Comparator<CaptureEvent> EVENTS =
      (a, b) ->
          compare(
              a.timestampMicros(),
              a.uuid(),
              a.event(),
              a.distinctId(),
              b.timestampMicros(),
              b.uuid(),
              b.event(),
              b.distinctId());

  /** Compares two cursors in send order. */
  public static int compare(EventCursor a, EventCursor b) {
    return compare(
        a.timestampMicros(),
        a.uuid(),
        a.event(),
        a.distinctId(),
        b.timestampMicros(),
        b.uuid(),
        b.event(),
        b.distinctId());
  }

  /** Whether {@code e} comes strictly after {@code cursor} in send order. */
  public static boolean isAfter(CaptureEvent e, EventCursor cursor) {
    return compare(
            e.timestampMicros(),
            e.uuid(),
            e.event(),
            e.distinctId(),
            cursor.timestampMicros(),
            cursor.uuid(),
            cursor.event(),
            cursor.distinctId())
        > 0;
  }
}
