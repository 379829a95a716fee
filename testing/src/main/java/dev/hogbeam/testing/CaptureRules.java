package dev.hogbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The request rules of PostHog's capture service ({@code rust/capture}), as pure functions, for
 * {@link FakeCaptureServer}. Each method says which part of capture it mirrors; where the fake
 * simplifies, the method says so.
 */
final class CaptureRules {
  private CaptureRules() {}

  /** PostHog truncates distinct ids to this many characters. */
  static final int MAX_DISTINCT_ID_CHARS = 200;

  /** PostHog refuses tokens longer than this (bytes; tokens are ASCII). */
  static final int MAX_TOKEN_LENGTH = 64;

  /** A request PostHog refuses: the status and the message capture puts in the body. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** The three body shapes capture accepts. */
  enum Shape {
    /**
     * {@code {"api_key": ..., "batch": [...]}}: the only shape that carries historical_migration.
     */
    BATCH,
    /** {@code [event, ...]} (posthog-js). */
    ARRAY,
    /** {@code {event}}. */
    SINGLE
  }

  /** A parsed request body, before the token and event checks. */
  static final class Parsed {
    final Shape shape;
    final @Nullable String batchToken;
    final boolean historicalMigration;
    final @Nullable String sentAt;
    final List<ObjectNode> events;

    Parsed(
        Shape shape,
        @Nullable String batchToken,
        boolean historicalMigration,
        @Nullable String sentAt,
        List<ObjectNode> events) {
      this.shape = shape;
      this.batchToken = batchToken;
      this.historicalMigration = historicalMigration;
      this.sentAt = sentAt;
      this.events = events;
    }
  }

  /**
   * Splits a decoded JSON body into its shape, the batch-level fields and the events, failing the
   * way capture's deserialisation fails (400 {@code failed to parse request}): an array is the
   * array shape; an object with a {@code batch} key is the batch shape ({@code api_key}, or its
   * alias {@code token}; {@code historical_migration} must be a boolean; {@code sent_at} a string);
   * any other object is a single event. An empty batch or array is refused (400).
   *
   * @param engage whether the route is {@code /engage}, where a missing event name means {@code
   *     $identify}
   */
  static Parsed parse(JsonNode root, boolean engage) throws Refusal {
    Shape shape;
    JsonNode eventsNode;
    String batchToken = null;
    boolean historical = false;
    String sentAt = null;
    if (root.isArray()) {
      shape = Shape.ARRAY;
      eventsNode = root;
    } else if (root.isObject() && root.has("batch")) {
      shape = Shape.BATCH;
      eventsNode = root.get("batch");
      if (!eventsNode.isArray()) {
        throw parseError("invalid type for `batch`: expected a sequence");
      }
      JsonNode token = root.has("api_key") ? root.get("api_key") : root.get("token");
      batchToken = optionalString(token, "api_key");
      JsonNode hm = root.get("historical_migration");
      if (hm != null && !hm.isNull()) {
        if (!hm.isBoolean()) {
          throw parseError("invalid type for `historical_migration`: expected a boolean");
        }
        historical = hm.booleanValue();
      }
      sentAt = optionalString(root.get("sent_at"), "sent_at");
    } else if (root.isObject()) {
      shape = Shape.SINGLE;
      eventsNode = null;
    } else {
      throw parseError("data did not match any variant of untagged enum RawRequest");
    }
    List<ObjectNode> events = new ArrayList<>();
    if (eventsNode == null) {
      events.add(checkEventShape(root, engage));
    } else {
      for (JsonNode e : eventsNode) {
        events.add(checkEventShape(e, engage));
      }
    }
    if (events.isEmpty()) {
      throw new Refusal(400, "request holds no event");
    }
    return new Parsed(shape, batchToken, historical, sentAt, events);
  }

  /**
   * The field types capture's {@code RawEvent} deserialisation enforces: an object; {@code event} a
   * string (required, except on {@code /engage}); {@code uuid} absent, null, empty or a UUID;
   * {@code properties}, {@code $set}, {@code $set_once} objects; {@code timestamp} and the token
   * fields strings; {@code offset} an integer. Anything else refuses the WHOLE request (400).
   */
  static ObjectNode checkEventShape(JsonNode e, boolean engage) throws Refusal {
    if (!e.isObject()) {
      throw parseError("invalid type: expected an event object");
    }
    ObjectNode event = (ObjectNode) e;
    JsonNode name = event.get("event");
    if (name == null || name.isNull()) {
      if (!engage) {
        throw parseError("missing field `event`");
      }
    } else if (!name.isTextual()) {
      throw parseError("invalid type for `event`: expected a string");
    }
    JsonNode uuid = event.get("uuid");
    if (uuid != null && !uuid.isNull()) {
      if (!uuid.isTextual()) {
        throw parseError("invalid type for `uuid`: expected a string");
      }
      if (!uuid.textValue().isEmpty() && !isRustUuid(uuid.textValue())) {
        throw parseError("invalid uuid: '" + uuid.textValue() + "'");
      }
    }
    for (String field : new String[] {"properties", "$set", "$set_once"}) {
      JsonNode v = event.get(field);
      boolean nullable = !field.equals("properties");
      if (v != null && !v.isObject() && !(nullable && v.isNull())) {
        throw parseError("invalid type for `" + field + "`: expected a map");
      }
    }
    for (String field : new String[] {"timestamp", "token", "$token", "api_key"}) {
      optionalString(event.get(field), field);
    }
    JsonNode offset = event.get("offset");
    if (offset != null && !offset.isNull() && !offset.canConvertToLong()) {
      throw parseError("invalid type for `offset`: expected i64");
    }
    return event;
  }

  /**
   * The token of a request, as capture resolves it: the batch's {@code api_key}/{@code token} when
   * present, else the one token all events carry ({@code token}, {@code $token}, {@code api_key},
   * or {@code properties.token}); none is 401, two different ones are 401.
   */
  static String resolveToken(Parsed parsed) throws Refusal {
    if (parsed.batchToken != null) {
      return parsed.batchToken;
    }
    String found = null;
    for (ObjectNode e : parsed.events) {
      String t = eventToken(e);
      if (t == null) {
        continue;
      }
      if (found != null && !found.equals(t)) {
        throw new Refusal(401, "batch submitted with inconsistent api_key values");
      }
      found = t;
    }
    if (found == null) {
      throw new Refusal(401, "event submitted without an api_key");
    }
    return found;
  }

  private static @Nullable String eventToken(ObjectNode e) {
    for (String field : new String[] {"token", "$token", "api_key"}) {
      JsonNode v = e.get(field);
      if (v != null && v.isTextual()) {
        return v.textValue();
      }
    }
    JsonNode props = e.get("properties");
    if (props != null && props.isObject() && props.path("token").isTextual()) {
      return props.get("token").textValue();
    }
    return null;
  }

  /**
   * Why capture refuses {@code token}, or null when it is well formed. Mirrors {@code
   * validate_token} in capture's {@code token.rs}: after trimming surrounding whitespace, a token
   * is malformed when it is empty, longer than 64 bytes, not ASCII, starts with {@code phx_} (a
   * personal API key), or contains a NUL character. Capture checks nothing else at the edge: a
   * well-formed token of no project gets 200 and its events are dropped later.
   */
  static @Nullable String tokenProblem(String token) {
    String t = token.strip();
    if (t.isEmpty()) {
      return "empty";
    }
    if (t.length() > MAX_TOKEN_LENGTH) {
      return "too_long";
    }
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) > 0x7f) {
        return "not_ascii";
      }
    }
    if (t.startsWith("phx_")) {
      return "personal_api_key";
    }
    if (t.indexOf('\0') >= 0) {
      return "null_byte";
    }
    return null;
  }

  /**
   * The distinct id capture stores for {@code event}: the top-level {@code distinct_id} (or {@code
   * $distinct_id}), else {@code properties.distinct_id}; strings as they are, other values as
   * compact JSON text (numbers: {@code 23}, {@code 23.4}); NUL characters replaced by U+FFFD;
   * truncated to 200 characters. Null when missing, null or empty (capture answers 400).
   */
  static @Nullable String distinctId(ObjectNode event) {
    JsonNode v = event.get("distinct_id");
    if (v == null || v.isNull()) {
      v = event.get("$distinct_id");
    }
    if (v == null || v.isNull()) {
      JsonNode props = event.get("properties");
      v = props == null ? null : props.get("distinct_id");
    }
    if (v == null || v.isNull()) {
      return null;
    }
    String id = (v.isTextual() ? v.textValue() : v.toString()).replace('\0', '\uFFFD');
    if (id.isEmpty()) {
      return null;
    }
    if (id.codePointCount(0, id.length()) > MAX_DISTINCT_ID_CHARS) {
      id = id.substring(0, id.offsetByCodePoints(0, MAX_DISTINCT_ID_CHARS));
    }
    return id;
  }

  /** The event name capture uses: {@code $identify} for a nameless event on /engage. */
  static String eventName(ObjectNode event) {
    JsonNode name = event.get("event");
    return name == null || name.isNull() ? "$identify" : name.textValue();
  }

  private static final Pattern HEX32 = Pattern.compile("[0-9a-fA-F]{32}");

  /**
   * Whether the Rust {@code uuid} crate's {@code Uuid::parse_str} (which capture uses) accepts
   * {@code s}: hyphenated 8-4-4-4-12, simple (32 hex digits), braced, or {@code urn:uuid:}.
   */
  static boolean isRustUuid(String s) {
    String t = s;
    if (t.startsWith("{") && t.endsWith("}")) {
      t = t.substring(1, t.length() - 1);
    } else if (t.toLowerCase(Locale.ROOT).startsWith("urn:uuid:")) {
      t = t.substring("urn:uuid:".length());
    }
    if (t.length() == 32) {
      return HEX32.matcher(t).matches();
    }
    if (t.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = t.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable String optionalString(@Nullable JsonNode v, String field)
      throws Refusal {
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw parseError("invalid type for `" + field + "`: expected a string");
    }
    return v.textValue();
  }

  private static Refusal parseError(String detail) {
    return new Refusal(400, "failed to parse request: " + detail);
  }
}
