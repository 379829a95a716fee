package dev.hogbeam.event;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * One event in the shape PostHog's capture API takes it, ready to be put in a {@code /batch/}
 * request.
 *
 * <p>The properties are kept as JSON text (an object), not as a tree: every source produces them
 * once and the writer copies them into the request without parsing them again. The timestamp is
 * kept to the microsecond, which is what PostHog stores.
 *
 * <p>Instances are immutable. {@link #uuid()} is always the canonical lower-case form, so string
 * comparison of two uuids equals comparison of their unsigned 128-bit values (see {@link
 * EventOrder}).
 */
@DefaultCoder(CaptureEventCoder.class)
public final class CaptureEvent implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String uuid;
  private final String event;
  private final String distinctId;
  private final long timestampMicros;
  private final String propertiesJson;

  private CaptureEvent(
      String uuid, String event, String distinctId, long timestampMicros, String propertiesJson) {
    this.uuid = uuid;
    this.event = event;
    this.distinctId = distinctId;
    this.timestampMicros = timestampMicros;
    this.propertiesJson = propertiesJson;
  }

  /**
   * Creates an event. {@code uuid} must be a valid UUID (it is normalised to lower case); {@code
   * propertiesJson} must be the text of a JSON object, which this method does not parse.
   * Emptiness of {@code event} and {@code distinctId} is not checked here: the writer
   * dead-letters such events with a reason, as PostHog would refuse them.
   */
  public static CaptureEvent of(
      String uuid, String event, String distinctId, long timestampMicros, String propertiesJson) {
    checkNotNull(uuid, "uuid");
    checkNotNull(event, "event");
    checkNotNull(distinctId, "distinctId");
    checkNotNull(propertiesJson, "propertiesJson");
    return new CaptureEvent(
        canonicalUuid(uuid), event, distinctId, timestampMicros, propertiesJson);
  }

  /** Returns the canonical lower-case text of {@code uuid}, or throws if it is not a UUID. */
  public static String canonicalUuid(String uuid) {
    checkArgument(isValidUuid(uuid), "not a valid UUID: '%s'", uuid);
    return uuid.toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether {@code s} is a UUID in the 8-4-4-4-12 hexadecimal form PostHog accepts. */
  public static boolean isValidUuid(String s) {
    if (s == null || s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') {
          return false;
        }
      } else if (Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }

  public String uuid() {
    return uuid;
  }

  public String event() {
    return event;
  }

  public String distinctId() {
    return distinctId;
  }

  /** Microseconds since the epoch, UTC. */
  public long timestampMicros() {
    return timestampMicros;
  }

  public Instant timestamp() {
    return Timestamps.toInstant(timestampMicros);
  }

  /** The properties object, as JSON text. */
  public String propertiesJson() {
    return propertiesJson;
  }

  public UUID uuidValue() {
    return UUID.fromString(uuid);
  }

  /**
   * The event as one element of a capture {@code batch} array: uuid, event, distinct_id, an
   * ISO-8601 UTC timestamp with six fractional digits, and the properties as given.
   */
  public String toJson() {
    StringBuilder sb =
        new StringBuilder(propertiesJson.length() + event.length() + distinctId.length() + 128);
    appendJson(sb);
    return sb.toString();
  }

  /** Appends {@link #toJson()} to {@code sb}. */
  public void appendJson(StringBuilder sb) {
    JsonStringEncoder enc = JsonStringEncoder.getInstance();
    sb.append("{\"uuid\":\"").append(uuid).append("\",\"event\":\"");
    enc.quoteAsString(event, sb);
    sb.append("\",\"distinct_id\":\"");
    enc.quoteAsString(distinctId, sb);
    sb.append("\",\"timestamp\":\"");
    Timestamps.appendIso(timestampMicros, sb);
    sb.append("\",\"properties\":").append(propertiesJson).append('}');
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CaptureEvent)) {
      return false;
    }
    CaptureEvent that = (CaptureEvent) o;
    return timestampMicros == that.timestampMicros
        && uuid.equals(that.uuid)
        && event.equals(that.event)
        && distinctId.equals(that.distinctId)
        && propertiesJson.equals(that.propertiesJson);
  }

  @Override
  public int hashCode() {
    return Objects.hash(uuid, event, distinctId, timestampMicros, propertiesJson);
  }

  /** Identifies the event without its properties (which may hold personal data). */
  @Override
  public String toString() {
    return "CaptureEvent{uuid="
        + uuid
        + ", event="
        + event
        + ", timestamp="
        + Timestamps.toIso(timestampMicros)
        + "}";
  }
}
