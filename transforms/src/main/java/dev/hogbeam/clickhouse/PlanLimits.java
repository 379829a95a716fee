package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.event.Timestamps;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a saved read plan may hold, and the checks {@link ReadPlan#fromJson} makes of each field: a
 * plan file comes from a checkpoint directory that others may be able to write, so it is read as
 * untrusted input. Messages name the field, never repeat a long value.
 */
final class PlanLimits {
  private PlanLimits() {}

  static final int MAX_PLAN_CHARS = 64 * 1024 * 1024;
  static final int MAX_SHARDS = 200_000;
  static final long MAX_PARTS = 100_000;
  static final int MAX_KEYS = 32;
  static final int MAX_COLUMNS = 256;
  static final int MAX_WARNINGS = 64;
  static final int MAX_NAME = 256;
  static final int MAX_EXPRESSION = 4096;
  static final int MAX_VALUE = 4096;
  private static final Pattern SHARD_ID = Pattern.compile("[A-Za-z0-9_.:+-]{1,128}");
  private static final int SHOWN = 300;

  /** {@code text}, cut to a few hundred characters for a message. */
  static String shown(String text) {
    return text.length() <= SHOWN
        ? text
        : text.substring(0, SHOWN) + "... (" + text.length() + " characters)";
  }

  /** Checked access to the fields of one JSON object. */
  static final class Fields {
    private final JsonNode node;
    private final String what;

    Fields(JsonNode node, String what) {
      checkArgument(node != null && node.isObject(), "%s is not a JSON object", what);
      this.node = node;
      this.what = what;
    }

    private JsonNode required(String field) {
      JsonNode v = node.get(field);
      checkArgument(v != null && !v.isNull(), "%s has no %s", what, field);
      return v;
    }

    String text(String field, int maxLength) {
      return text(required(field), field, maxLength);
    }

    String text(JsonNode v, String field, int maxLength) {
      checkArgument(v.isTextual(), "%s: %s is not a string", what, field);
      checkArgument(
          v.asText().length() <= maxLength,
          "%s: %s is %s characters long, more than %s",
          what,
          field,
          v.asText().length(),
          maxLength);
      return v.asText();
    }

    @Nullable String optionalText(String field, int maxLength) {
      JsonNode v = node.get(field);
      return v == null || v.isNull() ? null : text(v, field, maxLength);
    }

    long longIn(String field, long min, long max) {
      JsonNode v = required(field);
      checkArgument(
          v.isIntegralNumber() && v.canConvertToLong(), "%s: %s is not an integer", what, field);
      long x = v.asLong();
      checkArgument(
          x >= min && x <= max, "%s: %s is %s, outside [%s, %s]", what, field, x, min, max);
      return x;
    }

    long instant(String field) {
      String t = text(field, 40);
      try {
        return Timestamps.toMicros(Instant.parse(t));
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new IllegalArgumentException(what + ": " + field + " is not an ISO-8601 instant");
      }
    }

    String id(String field) {
      String id = text(field, 128);
      checkArgument(
          SHARD_ID.matcher(id).matches(), "%s: %s '%s' is not a shard id", what, field, id);
      return id;
    }

    Iterable<JsonNode> array(String field, int maxLength) {
      JsonNode v = required(field);
      checkArgument(v.isArray(), "%s: %s is not an array", what, field);
      checkArgument(
          v.size() <= maxLength,
          "%s: %s has %s entries, more than %s",
          what,
          field,
          v.size(),
          maxLength);
      return v;
    }

    KeyColumn keyColumn(JsonNode k, String field) {
      Fields kf = new Fields(k, what + ": an entry of " + field);
      return KeyColumn.of(kf.text("expression", MAX_EXPRESSION), kf.text("type", MAX_NAME));
    }
  }
}
