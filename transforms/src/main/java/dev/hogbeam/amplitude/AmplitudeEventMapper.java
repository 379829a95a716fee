package dev.hogbeam.amplitude;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.amplitude.MappedAmplitudeEvent.GroupSnapshot;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.NameUuids;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Maps one line of an Amplitude export to a PostHog capture event. A pure function of the line and
 * the options: no I/O, no clock, no randomness (made-up uuids are name-based), so the same line
 * always gives the same event. The README's "Amplitude" section has the field table this
 * implements.
 *
 * <p>Amplitude writes the literal string {@code "EMPTY"} for missing values; it is treated exactly
 * like null or an absent field everywhere (top-level fields, the first level of event_properties,
 * user_properties and group properties, and ids).
 */
final class AmplitudeEventMapper implements Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code $lib} of every event hogbeam makes from Amplitude data. */
  static final String LIB = "amplitude-import";

  static final String EMPTY = "EMPTY";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  // Decimals are read as BigDecimal and kept as written (1.10 stays 1.10), not via double.
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .nodeFactory(NODES)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  /** Amplitude event names PostHog has its own name for. */
  private static final Map<String, String> RENAMES =
      Map.of(
          "[Amplitude] Page Viewed", "$pageview",
          "[Amplitude] Element Clicked", "$autocapture",
          "[Amplitude] Element Changed", "$autocapture",
          // Amplitude's identify calls only update user properties: PostHog's event for that is
          // $set. Sent as "$identify" they would mark the device person identified, after which
          // PostHog refuses to merge it into the user.
          "$identify", "$set",
          // Amplitude's group identify calls lack PostHog's $group_type/$group_key/$group_set;
          // kept under a name PostHog gives no meaning to (see withGroupIdentify for the real one).
          "$groupidentify", "$amplitude_groupidentify");

  /** Autocapture's {@code $event_type} for the renamed element events. */
  private static final Map<String, String> AUTOCAPTURE_TYPES =
      Map.of("[Amplitude] Element Clicked", "click", "[Amplitude] Element Changed", "change");

  /** Amplitude's synthetic session markers; PostHog derives sessions itself. */
  static final Set<String> SESSION_EVENTS = Set.of("session_start", "session_end");

  /** Times tried for the timestamp, in order. */
  private static final String[] TIME_FIELDS = {
    "event_time", "client_event_time", "server_received_time"
  };

  /** initial_X user properties that become $initial_X in $set_once (besides initial_utm_*). */
  private static final Set<String> INITIAL_FIELDS =
      Set.of(
          "referrer",
          "referring_domain",
          "gclid",
          "gad_source",
          "gbraid",
          "wbraid",
          "fbclid",
          "msclkid",
          "dclid",
          "ko_click_id",
          "li_fat_id",
          "rtd_cid",
          "ttclid",
          "twclid");

  private final boolean keepEventNames;
  private final boolean keepSessionEvents;
  private final boolean collectGroups;

  /**
   * @param keepEventNames send Amplitude's event names unchanged (no $pageview/$autocapture/...)
   * @param keepSessionEvents send session_start / session_end instead of dropping them
   * @param collectGroups record each event's group properties (for $groupidentify)
   */
  AmplitudeEventMapper(boolean keepEventNames, boolean keepSessionEvents, boolean collectGroups) {
    this.keepEventNames = keepEventNames;
    this.keepSessionEvents = keepSessionEvents;
    this.collectGroups = collectGroups;
  }

  /** What became of one line. */
  static final class Outcome {
    enum Kind {
      EVENT,
      DROPPED,
      INVALID
    }

    final Kind kind;
    final @Nullable MappedAmplitudeEvent event;

    /** For DROPPED the event type; for INVALID the reason. */
    final @Nullable String detail;

    /** For INVALID: Amplitude's uuid when the line had a valid one. */
    final @Nullable String uuid;

    private Outcome(
        Kind kind,
        @Nullable MappedAmplitudeEvent event,
        @Nullable String detail,
        @Nullable String uuid) {
      this.kind = kind;
      this.event = event;
      this.detail = detail;
      this.uuid = uuid;
    }

    static Outcome event(MappedAmplitudeEvent e) {
      return new Outcome(Kind.EVENT, e, null, null);
    }

    static Outcome dropped(String eventType) {
      return new Outcome(Kind.DROPPED, null, eventType, null);
    }

    static Outcome invalid(String reason, @Nullable String uuid) {
      return new Outcome(Kind.INVALID, null, reason, uuid);
    }
  }

  /** Maps one export line (a JSON object). */
  Outcome map(String line) {
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return Outcome.invalid("not valid JSON: " + e.getOriginalMessage(), null);
    }
    if (root == null || !root.isObject()) {
      return Outcome.invalid("not a JSON object", null);
    }
    return map((ObjectNode) root, line);
  }

  private Outcome map(ObjectNode amp, String line) {
    String amplitudeUuid = text(amp.get("uuid"));
    String validUuid =
        amplitudeUuid != null && CaptureEvent.isValidUuid(amplitudeUuid) ? amplitudeUuid : null;

    String eventType = text(amp.get("event_type"));
    if (eventType == null) {
      return Outcome.invalid("no event_type", validUuid);
    }
    if (!keepSessionEvents && SESSION_EVENTS.contains(eventType)) {
      return Outcome.dropped(eventType);
    }
    String userId = id(amp.get("user_id"));
    String deviceId = id(amp.get("device_id"));
    if (userId == null && deviceId == null) {
      return Outcome.invalid("neither user_id nor device_id", validUuid);
    }
    String distinctId = userId != null ? userId : deviceId;

    long timestampMicros = Long.MIN_VALUE;
    for (String field : TIME_FIELDS) {
      String t = text(amp.get(field));
      if (t != null) {
        try {
          timestampMicros = AmplitudeTimes.parseMicros(t);
        } catch (IllegalArgumentException e) {
          return Outcome.invalid(field + " " + e.getMessage(), validUuid);
        }
        break;
      }
    }
    if (timestampMicros == Long.MIN_VALUE) {
      return Outcome.invalid("no event_time, client_event_time or server_received_time", validUuid);
    }

    String insertId = text(amp.get("$insert_id"));
    String uuid =
        validUuid != null ? validUuid : madeUpUuid(deviceId, insertId, timestampMicros, line);
    String name = keepEventNames ? eventType : RENAMES.getOrDefault(eventType, eventType);

    ObjectNode props = properties(amp, eventType, name, deviceId, distinctId, insertId);
    long upload = MappedAmplitudeEvent.NO_UPLOAD_TIME;
    String uploadText = text(amp.get("server_upload_time"));
    if (uploadText != null) {
      try {
        upload = AmplitudeTimes.parseMicros(uploadText);
      } catch (IllegalArgumentException e) {
        // Only a tie-breaker between duplicates: an unreadable one sorts last.
      }
    }
    CaptureEvent event = CaptureEvent.of(uuid, name, distinctId, timestampMicros, props.toString());
    return Outcome.event(
        new MappedAmplitudeEvent(
            event,
            deviceId,
            userId,
            insertId,
            upload,
            collectGroups ? groupSnapshots(amp.get("group_properties")) : List.of()));
  }

  /**
   * The uuid of an event whose Amplitude uuid is missing or invalid: name-based on (device_id,
   * $insert_id, time) when it has an insert id (so both copies of a re-sent event get the same
   * one), else on the whole line.
   */
  static String madeUpUuid(
      @Nullable String deviceId, @Nullable String insertId, long timestampMicros, String line) {
    if (insertId != null) {
      return NameUuids.v5(
          "amplitude-event\n"
              + (deviceId == null ? "" : deviceId)
              + "\n"
              + insertId
              + "\n"
              + timestampMicros);
    }
    return NameUuids.v5("amplitude-line\n" + line);
  }

  private ObjectNode properties(
      ObjectNode amp,
      String eventType,
      String name,
      @Nullable String deviceId,
      String distinctId,
      @Nullable String insertId) {
    ObjectNode props = NODES.objectNode();
    JsonNode eventProps = amp.get("event_properties");
    ObjectNode ep = eventProps instanceof ObjectNode ? (ObjectNode) eventProps : NODES.objectNode();
    copyPresent(ep, props);

    // Every other top-level field, under $amplitude_<name>.
    Iterator<Map.Entry<String, JsonNode>> fields = amp.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = f.getKey();
      JsonNode value = f.getValue();
      boolean mappedElsewhere =
          key.equals("event_type")
              || key.equals("$insert_id")
              || (value.isObject()
                  && (key.equals("event_properties") || key.equals("user_properties")));
      if (!mappedElsewhere && !isAbsent(value)) {
        props.set(amplitudeName(key), value);
      }
    }
    if (!name.equals(eventType)) {
      props.put("$amplitude_event_type", eventType);
    }

    put(props, "$insert_id", insertId);
    put(props, "$device_id", deviceId);
    put(props, "$ip", text(amp.get("ip_address")));
    deviceProperties(amp, props);
    put(props, "$app_version", text(amp.get("version_name")));
    put(props, "$geoip_country_name", text(amp.get("country")));
    put(props, "$geoip_city_name", text(amp.get("city")));
    put(props, "$geoip_subdivision_1_name", text(amp.get("region")));
    putNumber(props, "$geoip_latitude", amp.get("location_lat"));
    putNumber(props, "$geoip_longitude", amp.get("location_lng"));

    String url = text(ep.get("[Amplitude] Page Location"));
    put(props, "$current_url", url != null ? url : text(ep.get("[Amplitude] Page URL")));
    put(props, "$pathname", text(ep.get("[Amplitude] Page Path")));
    put(props, "$host", text(ep.get("[Amplitude] Page Domain")));
    put(props, "$referrer", text(ep.get("referrer")));
    put(props, "$referring_domain", text(ep.get("referring_domain")));
    putNumber(props, "$viewport_height", ep.get("[Amplitude] Viewport Height"));
    putNumber(props, "$viewport_width", ep.get("[Amplitude] Viewport Width"));

    JsonNode session = amp.get("session_id");
    if (session != null && session.canConvertToLong() && session.asLong() > 0) {
      long start = session.asLong();
      if (start < (1L << 48)) {
        String device = deviceId != null ? deviceId : distinctId;
        props.put(
            "$session_id", NameUuids.v7(start, "amplitude-session\n" + device + "\n" + start));
      }
    }
    if (!keepEventNames && AUTOCAPTURE_TYPES.containsKey(eventType)) {
      props.put("$event_type", AUTOCAPTURE_TYPES.get(eventType));
    }
    ObjectNode groups = groups(amp.get("groups"));
    if (groups.size() > 0) {
      props.set("$groups", groups);
    }
    props.put("$lib", LIB);
    props.put("$geoip_disable", true);

    personProperties(amp.get("user_properties"), props);
    return props;
  }

  /**
   * {@code $set} = user_properties, plus the location (PostHog's GeoIP step, which is disabled,
   * would otherwise set it); {@code $set_once} = Amplitude's initial_* attribution as PostHog's
   * $initial_*, plus the initial location.
   */
  private static void personProperties(@Nullable JsonNode userProps, ObjectNode props) {
    ObjectNode set = NODES.objectNode();
    ObjectNode setOnce = NODES.objectNode();
    if (userProps instanceof ObjectNode) {
      copyPresent((ObjectNode) userProps, set);
      Iterator<Map.Entry<String, JsonNode>> it = userProps.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        String key = f.getKey();
        if (key.startsWith("initial_") && !isAbsent(f.getValue())) {
          String suffix = key.substring("initial_".length());
          if (suffix.startsWith("utm_") || INITIAL_FIELDS.contains(suffix)) {
            setOnce.set("$" + key, f.getValue());
          }
        }
      }
    }
    for (String geo :
        new String[] {"$geoip_country_name", "$geoip_city_name", "$geoip_subdivision_1_name"}) {
      JsonNode v = props.get(geo);
      if (v != null) {
        if (!set.has(geo)) {
          set.set(geo, v);
        }
        setOnce.set("$initial_" + geo.substring(1), v);
      }
    }
    if (set.size() > 0) {
      props.set("$set", set);
    }
    if (setOnce.size() > 0) {
      props.set("$set_once", setOnce);
    }
  }

  /**
   * Operating system, browser and device. Amplitude's browser SDKs put the BROWSER in os_name /
   * os_version and the operating system (or the phone model) in device_model; server-side Amplitude
   * derives device_family / device_type from them. Its mobile SDKs put the real operating system in
   * os_name. So the platform decides what os_name means.
   */
  private static void deviceProperties(ObjectNode amp, ObjectNode props) {
    String osName = text(amp.get("os_name"));
    String osVersion = text(amp.get("os_version"));
    String family = text(amp.get("device_family"));
    String model = text(amp.get("device_model"));
    String type = text(amp.get("device_type"));
    String os;
    if ("web".equalsIgnoreCase(text(amp.get("platform")))) {
      put(props, "$browser", osName);
      put(props, "$browser_version", osVersion);
      os = normalizeOs(firstPresent(family, model, type));
      put(props, "$os", os);
    } else {
      os = normalizeOs(osName);
      put(props, "$os", os);
      put(props, "$os_version", osVersion);
      String maker = text(amp.get("device_manufacturer"));
      put(props, "$device_manufacturer", maker != null ? maker : text(amp.get("device_brand")));
      put(props, "$device_model", model);
    }
    put(props, "$device_type", deviceType(os, family, model, type));
    put(props, "$network_carrier", text(amp.get("device_carrier")));
  }

  /** PostHog's spelling of common operating systems; anything else as given. */
  static @Nullable String normalizeOs(@Nullable String os) {
    if (os == null) {
      return null;
    }
    String s = os.toLowerCase(Locale.ROOT);
    if (s.contains("iphone")
        || s.contains("ipad")
        || s.contains("ipod")
        || s.equals("ios")
        || s.startsWith("ios ")) {
      return "iOS";
    }
    if (s.contains("android")) {
      return "Android";
    }
    if (s.contains("chrome os") || s.contains("chromeos") || s.equals("cros")) {
      return "Chrome OS";
    }
    if (s.startsWith("mac") || s.equals("os x")) {
      return "Mac OS X";
    }
    if (s.startsWith("windows")) {
      return "Windows";
    }
    if (s.contains("linux") || s.contains("ubuntu")) {
      return "Linux";
    }
    return os;
  }

  /** PostHog's $device_type (Desktop, Mobile, Tablet) when it can be told, else null. */
  static @Nullable String deviceType(@Nullable String os, String... deviceFields) {
    for (String f : deviceFields) {
      if (f != null) {
        String s = f.toLowerCase(Locale.ROOT);
        if (s.contains("ipad") || s.contains("tablet")) {
          return "Tablet";
        }
      }
    }
    if (os == null) {
      return null;
    }
    switch (os) {
      case "iOS":
      case "Android":
        return "Mobile";
      case "Windows":
      case "Mac OS X":
      case "Linux":
      case "Chrome OS":
        return "Desktop";
      default:
        return null;
    }
  }

  /** {@code $groups}: each group type with its first key. */
  private static ObjectNode groups(@Nullable JsonNode groups) {
    ObjectNode out = NODES.objectNode();
    if (groups instanceof ObjectNode) {
      Iterator<Map.Entry<String, JsonNode>> it = groups.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> g = it.next();
        JsonNode v = g.getValue();
        String key = null;
        if (v.isArray()) {
          for (JsonNode k : v) {
            key = text(k);
            if (key != null) {
              break;
            }
          }
        } else {
          key = text(v);
        }
        if (key != null) {
          out.put(g.getKey(), key);
        }
      }
    }
    return out;
  }

  private static List<GroupSnapshot> groupSnapshots(@Nullable JsonNode groupProps) {
    List<GroupSnapshot> out = new ArrayList<>();
    if (!(groupProps instanceof ObjectNode)) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> types = groupProps.fields();
    while (types.hasNext()) {
      Map.Entry<String, JsonNode> type = types.next();
      if (!(type.getValue() instanceof ObjectNode)) {
        continue;
      }
      Iterator<Map.Entry<String, JsonNode>> keys = type.getValue().fields();
      while (keys.hasNext()) {
        Map.Entry<String, JsonNode> key = keys.next();
        if (!(key.getValue() instanceof ObjectNode)) {
          continue;
        }
        ObjectNode props = NODES.objectNode();
        copyPresent((ObjectNode) key.getValue(), props);
        if (props.size() > 0 && !key.getKey().isEmpty() && !EMPTY.equals(key.getKey())) {
          out.add(new GroupSnapshot(type.getKey(), key.getKey(), props.toString()));
        }
      }
    }
    return out;
  }

  /** {@code $amplitude_<field>}, without a leading {@code $} of the field itself. */
  static String amplitudeName(String field) {
    return "$amplitude_" + (field.startsWith("$") ? field.substring(1) : field);
  }

  private static void copyPresent(ObjectNode from, ObjectNode to) {
    Iterator<Map.Entry<String, JsonNode>> it = from.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!isAbsent(f.getValue())) {
        to.set(f.getKey(), f.getValue());
      }
    }
  }

  /** Null, missing or Amplitude's "EMPTY". */
  static boolean isAbsent(@Nullable JsonNode v) {
    return v == null
        || v.isNull()
        || v.isMissingNode()
        || (v.isTextual() && EMPTY.equals(v.textValue()));
  }

  /** A scalar as text; null when absent, empty, "EMPTY", or not a scalar. */
  static @Nullable String text(@Nullable JsonNode v) {
    if (isAbsent(v) || !v.isValueNode()) {
      return null;
    }
    String s = v.isTextual() ? v.textValue() : v.asText();
    return s.isEmpty() ? null : s;
  }

  /** An identity: {@link #text} that is not blank either. */
  static @Nullable String id(@Nullable JsonNode v) {
    String s = text(v);
    return s == null || s.isBlank() ? null : s;
  }

  private static @Nullable String firstPresent(@Nullable String... values) {
    for (String v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static void put(ObjectNode props, String key, @Nullable String value) {
    if (value != null) {
      props.put(key, value);
    }
  }

  private static void putNumber(ObjectNode props, String key, @Nullable JsonNode value) {
    if (value != null && value.isNumber()) {
      props.set(key, value);
    }
  }
}
