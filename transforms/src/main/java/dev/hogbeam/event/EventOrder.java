package dev.hogbeam.event;

import java.util.Comparator;

/**
 * The one order in which hogbeam sends the events of a group: by timestamp, then by uuid as an
 * unsigned 128-bit number. The sorter, the de-duplication and the resume cursor all use this
 * comparator, so "after the cursor" means exactly "not yet sent".
 *
 * <p>The uuid part compares canonical lower-case text, which equals unsigned numeric order. It is
 * NOT ClickHouse's UUID order (ClickHouse compares the second half first), which is why no part of
 * hogbeam asks ClickHouse to order or compare by (timestamp, uuid) on its behalf.
 */
public final class EventOrder {
  private EventOrder() {}

  /** Compares (timestamp, uuid) pairs in send order. */
  public static int compare(long tsMicrosA, String uuidA, long tsMicrosB, String uuidB) {
    int c = Long.compare(tsMicrosA, tsMicrosB);
    return c != 0 ? c : uuidA.compareTo(uuidB);
  }

  /** Send order of events. */
  public static final Comparator<CaptureEvent> EVENTS =
      (a, b) -> compare(a.timestampMicros(), a.uuid(), b.timestampMicros(), b.uuid());

  /** Whether {@code e} comes strictly after {@code cursor} in send order. */
  public static boolean isAfter(CaptureEvent e, EventCursor cursor) {
    return compare(e.timestampMicros(), e.uuid(), cursor.timestampMicros(), cursor.uuid()) > 0;
  }
}
