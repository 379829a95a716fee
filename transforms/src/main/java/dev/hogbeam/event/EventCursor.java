package dev.hogbeam.event;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Objects;
import java.util.UUID;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A position in {@link EventOrder}: the (timestamp, uuid, event, distinct_id) of the last event
 * known to be delivered. Resuming "after" a cursor sends exactly the events that sort after it.
 *
 * <p>A cursor without event and distinct_id ({@link #of(long, String)}: checkpoints written before
 * they were part of the order, and hogbeam's printed {@code hb:} cursor) stands for the last event
 * of its (timestamp, uuid): every event with that timestamp and uuid counts as delivered.
 */
public final class EventCursor implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final BigInteger MAX_UUID = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

  private final long timestampMicros;
  private final String uuid;
  private final @Nullable String event;
  private final @Nullable String distinctId;

  private EventCursor(
      long timestampMicros, String uuid, @Nullable String event, @Nullable String distinctId) {
    this.timestampMicros = timestampMicros;
    this.uuid = uuid;
    this.event = event;
    this.distinctId = distinctId;
  }

  /** The last position of (timestamp, uuid): after every event with them. */
  public static EventCursor of(long timestampMicros, String uuid) {
    return new EventCursor(timestampMicros, CaptureEvent.canonicalUuid(uuid), null, null);
  }

  /** The exact position of the event (timestamp, uuid, event, distinctId). */
  public static EventCursor of(long timestampMicros, String uuid, String event, String distinctId) {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(distinctId, "distinctId");
    return new EventCursor(timestampMicros, CaptureEvent.canonicalUuid(uuid), event, distinctId);
  }

  /** The exact position of {@code e}. */
  public static EventCursor at(CaptureEvent e) {
    return new EventCursor(e.timestampMicros(), e.uuid(), e.event(), e.distinctId());
  }

  public long timestampMicros() {
    return timestampMicros;
  }

  public String uuid() {
    return uuid;
  }

  /** The event name, or null for a cursor at the end of its (timestamp, uuid). */
  public @Nullable String event() {
    return event;
  }

  /** The distinct_id, or null for a cursor at the end of its (timestamp, uuid). */
  public @Nullable String distinctId() {
    return distinctId;
  }

  /** Whether this cursor names one event exactly (it has event and distinct_id). */
  public boolean isExact() {
    return event != null;
  }

  /**
   * The latest (timestamp, uuid)-only cursor at or before this one: this cursor when it has no
   * event name; otherwise the end of the previous uuid (so events of this (timestamp, uuid) that
   * sort before this one may be sent again, never skipped). For printing a cursor in the {@code
   * hb:<timestamp>/<uuid>} form.
   */
  public EventCursor atOrBeforeWithoutNames() {
    if (event == null) {
      return this;
    }
    BigInteger value = new BigInteger(uuid.replace("-", ""), 16);
    if (value.signum() == 0) {
      return new EventCursor(timestampMicros - 1, uuidText(MAX_UUID), null, null);
    }
    return new EventCursor(timestampMicros, uuidText(value.subtract(BigInteger.ONE)), null, null);
  }

  private static String uuidText(BigInteger value) {
    return new UUID(value.shiftRight(64).longValue(), value.longValue()).toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EventCursor)) {
      return false;
    }
    EventCursor c = (EventCursor) o;
    return c.timestampMicros == timestampMicros
        && c.uuid.equals(uuid)
        && Objects.equals(c.event, event)
        && Objects.equals(c.distinctId, distinctId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(timestampMicros, uuid, event, distinctId);
  }

  @Override
  public String toString() {
    String base = Timestamps.toIso(timestampMicros) + "/" + uuid;
    return event == null ? base : base + "/" + event + "/" + distinctId;
  }
}
