package dev.hogbeam.amplitude;

import static dev.hogbeam.testing.AmplitudeExportZipBuilder.webEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.amplitude.AmplitudeEventMapper.Outcome;
import dev.hogbeam.amplitude.MappedAmplitudeEvent.GroupSnapshot;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The mapping, field by field: every row of the README's Amplitude table. */
class AmplitudeEventMapperTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UUID_1 = "0b8e4c2a-6f1d-4e8b-9a57-1c2d3e4f5a6b";
  private static final String TIME = "2024-05-01 12:34:56.123456";
  private static final long TIME_MICROS =
      Timestamps.toMicros(Instant.parse("2024-05-01T12:34:56.123456Z"));

  private final AmplitudeEventMapper mapper = new AmplitudeEventMapper(false, false, false);

  private static ObjectNode web() {
    return webEvent(UUID_1, "Button Clicked", "user-1", "device-1", TIME);
  }

  private MappedAmplitudeEvent mapped(AmplitudeEventMapper m, JsonNode line) {
    Outcome o = m.map(line.toString());
    assertEquals(Outcome.Kind.EVENT, o.kind, () -> "expected an event, got " + o.detail);
    return o.event;
  }

  private CaptureEvent event(JsonNode line) {
    return mapped(mapper, line).event();
  }

  private ObjectNode props(JsonNode line) {
    return props(event(line));
  }

  private static ObjectNode props(CaptureEvent e) {
    try {
      return (ObjectNode) JSON.readTree(e.propertiesJson());
    } catch (Exception x) {
      throw new AssertionError(x);
    }
  }

  private String invalid(String line) {
    Outcome o = mapper.map(line);
    assertEquals(Outcome.Kind.INVALID, o.kind);
    return o.detail;
  }

  @Test
  void wholeWebEventMapsToExactlyTheseFields() throws Exception {
    CaptureEvent e = event(web());
    assertEquals(UUID_1, e.uuid());
    assertEquals("Button Clicked", e.event());
    assertEquals("user-1", e.distinctId());
    assertEquals(TIME_MICROS, e.timestampMicros());

    String session = NameUuids.v7(1714557600000L, "amplitude-session\ndevice-1\n1714557600000");
    ObjectNode expected =
        (ObjectNode)
            JSON.readTree(
                "{"
                    // event_properties, as they are
                    + "\"[Amplitude] Page Domain\":\"example.com\","
                    + "\"[Amplitude] Page Location\":\"https://example.com/pricing?plan=pro\","
                    + "\"[Amplitude] Page Path\":\"/pricing\","
                    + "\"[Amplitude] Page Title\":\"Pricing – Example\","
                    + "\"[Amplitude] Page URL\":\"https://example.com/pricing\","
                    + "\"plan\":\"pro\","
                    // every other present top-level field, as $amplitude_<field>
                    + "\"$amplitude_amplitude_id\":123456789,"
                    + "\"$amplitude_app\":654321,"
                    + "\"$amplitude_city\":\"São Paulo\","
                    + "\"$amplitude_client_event_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_client_upload_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_country\":\"Brazil\","
                    + "\"$amplitude_data\":{\"path\":\"/2/httpapi\",\"group_first_event\":{},"
                    + "\"group_ids\":{},\"user_properties_updated\":true},"
                    + "\"$amplitude_data_type\":\"event\","
                    + "\"$amplitude_device_family\":\"Mac\","
                    + "\"$amplitude_device_id\":\"device-1\","
                    + "\"$amplitude_device_model\":\"Mac OS\","
                    + "\"$amplitude_device_type\":\"Mac\","
                    + "\"$amplitude_event_id\":42,"
                    + "\"$amplitude_event_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_group_properties\":{},"
                    + "\"$amplitude_groups\":{},"
                    + "\"$amplitude_ip_address\":\"203.0.113.7\","
                    + "\"$amplitude_language\":\"Portuguese\","
                    + "\"$amplitude_library\":\"amplitude-ts/2.11.1\","
                    + "\"$amplitude_os_name\":\"Chrome\","
                    + "\"$amplitude_os_version\":\"126\","
                    + "\"$amplitude_plan\":{},"
                    + "\"$amplitude_platform\":\"Web\","
                    + "\"$amplitude_processed_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_region\":\"São Paulo\","
                    + "\"$amplitude_server_received_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_server_upload_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_session_id\":1714557600000,"
                    + "\"$amplitude_user_creation_time\":\""
                    + TIME
                    + "\","
                    + "\"$amplitude_user_id\":\"user-1\","
                    + "\"$amplitude_uuid\":\""
                    + UUID_1
                    + "\","
                    // PostHog's standard properties
                    + "\"$insert_id\":\"ins-"
                    + UUID_1
                    + "\","
                    + "\"$device_id\":\"device-1\","
                    + "\"$ip\":\"203.0.113.7\","
                    + "\"$browser\":\"Chrome\","
                    + "\"$browser_version\":\"126\","
                    + "\"$os\":\"Mac OS X\","
                    + "\"$device_type\":\"Desktop\","
                    + "\"$geoip_country_name\":\"Brazil\","
                    + "\"$geoip_city_name\":\"São Paulo\","
                    + "\"$geoip_subdivision_1_name\":\"São Paulo\","
                    + "\"$current_url\":\"https://example.com/pricing?plan=pro\","
                    + "\"$pathname\":\"/pricing\","
                    + "\"$host\":\"example.com\","
                    + "\"$session_id\":\""
                    + session
                    + "\","
                    + "\"$lib\":\"amplitude-import\","
                    + "\"$geoip_disable\":true,"
                    + "\"$set\":{\"initial_utm_source\":\"newsletter\","
                    + "\"initial_utm_medium\":\"email\",\"plan\":\"pro\","
                    + "\"$geoip_country_name\":\"Brazil\",\"$geoip_city_name\":\"São Paulo\","
                    + "\"$geoip_subdivision_1_name\":\"São Paulo\"},"
                    + "\"$set_once\":{\"$initial_utm_source\":\"newsletter\","
                    + "\"$initial_utm_medium\":\"email\","
                    + "\"$initial_geoip_country_name\":\"Brazil\","
                    + "\"$initial_geoip_city_name\":\"São Paulo\","
                    + "\"$initial_geoip_subdivision_1_name\":\"São Paulo\"}"
                    + "}");
    assertEquals(expected, props(e));
  }

  @Test
  void eventTypeIsTheEventName() {
    assertEquals("Signed Up", event(web().put("event_type", "Signed Up")).event());
  }

  @Test
  void amplitudeNamesBecomePostHogNamesAndTheOriginalIsKept() {
    CaptureEvent page = event(web().put("event_type", "[Amplitude] Page Viewed"));
    assertEquals("$pageview", page.event());
    assertEquals("[Amplitude] Page Viewed", props(page).get("$amplitude_event_type").asText());
    assertFalse(props(page).has("$event_type"));

    CaptureEvent click = event(web().put("event_type", "[Amplitude] Element Clicked"));
    assertEquals("$autocapture", click.event());
    assertEquals("click", props(click).get("$event_type").asText());
    CaptureEvent change = event(web().put("event_type", "[Amplitude] Element Changed"));
    assertEquals("$autocapture", change.event());
    assertEquals("change", props(change).get("$event_type").asText());
    assertEquals(
        "[Amplitude] Element Changed", props(change).get("$amplitude_event_type").asText());

    assertEquals("$set", event(web().put("event_type", "$identify")).event());
    assertEquals(
        "$amplitude_groupidentify", event(web().put("event_type", "$groupidentify")).event());

    assertFalse(props(web()).has("$amplitude_event_type"), "not renamed: not repeated");
  }

  @Test
  void keepEventNamesSendsAmplitudeNamesUnchanged() {
    AmplitudeEventMapper keep = new AmplitudeEventMapper(true, false, false);
    for (String name :
        List.of("[Amplitude] Page Viewed", "[Amplitude] Element Clicked", "$identify")) {
      CaptureEvent e = mapped(keep, web().put("event_type", name)).event();
      assertEquals(name, e.event());
      assertFalse(props(e).has("$amplitude_event_type"));
      assertFalse(props(e).has("$event_type"));
    }
  }

  @Test
  void sessionEventsAreDroppedUnlessKept() {
    for (String name : List.of("session_start", "session_end")) {
      Outcome o = mapper.map(web().put("event_type", name).toString());
      assertEquals(Outcome.Kind.DROPPED, o.kind);
      assertEquals(name, o.detail);
      AmplitudeEventMapper keep = new AmplitudeEventMapper(false, true, false);
      assertEquals(name, mapped(keep, web().put("event_type", name)).event().event());
    }
  }

  @Test
  void timestampFromEventTimeWithMicroseconds() {
    assertEquals(TIME_MICROS, event(web()).timestampMicros());
    assertEquals(
        Timestamps.toMicros(Instant.parse("2024-05-01T12:34:56.120Z")),
        event(web().put("event_time", "2024-05-01 12:34:56.12")).timestampMicros());
    assertEquals(
        Timestamps.toMicros(Instant.parse("2024-05-01T12:34:56Z")),
        event(web().put("event_time", "2024-05-01 12:34:56")).timestampMicros());
  }

  @Test
  void timestampFallsBackToClientEventTimeThenServerReceivedTime() {
    long client = Timestamps.toMicros(Instant.parse("2024-05-01T10:00:00.000001Z"));
    long server = Timestamps.toMicros(Instant.parse("2024-05-01T11:00:00.000002Z"));
    ObjectNode e =
        web()
            .put("client_event_time", "2024-05-01 10:00:00.000001")
            .put("server_received_time", "2024-05-01 11:00:00.000002");
    e.putNull("event_time");
    assertEquals(client, event(e).timestampMicros());
    e.put("event_time", "EMPTY");
    assertEquals(client, event(e).timestampMicros());
    e.remove("event_time");
    e.put("client_event_time", "");
    assertEquals(server, event(e).timestampMicros());
  }

  @Test
  void unreadableOrMissingTimeIsInvalid() {
    assertEquals(
        "event_time '2024-13-01 00:00:00' is not a time of the form YYYY-MM-DD HH:MM:SS[.ffffff]",
        invalid(web().put("event_time", "2024-13-01 00:00:00").toString()));
    ObjectNode none = web();
    none.remove(List.of("event_time", "client_event_time", "server_received_time"));
    assertEquals(
        "no event_time, client_event_time or server_received_time", invalid(none.toString()));
  }

  @Test
  void distinctIdIsUserIdElseDeviceId() {
    assertEquals("user-1", event(web()).distinctId());
    for (String absent : new String[] {null, "EMPTY", "", "   "}) {
      ObjectNode e = web().put("user_id", absent);
      MappedAmplitudeEvent m = mapped(mapper, e);
      assertEquals("device-1", m.event().distinctId(), "user_id=" + absent);
      assertNull(m.userId());
      assertEquals("device-1", m.personId());
    }
    ObjectNode numeric = web();
    numeric.put("user_id", 12345);
    assertEquals("12345", event(numeric).distinctId());
    // PostHog refuses to MERGE through such ids, but they are real distinct ids.
    assertEquals("null", event(web().put("user_id", "null")).distinctId());
  }

  @Test
  void eventWithoutUserIdAndDeviceIdIsInvalid() {
    ObjectNode e = web().put("user_id", "EMPTY");
    e.putNull("device_id");
    assertEquals("neither user_id nor device_id", invalid(e.toString()));
    assertEquals(UUID_1, mapper.map(e.toString()).uuid);
  }

  @Test
  void validAmplitudeUuidIsKeptInLowerCase() {
    assertEquals(UUID_1, event(web().put("uuid", UUID_1.toUpperCase())).uuid());
  }

  @Test
  void missingOrInvalidUuidIsDerivedFromDeviceInsertIdAndTime() {
    ObjectNode a = web().put("uuid", "not-a-uuid").put("$insert_id", "insert-7");
    ObjectNode b = web().put("uuid", "EMPTY").put("$insert_id", "insert-7").put("plan", "other");
    String expected = NameUuids.v5("amplitude-event\ndevice-1\ninsert-7\n" + TIME_MICROS);
    assertEquals(expected, event(a).uuid());
    assertEquals(expected, event(b).uuid(), "same device, insert id and time: same uuid");
    assertEquals(5, UUID.fromString(expected).version());
    assertNotEquals(expected, event(a.put("$insert_id", "insert-8")).uuid());
    assertNotEquals(expected, event(a.put("event_time", "2024-05-01 12:34:57")).uuid());
  }

  @Test
  void withoutInsertIdTheUuidIsDerivedFromTheWholeLine() {
    ObjectNode e = web().put("uuid", "x");
    e.putNull("$insert_id");
    String line = e.toString();
    assertEquals(NameUuids.v5("amplitude-line\n" + line), mapper.map(line).event.event().uuid());
    assertEquals(
        mapper.map(line).event.event().uuid(),
        mapper.map(line).event.event().uuid(),
        "never random");
  }

  @Test
  void eventPropertiesAreCopiedWithoutEmptyAndNull() {
    ObjectNode e = web();
    ObjectNode ep = (ObjectNode) e.get("event_properties");
    ep.put("gone", "EMPTY");
    ep.putNull("also gone");
    ep.put("kept", "Émpty 空");
    ep.putObject("nested").put("inner", "EMPTY");
    ObjectNode p = props(e);
    assertFalse(p.has("gone"));
    assertFalse(p.has("also gone"));
    assertEquals("Émpty 空", p.get("kept").asText());
    assertEquals("EMPTY", p.get("nested").get("inner").asText(), "only the first level");
  }

  @Test
  void otherTopLevelFieldsAreKeptAsAmplitudeProperties() {
    ObjectNode e = web().put("dma", "EMPTY").put("$insert_key", "k1").put("$schema", "s");
    ObjectNode p = props(e);
    assertEquals("k1", p.get("$amplitude_insert_key").asText());
    assertEquals("s", p.get("$amplitude_schema").asText());
    assertEquals(123456789L, p.get("$amplitude_amplitude_id").asLong());
    assertFalse(p.has("$amplitude_dma"), "EMPTY is absent");
    assertFalse(p.has("$amplitude_adid"), "null is absent");
    assertFalse(p.has("$amplitude_event_type"));
    assertFalse(p.has("$amplitude_event_properties"));
    assertFalse(p.has("$amplitude_user_properties"));
    assertFalse(p.has("$amplitude_insert_id"));
    ObjectNode odd = web().put("event_properties", "not an object");
    assertEquals("not an object", props(odd).get("$amplitude_event_properties").asText());
  }

  @Test
  void insertIdDeviceIdAndIp() {
    ObjectNode p = props(web().put("$insert_id", "abc"));
    assertEquals("abc", p.get("$insert_id").asText());
    assertEquals("device-1", p.get("$device_id").asText());
    assertEquals("203.0.113.7", p.get("$ip").asText());
    ObjectNode noDevice = web();
    noDevice.putNull("device_id");
    noDevice.put("ip_address", "EMPTY");
    assertFalse(props(noDevice).has("$device_id"));
    assertFalse(props(noDevice).has("$ip"));
  }

  @Test
  void webEventsHaveTheBrowserInOsName() {
    ObjectNode p = props(web());
    assertEquals("Chrome", p.get("$browser").asText());
    assertEquals("126", p.get("$browser_version").asText());
    assertEquals("Mac OS X", p.get("$os").asText());
    assertEquals("Desktop", p.get("$device_type").asText());
    assertFalse(p.has("$os_version"));

    ObjectNode phone =
        web().put("device_family", "Apple iPhone").put("device_type", "Apple iPhone");
    phone.put("device_model", "iPhone");
    assertEquals("iOS", props(phone).get("$os").asText());
    assertEquals("Mobile", props(phone).get("$device_type").asText());
  }

  @Test
  void mobileEventsHaveTheOperatingSystemInOsName() {
    ObjectNode e =
        web()
            .put("platform", "iOS")
            .put("os_name", "ios")
            .put("os_version", "17.4.1")
            .put("device_family", "Apple iPhone")
            .put("device_type", "Apple iPhone 15 Pro")
            .put("device_model", "iPhone16,1")
            .put("device_manufacturer", "Apple")
            .put("device_carrier", "Vivo")
            .put("version_name", "3.2.1");
    ObjectNode p = props(e);
    assertEquals("iOS", p.get("$os").asText());
    assertEquals("17.4.1", p.get("$os_version").asText());
    assertEquals("Mobile", p.get("$device_type").asText());
    assertEquals("Apple", p.get("$device_manufacturer").asText());
    assertEquals("iPhone16,1", p.get("$device_model").asText());
    assertEquals("Vivo", p.get("$network_carrier").asText());
    assertEquals("3.2.1", p.get("$app_version").asText());
    assertFalse(p.has("$browser"));

    ObjectNode tablet = e.put("device_family", "Apple iPad").put("device_model", "iPad13,4");
    assertEquals("Tablet", props(tablet).get("$device_type").asText());

    ObjectNode android =
        web()
            .put("platform", "Android")
            .put("os_name", "android")
            .put("device_brand", "samsung")
            .put("device_family", "Samsung Galaxy");
    android.putNull("device_manufacturer");
    assertEquals("Android", props(android).get("$os").asText());
    assertEquals("samsung", props(android).get("$device_manufacturer").asText());
    assertEquals("Mobile", props(android).get("$device_type").asText());
  }

  @Test
  void locationIsGeoIpPropertiesAndPersonProperties() {
    ObjectNode e = web().put("country", "EMPTY");
    e.put("location_lat", -23.55);
    e.put("location_lng", -46.63);
    ObjectNode p = props(e);
    assertFalse(p.has("$geoip_country_name"));
    assertEquals("São Paulo", p.get("$geoip_city_name").asText());
    assertEquals("São Paulo", p.get("$geoip_subdivision_1_name").asText());
    assertEquals(-23.55, p.get("$geoip_latitude").asDouble());
    assertEquals(-46.63, p.get("$geoip_longitude").asDouble());
    assertEquals("São Paulo", p.get("$set").get("$geoip_city_name").asText());
    assertFalse(p.get("$set").has("$geoip_country_name"));
    assertEquals("São Paulo", p.get("$set_once").get("$initial_geoip_city_name").asText());
  }

  @Test
  void pagePropertiesBecomePostHogPageProperties() {
    ObjectNode e = web();
    ObjectNode ep = (ObjectNode) e.get("event_properties");
    ep.put("referrer", "https://google.com/");
    ep.put("referring_domain", "google.com");
    ep.put("[Amplitude] Viewport Height", 900);
    ep.put("[Amplitude] Viewport Width", 1440);
    ObjectNode p = props(e);
    assertEquals("https://example.com/pricing?plan=pro", p.get("$current_url").asText());
    assertEquals("/pricing", p.get("$pathname").asText());
    assertEquals("example.com", p.get("$host").asText());
    assertEquals("https://google.com/", p.get("$referrer").asText());
    assertEquals("google.com", p.get("$referring_domain").asText());
    assertEquals(900, p.get("$viewport_height").asInt());
    assertEquals(1440, p.get("$viewport_width").asInt());

    ep.remove("[Amplitude] Page Location");
    assertEquals("https://example.com/pricing", props(e).get("$current_url").asText());
  }

  @Test
  void sessionIdBecomesAUuidV7StartingAtTheSession() {
    CaptureEvent e = event(web());
    UUID session = UUID.fromString(props(e).get("$session_id").asText());
    assertEquals(7, session.version());
    assertEquals(1714557600000L, session.getMostSignificantBits() >>> 16);
    assertEquals(1714557600000L, props(e).get("$amplitude_session_id").asLong());
    assertEquals(
        props(e).get("$session_id"),
        props(event(web().put("event_type", "Other").put("uuid", UUID.randomUUID().toString())))
            .get("$session_id"),
        "same device and session: same id");
    assertNotEquals(
        props(e).get("$session_id"), props(web().put("device_id", "device-2")).get("$session_id"));

    ObjectNode outside = web().put("session_id", -1);
    assertFalse(props(outside).has("$session_id"));
    assertEquals(-1, props(outside).get("$amplitude_session_id").asInt());
  }

  @Test
  void groupsBecomeDollarGroupsWithTheFirstKey() {
    ObjectNode e = web();
    ObjectNode groups = e.putObject("groups");
    groups.putArray("company").add("EMPTY").add("acme").add("other");
    groups.put("team", "blue");
    groups.putArray("none");
    groups.put("absent", "EMPTY");
    ObjectNode p = props(e);
    assertEquals(
        JSON.createObjectNode().put("company", "acme").put("team", "blue"), p.get("$groups"));
    assertFalse(props(web()).has("$groups"), "no groups: no $groups");
  }

  @Test
  void libAndGeoIpDisable() {
    ObjectNode p = props(web());
    assertEquals("amplitude-import", p.get("$lib").asText());
    assertTrue(p.get("$geoip_disable").asBoolean());
  }

  @Test
  void userPropertiesAreSetAndInitialAttributionIsSetOnce() {
    ObjectNode e = web();
    ObjectNode up = e.putObject("user_properties");
    up.put("email", "a@example.com");
    up.put("initial_referrer", "https://news.example/");
    up.put("initial_referring_domain", "EMPTY");
    up.put("initial_utm_campaign", "spring");
    up.put("initial_gclid", "g-1");
    up.put("initial_favourite_colour", "blue");
    up.putNull("nothing");
    e.put("country", "EMPTY").put("city", "EMPTY").put("region", "EMPTY");
    ObjectNode p = props(e);
    ObjectNode set = JSON.createObjectNode();
    set.put("email", "a@example.com")
        .put("initial_referrer", "https://news.example/")
        .put("initial_utm_campaign", "spring")
        .put("initial_gclid", "g-1")
        .put("initial_favourite_colour", "blue");
    assertEquals(set, p.get("$set"));
    ObjectNode once = JSON.createObjectNode();
    once.put("$initial_referrer", "https://news.example/")
        .put("$initial_utm_campaign", "spring")
        .put("$initial_gclid", "g-1");
    assertEquals(once, p.get("$set_once"));

    ObjectNode bare = web().put("country", "EMPTY").put("city", "EMPTY").put("region", "EMPTY");
    bare.putObject("user_properties").put("x", "EMPTY");
    assertFalse(props(bare).has("$set"));
    assertFalse(props(bare).has("$set_once"));
  }

  @Test
  void hugePropertiesPassThroughWhole() {
    String huge = AmplitudeExportZipBuilder.hugeValue(1_500_000);
    ObjectNode e = web();
    ((ObjectNode) e.get("event_properties")).put("blob", huge);
    assertEquals(huge, props(e).get("blob").asText());
  }

  @Test
  void numbersKeepTheirExactText() {
    String line =
        web()
            .toString()
            .replace(
                "\"event_properties\":{",
                "\"event_properties\":{\"price\":1.10,\"big\":12345678901234567890,");
    String json = mapper.map(line).event.event().propertiesJson();
    assertTrue(json.contains("\"price\":1.10"), json);
    assertTrue(json.contains("\"big\":12345678901234567890"), json);
  }

  @Test
  void malformedLinesAreInvalidWithAReason() {
    assertTrue(invalid("{\"event_type\": ").startsWith("not valid JSON: "));
    assertEquals("not a JSON object", invalid("[1,2]"));
    assertEquals("not a JSON object", invalid("42"));
    assertTrue(invalid(web() + " trailing").startsWith("not valid JSON: "));
    ObjectNode noType = web();
    noType.remove("event_type");
    assertEquals("no event_type", invalid(noType.toString()));
    assertEquals("no event_type", invalid(web().put("event_type", "EMPTY").toString()));
  }

  @Test
  void groupPropertiesAreCollectedOnlyForGroupIdentify() {
    ObjectNode e = web();
    ObjectNode gp = e.putObject("group_properties");
    gp.putObject("company").putObject("acme").put("plan", "enterprise").put("seats", "EMPTY");
    gp.putObject("team").putObject("blue");
    gp.put("broken", "x");
    assertEquals(List.of(), mapped(mapper, e).groupSnapshots());
    AmplitudeEventMapper groups = new AmplitudeEventMapper(false, false, true);
    assertEquals(
        List.of(new GroupSnapshot("company", "acme", "{\"plan\":\"enterprise\"}")),
        mapped(groups, e).groupSnapshots());
  }

  @Test
  void identitiesAndDeduplicationFieldsAreCarried() {
    MappedAmplitudeEvent m = mapped(mapper, web().put("server_upload_time", "2024-05-01 13:00:00"));
    assertEquals("device-1", m.deviceId());
    assertEquals("user-1", m.userId());
    assertEquals("user-1", m.personId());
    assertEquals("ins-" + UUID_1, m.insertId());
    assertEquals(
        Timestamps.toMicros(Instant.parse("2024-05-01T13:00:00Z")), m.serverUploadMicros());
    ObjectNode noUpload = web();
    noUpload.remove("server_upload_time");
    assertEquals(
        MappedAmplitudeEvent.NO_UPLOAD_TIME, mapped(mapper, noUpload).serverUploadMicros());
  }

  @Test
  void operatingSystemNames() {
    assertEquals("Mac OS X", AmplitudeEventMapper.normalizeOs("Mac OS"));
    assertEquals("Mac OS X", AmplitudeEventMapper.normalizeOs("macOS"));
    assertEquals("Windows", AmplitudeEventMapper.normalizeOs("Windows 10"));
    assertEquals("Linux", AmplitudeEventMapper.normalizeOs("Ubuntu"));
    assertEquals("Chrome OS", AmplitudeEventMapper.normalizeOs("Chrome OS"));
    assertEquals("iOS", AmplitudeEventMapper.normalizeOs("iPadOS iPad"));
    assertEquals("Android", AmplitudeEventMapper.normalizeOs("android"));
    assertEquals("PlayStation", AmplitudeEventMapper.normalizeOs("PlayStation"));
    assertNull(AmplitudeEventMapper.deviceType("PlayStation", "Console"));
    assertNull(AmplitudeEventMapper.deviceType(null, (String) null));
  }
}
