package dev.hogbeam.event;

import java.io.Serializable;
import java.util.Objects;

/**
 * A position in {@link EventOrder}: the (timestamp, uuid) of the last event known to be delivered.
 * Resuming "after" a cursor sends exactly the events that sort after it.
 */
public final class EventCursor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long timestampMicros;
  private final String uuid;

  private EventCursor(long timestampMicros, String uuid) {
    this.timestampMicros = timestampMicros;
    this.uuid = uuid;
  }

  public static EventCursor of(long timestampMicros, String uuid) {
    return new EventCursor(timestampMicros, CaptureEvent.canonicalUuid(uuid));
  }

  public static EventCursor at(CaptureEvent e) {
    return new EventCursor(e.timestampMicros(), e.uuid());
  }

  public long timestampMicros() {
    return timestampMicros;
  }

  public String uuid() {
    return uuid;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EventCursor
        && ((EventCursor) o).timestampMicros == timestampMicros
        && ((EventCursor) o).uuid.equals(uuid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(timestampMicros, uuid);
  }

  @Override
  public String toString() {
    return Timestamps.toIso(timestampMicros) + "/" + uuid;
  }
}
