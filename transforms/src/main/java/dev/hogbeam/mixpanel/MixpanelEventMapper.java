package dev.hogbeam.mixpanel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.NameUuids;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One line of a Mixpanel raw export ({@code {"event": ..., "properties": {...}}}) to one PostHog
 * event, or the reason it makes none. A pure function of the line (and the project's timezone): the
 * Export API read, export files and {@code --retryDeadLetters} all map through it, so the same line
 * always makes the same event.
 *
 * <p>The rules follow PostHog's own Mixpanel importer (its batch-import worker), so events imported
 * by either de-duplicate against each other: the uuid is UUIDv5 of {@code $insert_id} in the
 * namespace made of the 16 ASCII bytes {@code posthog_mixpanel}; distinct_id, renames and drops are
 * PostHog's. Differences, on purpose: {@code time} keeps its fraction to the microsecond (PostHog
 * truncates to seconds), a line without {@code $insert_id} gets a uuid named after its content
 * (PostHog's is random, so a re-run would duplicate it), a line without any distinct id is refused
 * with a reason (PostHog skips it silently), and {@code $geoip_disable} is set so PostHog does not
 * overwrite the migrated geo properties from the importer's IP. The README's "Migrating from
 * Mixpanel" table lists every rule.
 */
public final class MixpanelEventMapper implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /** PostHog's importer's namespace: the 16 ASCII bytes {@code posthog_mixpanel}. */
  public static final UUID INSERT_ID_NAMESPACE = bytesToUuid("posthog_mixpanel");

  /** {@code time} above this is in milliseconds, at or below in seconds (PostHog's rule). */
  static final long MILLIS_ABOVE = 10_000_000_000L;

  /** Mixpanel properties PostHog's importer drops. */
  static final List<String> DROPPED =
      List.of(
          "$mp_api_endpoint",
          "mp_processing_time_ms",
          "$insert_id",
          "$geo_source",
          "$mp_api_timestamp_ms");

  /** Mixpanel geo properties and PostHog's names for them. */
  static final Map<String, String> GEO_RENAMES =
      Map.of(
          "$city", "$geoip_city_name",
          "$region", "$geoip_subdivision_1_name",
          "mp_country_code", "$geoip_country_code");

  /** Event names PostHog has its own name for. */
  static final Map<String, String> EVENT_RENAMES = Map.of("$mp_web_page_view", "$pageview");

  /** Properties copied to the person's {@code $set} (latest value wins), as PostHog's importer. */
  static final List<String> PERSON_SET =
      List.of(
          "$browser",
          "$browser_version",
          "$os",
          "$os_version",
          "$device",
          "$device_type",
          "$current_url",
          "$referrer",
          "$referring_domain",
          "$geoip_city_name",
          "$geoip_subdivision_1_name",
          "$geoip_country_code",
          "$geoip_country_name");

  /** Properties copied to the person's {@code $set_once} (first value wins). */
  static final List<String> PERSON_SET_ONCE =
      List.of(
          "$initial_referrer",
          "$initial_referring_domain",
          "$initial_utm_source",
          "$initial_utm_medium",
          "$initial_utm_campaign",
          "$initial_utm_content",
          "$initial_utm_term");

  /** Taken out of the properties: they become the event's own fields. */
  private static final Set<String> FIELDS = Set.of("distinct_id", "time", "$user_id", "$device_id");

  private final String zone;

  private MixpanelEventMapper(ZoneId zone) {
    this.zone = zone.getId();
  }

  /** For projects whose {@code time} is UTC (every project created since 2023-01-01). */
  public static MixpanelEventMapper utc() {
    return new MixpanelEventMapper(ZoneOffset.UTC);
  }

  /**
   * For a legacy project whose {@code time} is the wall-clock time of {@code projectTimezone}: the
   * time is read as a local date-time there and turned into the instant it names (in a repeated
   * hour at the end of summer time, the earlier of the two).
   */
  public static MixpanelEventMapper inTimezone(ZoneId projectTimezone) {
    return new MixpanelEventMapper(projectTimezone);
  }

  /**
   * What a line makes: an event (with the line's {@code $device_id} and {@code $user_id}, for the
   * identity links), or a refusal.
   */
  public record Outcome(
      @Nullable CaptureEvent event,
      @Nullable String deviceId,
      @Nullable String userId,
      @Nullable String refusal) {
    static Outcome refused(String why) {
      return new Outcome(null, null, null, why);
    }
  }

  /** Maps one export line (without its line terminator). */
  public Outcome map(String line) {
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return Outcome.refused("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      return Outcome.refused("not a JSON object");
    }
    JsonNode name = root.get("event");
    if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
      return Outcome.refused("no event name (\"event\" must be a non-empty string)");
    }
    JsonNode props = root.get("properties");
    if (props == null || !props.isObject()) {
      return Outcome.refused("no \"properties\" object");
    }
    Long micros = micros(props.get("time"));
    if (micros == null) {
      return Outcome.refused(
          "properties.time is missing or not a Unix time in seconds or milliseconds: "
              + props.get("time"));
    }
    String userId = nonEmptyText(props, "$user_id");
    String deviceId = nonEmptyText(props, "$device_id");
    String distinctId = distinctId(props, userId, deviceId);
    if (distinctId == null) {
      return Outcome.refused(
          "no distinct id: properties.distinct_id, $distinct_id_before_identity, $user_id and"
              + " $device_id are all missing or empty");
    }

    ObjectNode out = JSON.createObjectNode();
    props
        .fields()
        .forEachRemaining(
            f -> {
              if (!FIELDS.contains(f.getKey())) {
                out.set(f.getKey(), f.getValue());
              }
            });
    GEO_RENAMES.forEach(
        (from, to) -> {
          JsonNode v = out.remove(from);
          if (v != null) {
            out.set(to, v);
          }
        });
    JsonNode code = out.get("$geoip_country_code");
    if (code != null && code.isTextual()) {
      String country = countryName(code.textValue());
      if (country != null) {
        out.put("$geoip_country_name", country);
      }
    }
    DROPPED.forEach(out::remove);
    if (userId != null) {
      out.put("$mixpanel_user_id", userId);
    }
    if (deviceId != null) {
      out.put("$mixpanel_device_id", deviceId);
    }
    copyTo(out, "$set", PERSON_SET);
    copyTo(out, "$set_once", PERSON_SET_ONCE);
    out.put("historical_migration", true);
    out.put("analytics_source", "mixpanel");
    out.put("$geoip_disable", true);

    String insertId = nonEmptyText(props, "$insert_id");
    String uuid =
        insertId != null
            ? NameUuids.v5(INSERT_ID_NAMESPACE, insertId)
            : NameUuids.v5("mixpanel-line\n" + canonical(root));
    String event = EVENT_RENAMES.getOrDefault(name.textValue(), name.textValue());
    return new Outcome(
        CaptureEvent.of(uuid, event, distinctId, micros, out.toString()), deviceId, userId, null);
  }

  /**
   * PostHog's choice of distinct id: {@code properties.distinct_id}, unless it is missing, empty or
   * anonymous-looking ({@code $device:...}, or an upper-case device UUID) and {@code
   * $distinct_id_before_identity} is there; then {@code $user_id}, then {@code $device_id}.
   */
  static @Nullable String distinctId(
      JsonNode props, @Nullable String userId, @Nullable String deviceId) {
    String distinctId = nonEmptyText(props, "distinct_id");
    String before = nonEmptyText(props, "$distinct_id_before_identity");
    if (before != null
        && (distinctId == null
            || distinctId.startsWith("$device:")
            || looksLikeDeviceUuid(distinctId))) {
      return before;
    }
    if (distinctId != null) {
      return distinctId;
    }
    return userId != null ? userId : deviceId;
  }

  /** Only upper-case letters, digits and dashes, with at least one letter (PostHog's test). */
  static boolean looksLikeDeviceUuid(String id) {
    boolean letter = false;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        letter = true;
      } else if (!(c >= '0' && c <= '9') && c != '-') {
        return false;
      }
    }
    return letter;
  }

  /**
   * {@code time} as epoch microseconds: a number (or a numeric string) of seconds, or of
   * milliseconds when above {@link #MILLIS_ABOVE}; a fraction is kept to the microsecond (further
   * digits are cut). In a legacy project's timezone, the value is that zone's wall clock.
   */
  @Nullable Long micros(@Nullable JsonNode time) {
    BigDecimal value;
    if (time == null) {
      return null;
    } else if (time.isNumber()) {
      value = time.decimalValue();
    } else if (time.isTextual()) {
      try {
        value = new BigDecimal(time.textValue().strip());
      } catch (NumberFormatException e) {
        return null;
      }
    } else {
      return null;
    }
    if (value.signum() <= 0) {
      return null;
    }
    BigDecimal perUnit =
        value.compareTo(BigDecimal.valueOf(MILLIS_ABOVE)) > 0
            ? BigDecimal.valueOf(1_000)
            : BigDecimal.valueOf(1_000_000);
    long micros;
    try {
      micros = value.multiply(perUnit).setScale(0, RoundingMode.DOWN).longValueExact();
    } catch (ArithmeticException e) {
      return null;
    }
    if (micros / 1_000_000 > 253_402_300_799L) { // after 9999-12-31
      return null;
    }
    ZoneId z = ZoneId.of(zone);
    if (z.equals(ZoneOffset.UTC)) {
      return micros;
    }
    long seconds = Math.floorDiv(micros, 1_000_000);
    long fraction = Math.floorMod(micros, 1_000_000);
    LocalDateTime local = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
    long utcSeconds = local.atZone(z).toEpochSecond();
    return utcSeconds * 1_000_000 + fraction;
  }

  /** English country name of an ISO 3166 alpha-2 code, or null when the code is unknown. */
  static @Nullable String countryName(String code) {
    String c = code.strip().toUpperCase(Locale.ROOT);
    if (c.length() != 2 || !Set.of(Locale.getISOCountries()).contains(c)) {
      return null;
    }
    return new Locale("", c).getDisplayCountry(Locale.ENGLISH);
  }

  private static void copyTo(ObjectNode props, String target, List<String> keys) {
    ObjectNode set = null;
    for (String k : keys) {
      JsonNode v = props.get(k);
      if (v != null) {
        if (set == null) {
          set = props.putObject(target);
        }
        set.set(k, v);
      }
    }
  }

  private static @Nullable String nonEmptyText(JsonNode props, String field) {
    JsonNode v = props.get(field);
    if (v == null || v.isNull() || v.isContainerNode()) {
      return null;
    }
    String s = v.asText();
    return s.isEmpty() ? null : s;
  }

  private static String canonical(JsonNode root) {
    try {
      Object tree = CANONICAL.treeToValue(root, Object.class);
      return CANONICAL.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed tree always serializes", e);
    }
  }

  private static UUID bytesToUuid(String sixteenAscii) {
    byte[] b = sixteenAscii.getBytes(StandardCharsets.US_ASCII);
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (b[i] & 0xff);
      lsb = (lsb << 8) | (b[i + 8] & 0xff);
    }
    return new UUID(msb, lsb);
  }
}
