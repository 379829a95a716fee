package dev.hogbeam.mixpanel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.Timestamps;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** The pure mapping, rule by rule; the command-line tests check the same rules end to end. */
class MixpanelEventMapperTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final MixpanelEventMapper utc = MixpanelEventMapper.utc();

  private static JsonNode props(CaptureEvent e) throws Exception {
    return JSON.readTree(e.propertiesJson());
  }

  @Test
  void uuidIsPostHogsV5OfTheInsertId() {
    // Reference values from Python: uuid5(UUID(bytes=b"posthog_mixpanel"), name).
    assertEquals(
        "706f7374-686f-675f-6d69-7870616e656c", MixpanelEventMapper.INSERT_ID_NAMESPACE.toString());
    CaptureEvent e =
        utc.map(
                "{\"event\":\"a\",\"properties\":{\"time\":1700000000,\"distinct_id\":\"u\",\"$insert_id\":\"evt-1\"}}")
            .event();
    assertEquals("b1e8294d-c1b5-55f9-bb71-a01a10983447", e.uuid());
    CaptureEvent utf8 =
        utc.map(
                "{\"event\":\"a\",\"properties\":{\"time\":1700000000,\"distinct_id\":\"u\",\"$insert_id\":\"ins-ä\"}}")
            .event();
    assertEquals("36f669ab-d2db-58c6-bc97-abaaaece7cb6", utf8.uuid());
  }

  @Test
  void withoutInsertIdTheUuidIsNamedAfterTheContentWhateverTheKeyOrder() {
    String a =
        utc.map(
                "{\"event\":\"a\",\"properties\":{\"time\":1700000000,\"distinct_id\":\"u\",\"x\":1}}")
            .event()
            .uuid();
    String b =
        utc.map(
                "{\"properties\":{\"x\":1,\"distinct_id\":\"u\",\"time\":1700000000},\"event\":\"a\"}")
            .event()
            .uuid();
    String c =
        utc.map(
                "{\"event\":\"a\",\"properties\":{\"time\":1700000000,\"distinct_id\":\"u\",\"x\":2}}")
            .event()
            .uuid();
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void timeInSecondsOrMillisecondsKeptToTheMicrosecond() {
    assertEquals(
        "2023-11-14T22:13:20.000000Z",
        Timestamps.toIso(utc.map(line("1700000000")).event().timestampMicros()));
    assertEquals(1_700_000_000_123_000L, utc.map(line("1700000000123")).event().timestampMicros());
    assertEquals(
        1_700_000_000_123_456L, utc.map(line("1700000000.1234567")).event().timestampMicros());
    assertEquals(
        1_700_000_000_123_456L, utc.map(line("1700000000123.456")).event().timestampMicros());
    assertEquals(1_700_000_000_000_000L, utc.map(line("\"1700000000\"")).event().timestampMicros());
    assertTrue(utc.map(line("null")).refusal().startsWith("properties.time is missing"));
    assertTrue(utc.map(line("\"soon\"")).refusal().startsWith("properties.time is missing"));
  }

  @Test
  void legacyProjectTimeIsTheProjectsWallClock() {
    MixpanelEventMapper paris = MixpanelEventMapper.inTimezone(ZoneId.of("Europe/Paris"));
    // 2023-11-14T22:13:20 in Paris (UTC+1 in November) is 21:13:20 UTC.
    assertEquals(
        1_700_000_000_000_000L - 3_600_000_000L,
        paris.map(line("1700000000")).event().timestampMicros());
    // Summer: UTC+2.
    assertEquals(
        1_690_000_000_500_000L - 7_200_000_000L,
        paris.map(line("1690000000.5")).event().timestampMicros());
  }

  @Test
  void distinctIdRules() {
    assertEquals("u", distinct("\"distinct_id\":\"u\",\"$distinct_id_before_identity\":\"b\""));
    assertEquals(
        "b", distinct("\"distinct_id\":\"$device:d\",\"$distinct_id_before_identity\":\"b\""));
    assertEquals(
        "b", distinct("\"distinct_id\":\"0A1B-2C\",\"$distinct_id_before_identity\":\"b\""));
    assertEquals(
        "12345", distinct("\"distinct_id\":\"12345\",\"$distinct_id_before_identity\":\"b\""));
    assertEquals("b", distinct("\"distinct_id\":\"\",\"$distinct_id_before_identity\":\"b\""));
    assertEquals("$device:d", distinct("\"distinct_id\":\"$device:d\""));
    assertEquals("usr", distinct("\"$user_id\":\"usr\",\"$device_id\":\"dev\""));
    assertEquals("dev", distinct("\"$device_id\":\"dev\""));
    assertEquals(
        "no distinct id: properties.distinct_id, $distinct_id_before_identity, $user_id and"
            + " $device_id are all missing or empty",
        utc.map("{\"event\":\"a\",\"properties\":{\"time\":1,\"distinct_id\":\"\"}}").refusal());
  }

  @Test
  void propertiesRenamedDroppedAndAdded() throws Exception {
    MixpanelEventMapper.Outcome o =
        utc.map(
            "{\"event\":\"$mp_web_page_view\",\"properties\":{\"time\":1700000000,"
                + "\"distinct_id\":\"u\",\"$user_id\":\"u\",\"$device_id\":\"d\","
                + "\"$insert_id\":\"i\",\"$mp_api_endpoint\":\"api.mixpanel.com\","
                + "\"mp_processing_time_ms\":1,\"$mp_api_timestamp_ms\":2,\"$geo_source\":\"r\","
                + "\"$city\":\"Paris\",\"$region\":\"Ile-de-France\",\"mp_country_code\":\"FR\","
                + "\"$browser\":\"Chrome\",\"$initial_referrer\":\"$direct\",\"mp_lib\":\"web\","
                + "\"plan\":\"pro\"}}");
    CaptureEvent e = o.event();
    assertEquals("$pageview", e.event());
    assertEquals("u", e.distinctId());
    assertEquals("d", o.deviceId());
    assertEquals("u", o.userId());
    assertEquals(
        JSON.readTree(
            "{\"$geoip_city_name\":\"Paris\",\"$geoip_subdivision_1_name\":\"Ile-de-France\","
                + "\"$geoip_country_code\":\"FR\",\"$geoip_country_name\":\"France\","
                + "\"$browser\":\"Chrome\",\"$initial_referrer\":\"$direct\",\"mp_lib\":\"web\","
                + "\"plan\":\"pro\",\"$mixpanel_user_id\":\"u\",\"$mixpanel_device_id\":\"d\","
                + "\"$set\":{\"$browser\":\"Chrome\",\"$geoip_city_name\":\"Paris\","
                + "\"$geoip_subdivision_1_name\":\"Ile-de-France\",\"$geoip_country_code\":\"FR\","
                + "\"$geoip_country_name\":\"France\"},"
                + "\"$set_once\":{\"$initial_referrer\":\"$direct\"},"
                + "\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
                + "\"$geoip_disable\":true}"),
        props(e));
  }

  @Test
  void refusals() {
    assertTrue(utc.map("{not json").refusal().startsWith("not JSON"));
    assertEquals("not a JSON object", utc.map("[1]").refusal());
    assertEquals(
        "no event name (\"event\" must be a non-empty string)",
        utc.map("{\"properties\":{\"time\":1,\"distinct_id\":\"u\"}}").refusal());
    assertEquals("no \"properties\" object", utc.map("{\"event\":\"a\"}").refusal());
    assertNull(utc.map(line("1")).refusal());
    assertFalse(MixpanelEventMapper.looksLikeDeviceUuid("12345"));
    assertTrue(MixpanelEventMapper.looksLikeDeviceUuid("A-1"));
    assertNull(MixpanelEventMapper.countryName("ZZ"));
  }

  private String distinct(String fields) {
    return utc.map("{\"event\":\"a\",\"properties\":{\"time\":1700000000," + fields + "}}")
        .event()
        .distinctId();
  }

  private static String line(String time) {
    return "{\"event\":\"a\",\"properties\":{\"time\":" + time + ",\"distinct_id\":\"u\"}}";
  }
}
