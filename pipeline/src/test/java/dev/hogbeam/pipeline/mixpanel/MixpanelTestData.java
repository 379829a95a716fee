package dev.hogbeam.pipeline.mixpanel;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.MigrationCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

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

  /** What a command run left. */
  record CommandRun(int exitCode, String out, String err) {
    String describe() {
      return "exit code " + exitCode + "\n--- out\n" + out + "\n--- err\n" + err;
    }
  }

  /** Runs {@code hogbeam mixpanel} in this JVM with these environment variables. */
  static CommandRun runCommand(Map<String, String> env, List<String> args) {
    List<String> all = new ArrayList<>(args);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    MigrationCommand.Environment environment =
        new MigrationCommand.Environment(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            Clock.fixed(NOW, ZoneOffset.UTC));
    int code = MixpanelMigration.command().run(all.toArray(new String[0]), environment);
    return new CommandRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every dead letter written into {@code dir}. */
  static List<DeadLetter> deadLetters(Path dir) throws IOException {
    List<DeadLetter> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (!l.isBlank()) {
            out.add(DeadLetter.fromJsonLine(l));
          }
        }
      }
    }
    return out;
  }
}
