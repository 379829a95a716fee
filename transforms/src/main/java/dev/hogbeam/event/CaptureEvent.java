package dev.hogbeam.event;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * One event in the shape PostHog's capture API takes it, ready to be put in a {@code /batch/}
 * request.
 *
 * <p>The properties are kept as the UTF-8 bytes of a JSON object, not as a tree and not as a Java
 * string: every source produces them once, {@link CaptureEventCoder} copies the bytes through each
 * shuffle without decoding them, and the writer copies them into the request body ({@link
 * #toJsonUtf8()}) without parsing or re-encoding them. (Decoding ~1 KB of UTF-8 into a string and
 * encoding it back at every exchange was the largest single cost of a migration on Flink.) The
 * timestamp is kept to the microsecond, which is what PostHog stores.
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

  /** UTF-8 text of the properties object. Never modified, never handed out. */
  private final byte[] properties;

  private CaptureEvent(
      String uuid, String event, String distinctId, long timestampMicros, byte[] properties) {
    this.uuid = uuid;
    this.event = event;
    this.distinctId = distinctId;
    this.timestampMicros = timestampMicros;
    this.properties = properties;
  }

  /**
   * Creates an event. {@code uuid} must be a valid UUID (it is normalised to lower case); {@code
   * propertiesJson} must be the text of a JSON object, which this method does not parse. Emptiness
   * of {@code event} and {@code distinctId} is not checked here: the writer dead-letters such
   * events with a reason, as PostHog would refuse them.
   */
  public static CaptureEvent of(
      String uuid, String event, String distinctId, long timestampMicros, String propertiesJson) {
    checkNotNull(uuid, "uuid");
    checkNotNull(event, "event");
    checkNotNull(distinctId, "distinctId");
    checkNotNull(propertiesJson, "propertiesJson");
    return new CaptureEvent(
        canonicalUuid(uuid), event, distinctId, timestampMicros, propertiesJson.getBytes(UTF_8));
  }

  /**
   * An event whose properties are already UTF-8 bytes (the text of a JSON object, not parsed here),
   * which the new instance owns: the caller must not keep or change the array. Otherwise as {@link
   * #of}.
   */
  public static CaptureEvent ofUtf8Properties(
      String uuid, String event, String distinctId, long timestampMicros, byte[] properties) {
    checkNotNull(event, "event");
    checkNotNull(distinctId, "distinctId");
    checkNotNull(properties, "properties");
    return new CaptureEvent(canonicalUuid(uuid), event, distinctId, timestampMicros, properties);
  }

  /**
   * Reads an event written by {@link #toJson()} (a dead letter's payload), for {@code
   * --retryDeadLetters}. Throws IllegalArgumentException naming what is wrong.
   */
  public static CaptureEvent fromJson(String json) {
    try {
      JsonNode n = new ObjectMapper().readTree(json);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      JsonNode props = n.get("properties");
      if (props == null || !props.isObject()) {
        throw new IllegalArgumentException("field 'properties' is missing or not an object");
      }
      return of(
          JsonFields.text(n, "uuid"),
          JsonFields.text(n, "event"),
          JsonFields.text(n, "distinct_id"),
          Timestamps.toMicros(Instant.parse(JsonFields.text(n, "timestamp"))),
          props.toString());
    } catch (IOException | DateTimeParseException e) {
      throw new IllegalArgumentException("not a capture event: " + e.getMessage(), e);
    }
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

  /** The properties object, as JSON text (decoded on each call: the event keeps UTF-8 bytes). */
  public String propertiesJson() {
    return new String(properties, UTF_8);
  }

  /** Size of the properties object's JSON text in UTF-8 bytes. */
  public int propertiesUtf8Length() {
    return properties.length;
  }

  /** The properties' UTF-8 bytes, for {@link CaptureEventCoder}. Do not modify. */
  byte[] propertiesUtf8() {
    return properties;
  }

  public UUID uuidValue() {
    return UUID.fromString(uuid);
  }

  /**
   * The event as one element of a capture {@code batch} array: uuid, event, distinct_id, an
   * ISO-8601 UTC timestamp with six fractional digits, and the properties as given.
   */
  public String toJson() {
    return new String(toJsonUtf8(), UTF_8);
  }

  /**
   * {@link #toJson()} as UTF-8 bytes, what the writer puts in a request: the properties' bytes are
   * copied as they are, never decoded.
   */
  public byte[] toJsonUtf8() {
    StringBuilder head = new StringBuilder(event.length() + distinctId.length() + 128);
    JsonStringEncoder enc = JsonStringEncoder.getInstance();
    head.append("{\"uuid\":\"").append(uuid).append("\",\"event\":\"");
    enc.quoteAsString(event, head);
    head.append("\",\"distinct_id\":\"");
    enc.quoteAsString(distinctId, head);
    head.append("\",\"timestamp\":\"");
    Timestamps.appendIso(timestampMicros, head);
    head.append("\",\"properties\":");
    byte[] start = head.toString().getBytes(UTF_8);
    byte[] json = Arrays.copyOf(start, start.length + properties.length + 1);
    System.arraycopy(properties, 0, json, start.length, properties.length);
    json[json.length - 1] = '}';
    return json;
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
        && Arrays.equals(properties, that.properties);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(uuid, event, distinctId, timestampMicros)
        + Arrays.hashCode(properties);
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
