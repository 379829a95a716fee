package dev.hogbeam.pipeline.mixpanel;

import dev.hogbeam.pipeline.CommandRun;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Mixpanel export lines and a way to run {@code hogbeam mixpanel} in this JVM, for tests. */
final class MixpanelTestData {
  static final Instant NOW = Instant.parse("2024-07-15T00:00:00Z");
  static final String KEY = "phc_mixpanel_test";
  static final String USER = "hogbeam-sa.123.mp-service-account";
  static final String USER_SECRET = "sa-secret-7e1f";
  static final String API_SECRET = "api-secret-90ab";
  static final String PROJECT = "3141592";

  private MixpanelTestData() {}

  /**
   * Day 2024-05-01: an anonymous page view (as a device, merged later:
   * $distinct_id_before_identity, geo and mp_ properties, a long URL so the day is served gzipped),
   * then the sign-up that links dev-1 to user-1 (time in milliseconds with a fraction), then a
   * purchase without $insert_id (time in seconds with a fraction).
   */
  static List<String> may1() {
    return List.of(
        "{\"event\":\"$mp_web_page_view\",\"properties\":{\"time\":1714557600,"
            + "\"distinct_id\":\"$device:dev-1\",\"$distinct_id_before_identity\":\"anon-1\","
            + "\"$device_id\":\"dev-1\",\"$insert_id\":\"ins-1\",\"$city\":\"Paris\","
            + "\"$region\":\"Ile-de-France\",\"mp_country_code\":\"FR\","
            + "\"$mp_api_endpoint\":\"api-eu.mixpanel.com\",\"mp_processing_time_ms\":1714557601000,"
            + "\"$mp_api_timestamp_ms\":1714557600500,\"$geo_source\":\"reverse_geocoding\","
            + "\"$browser\":\"Firefox\",\"mp_lib\":\"web\",\"$current_url\":\"https://example.com/"
            + "x".repeat(1500)
            + "\"}}",
        "{\"event\":\"Signed Up\",\"properties\":{\"time\":1714561200123.456,"
            + "\"distinct_id\":\"user-1\",\"$user_id\":\"user-1\",\"$device_id\":\"dev-1\","
            + "\"$insert_id\":\"ins-2\",\"plan\":\"pro\"}}",
        "{\"event\":\"Purchase\",\"properties\":{\"time\":1714564800.5,\"distinct_id\":\"user-1\","
            + "\"$user_id\":\"user-1\",\"$device_id\":\"dev-1\",\"amount\":12.5}}");
  }

  /**
   * Day 2024-05-02: an event carrying identity only on $user_id / $device_id, and a line without
   * any distinct id.
   */
  static List<String> may2() {
    return List.of(
        "{\"event\":\"Purchase\",\"properties\":{\"time\":1714644000,\"$user_id\":\"user-2\","
            + "\"$device_id\":\"dev-2\",\"$insert_id\":\"ins-4\",\"amount\":3}}",
        "{\"event\":\"Orphan\",\"properties\":{\"time\":1714647600,\"$insert_id\":\"ins-5\"}}");
  }

  /** Day 2024-05-03: the pair (dev-2, user-2) again, and a new pair (dev-3, user-3). */
  static List<String> may3() {
    return List.of(
        "{\"event\":\"Login\",\"properties\":{\"time\":1714730400,\"distinct_id\":\"user-2\","
            + "\"$user_id\":\"user-2\",\"$device_id\":\"dev-2\",\"$insert_id\":\"ins-6\"}}",
        "{\"event\":\"Login\",\"properties\":{\"time\":1714734000,\"distinct_id\":\"user-3\","
            + "\"$user_id\":\"user-3\",\"$device_id\":\"dev-3\",\"$insert_id\":\"ins-7\"}}");
  }

  /** Runs {@code hogbeam mixpanel} in this JVM with these environment variables. */
  static CommandRun runCommand(Map<String, String> env, List<String> args) {
    return CommandRun.of(MixpanelMigration.command(), env, args, NOW);
  }
}
