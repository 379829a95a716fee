package dev.hogbeam.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.order.KeyedEvents;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Maps one line of a PostHog-shaped event file (the capture API's event: {@code event}, {@code
 * distinct_id}, {@code timestamp}, {@code properties}, {@code uuid}) to a capture event. Pure.
 *
 * <ul>
 *   <li>{@code event}: a non-empty string;
 *   <li>{@code distinct_id}: a non-empty string or a number (its text), else {@code
 *       properties.distinct_id};
 *   <li>{@code timestamp}: ISO-8601 with an offset or {@code Z} ({@code 2024-05-01T12:00:00Z},
 *       {@code 2024-05-01T14:00:00.123456+02:00}), or without one, read as UTC, with {@code T} or a
 *       space ({@code 2024-05-01 12:00:00.123456}, ClickHouse's form); any number of fractional
 *       digits, kept to the microsecond. Or a number since the epoch: seconds (fractions allowed)
 *       below 10<sup>11</sup>, milliseconds below 10<sup>14</sup>, else microseconds;
 *   <li>{@code uuid}: kept when it is a UUID; when there is none, a name-based (version 5) UUID of
 *       the line's text, so a re-run or a resumed run sends the same uuid and PostHog de-duplicates
 *       it;
 *   <li>{@code properties}: the object as it is ({@code $set}, {@code $set_once} inside it
 *       included); top-level {@code $set} / {@code $set_once} (or {@code set} / {@code set_once},
 *       as PostHog's batch exports write them) are merged into the properties' ones, whose keys
 *       win; a top-level {@code elements_chain} becomes {@code $elements_chain} unless the
 *       properties have one; {@code $geoip_disable: true} is added unless the line sets it (the
 *       migration's own address says nothing about where a historical event happened).
 * </ul>
 *
 * <p>Refused (a dead letter of stage {@code map} naming the line, with the line as payload): text
 * that is not a JSON object, a missing or empty event or distinct_id, a missing or unreadable
 * timestamp, a uuid that is not a UUID, properties that are not an object. Other top-level fields
 * (person_properties, person_id, team_id, ip, sent_at, ...) are not sent.
 */
public final class PostHogLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Prefix of the name of a made-up uuid: the uuids of this source never equal another's. */
  static final String UUID_NAME_PREFIX = "posthog-file-line\n";

  private static final DateTimeFormatter LOCAL =
      new DateTimeFormatterBuilder()
          .parseCaseInsensitive()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .appendPattern("HH:mm")
          .optionalStart()
          .appendPattern(":ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .optionalEnd()
          .toFormatter();

  private static final DateTimeFormatter ZONED =
      new DateTimeFormatterBuilder().append(LOCAL).appendOffset("+HH:MM", "Z").toFormatter();

  private static final DateTimeFormatter ZONED_COMPACT =
      new DateTimeFormatterBuilder().append(LOCAL).appendOffset("+HHMM", "Z").toFormatter();

  private PostHogLines() {}

  /** Maps one line read from a file. */
  public static KeyedEvents.Outcome map(SourceLine line) {
    return map(line.origin(), line.text());
  }

  /**
   * Maps the text of one line.
   *
   * @param origin where the line is ({@code file F, line N}), the source of a dead letter
   */
  public static KeyedEvents.Outcome map(String origin, String text) {
    ObjectNode r;
    try {
      JsonNode n = JSON.readTree(text);
      if (!(n instanceof ObjectNode)) {
        return refused(origin, text, null, "the line is not a JSON object");
      }
      r = (ObjectNode) n;
    } catch (IOException e) {
      return refused(origin, text, null, "the line is not JSON: " + firstLine(e.getMessage()));
    }
    String uuid;
    JsonNode u = r.get("uuid");
    if (u == null || u.isNull() || (u.isTextual() && u.asText().isEmpty())) {
      uuid = NameUuids.v5(UUID_NAME_PREFIX + text.strip());
    } else if (u.isTextual() && CaptureEvent.isValidUuid(u.asText())) {
      uuid = u.asText();
    } else {
      return refused(origin, text, null, "uuid " + u + " is not a UUID");
    }
    JsonNode p = r.get("properties");
    if (p != null && !p.isNull() && !p.isObject()) {
      return refused(origin, text, uuid, "properties is not a JSON object");
    }
    ObjectNode props = p instanceof ObjectNode o ? o : JSON.createObjectNode();
    String event = text(r.get("event"));
    if (event == null || event.isEmpty()) {
      return refused(origin, text, uuid, "event is missing or empty");
    }
    String distinctId = text(r.get("distinct_id"));
    if (distinctId == null || distinctId.isEmpty()) {
      distinctId = text(props.get("distinct_id"));
    }
    if (distinctId == null || distinctId.isEmpty()) {
      return refused(origin, text, uuid, "distinct_id is missing or empty");
    }
    long micros;
    try {
      micros = timestampMicros(r.get("timestamp"));
    } catch (IllegalArgumentException e) {
      return refused(origin, text, uuid, e.getMessage());
    }
    mergeInto(props, "$set", r.get("$set"), r.get("set"));
    mergeInto(props, "$set_once", r.get("$set_once"), r.get("set_once"));
    String chain = text(r.get("elements_chain"));
    if (chain != null && !chain.isEmpty() && !props.has("$elements_chain")) {
      props.put("$elements_chain", chain);
    }
    if (!props.has("$geoip_disable")) {
      props.put("$geoip_disable", true);
    }
    return new KeyedEvents.Outcome(
        CaptureEvent.of(uuid, event, distinctId, micros, props.toString()), null);
  }

  /**
   * Epoch microseconds of a line's {@code timestamp} (see the class comment for the forms).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static long timestampMicros(@Nullable JsonNode t) {
    if (t == null || t.isNull() || (t.isTextual() && t.asText().isBlank())) {
      throw new IllegalArgumentException(
          "timestamp is missing (a historical event needs the time it happened)");
    }
    if (t.isNumber()) {
      return epochMicros(t.decimalValue());
    }
    if (!t.isTextual()) {
      throw new IllegalArgumentException("timestamp " + t + " is neither a date-time nor a number");
    }
    String s = t.asText().strip();
    try {
      return epochMicros(new BigDecimal(s));
    } catch (NumberFormatException notANumber) {
      // a date-time
    }
    for (DateTimeFormatter f : new DateTimeFormatter[] {ZONED, ZONED_COMPACT}) {
      try {
        return Timestamps.toMicros(OffsetDateTime.parse(s, f).toInstant());
      } catch (DateTimeException e) {
        // try the next form
      }
    }
    try {
      return Timestamps.toMicros(LocalDateTime.parse(s, LOCAL).toInstant(ZoneOffset.UTC));
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "timestamp '"
              + s
              + "' is not an ISO-8601 date-time (2024-05-01T12:00:00.123456Z) nor a number since"
              + " the epoch");
    }
  }

  /** Seconds below 10^11, milliseconds below 10^14, else microseconds; truncated to a µs. */
  private static long epochMicros(BigDecimal v) {
    BigDecimal abs = v.abs();
    BigDecimal micros;
    if (abs.compareTo(BigDecimal.valueOf(100_000_000_000L)) < 0) {
      micros = v.movePointRight(6);
    } else if (abs.compareTo(BigDecimal.valueOf(100_000_000_000_000L)) < 0) {
      micros = v.movePointRight(3);
    } else {
      micros = v;
    }
    try {
      long m = micros.setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
      Timestamps.toInstant(m); // in Instant's range
      return m;
    } catch (ArithmeticException | DateTimeException e) {
      throw new IllegalArgumentException("timestamp " + v.toPlainString() + " is out of range");
    }
  }

  /** Adds the keys of the top-level objects that {@code props[field]} does not have. */
  private static void mergeInto(ObjectNode props, String field, JsonNode... topLevel) {
    for (JsonNode t : topLevel) {
      if (t instanceof ObjectNode o && !o.isEmpty()) {
        JsonNode existing = props.get(field);
        ObjectNode target = existing instanceof ObjectNode e ? e : props.putObject(field);
        o.fields()
            .forEachRemaining(
                kv -> {
                  if (!target.has(kv.getKey())) {
                    target.set(kv.getKey(), kv.getValue());
                  }
                });
      }
    }
  }

  private static @Nullable String text(@Nullable JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    return n.isTextual() || n.isNumber() ? n.asText() : null;
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static KeyedEvents.Outcome refused(
      String origin, String text, @Nullable String uuid, String reason) {
    return new KeyedEvents.Outcome(null, DeadLetter.of("map", origin, uuid, text, 0, reason, 0));
  }
}
