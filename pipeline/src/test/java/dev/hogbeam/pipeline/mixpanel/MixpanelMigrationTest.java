package dev.hogbeam.pipeline.mixpanel;

import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.API_SECRET;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.KEY;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.PROJECT;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.USER;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.USER_SECRET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakeMixpanelExportServer;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam mixpanel} through the command line, against the fake Export API and the fake
 * capture server: the mapping field by field, both auth forms, the EU host and a wrong residency,
 * export files (plain, gzip, zip), dead letters with exit 3, the query limits and a 429, and {@code
 * $identify} once per pair across two runs over overlapping ranges.
 */
class MixpanelMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private FakeCaptureServer capture;

  @BeforeEach
  void start() {
    capture = FakeCaptureServer.builder().start();
  }

  @AfterEach
  void stop() {
    capture.close();
  }

  private CommandRun run(Map<String, String> env, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--posthogUrl=" + capture.url(), "--batchSize=3", "--progressIntervalSeconds=0"));
    all.addAll(List.of(args));
    Map<String, String> withKey = new HashMap<>(env);
    withKey.put("POSTHOG_API_KEY", KEY);
    return MixpanelTestData.runCommand(withKey, all);
  }

  private static FakeMixpanelExportServer mayProject(String region) {
    return FakeMixpanelExportServer.start(region, PROJECT, USER, USER_SECRET, API_SECRET)
        .putDay("2024-05-01", MixpanelTestData.may1())
        .putDay("2024-05-02", MixpanelTestData.may2())
        .putDay("2024-05-03", MixpanelTestData.may3());
  }

  private static String identifyUuid(String device, String user) {
    return NameUuids.v5("mixpanel-identify\n" + AliasPairs.pairKey(device, user));
  }

  private Map<String, ReceivedEvent> byUuid() {
    Map<String, ReceivedEvent> out = new TreeMap<>();
    for (ReceivedEvent e : capture.events()) {
      out.put(e.uuid(), e);
    }
    return out;
  }

  private static void assertEvent(
      ReceivedEvent e, String event, String distinctId, String isoTime, String propertiesJson)
      throws Exception {
    assertEquals(event, e.event(), e.jsonText());
    assertEquals(distinctId, e.distinctId(), e.jsonText());
    assertEquals(Instant.parse(isoTime), Instant.parse(e.timestamp()), e.jsonText());
    JsonNode expected = JSON.readTree(propertiesJson);
    assertEquals(expected, e.properties(), e.jsonText());
  }

  /** Every May event and both $identify events, field by field, as any input must give them. */
  private void assertMay1And2(String contentUuidOfPurchase) throws Exception {
    Map<String, ReceivedEvent> got = byUuid();
    assertEquals(6, got.size(), "events: " + got.keySet());
    assertEquals(6, capture.events().size(), "each once");
    assertEvent(
        got.get("dabae043-20af-5da8-afe1-606206415113"), // uuid5(posthog_mixpanel, "ins-1")
        "$pageview",
        "anon-1",
        "2024-05-01T10:00:00Z",
        "{\"$geoip_city_name\":\"Paris\",\"$geoip_subdivision_1_name\":\"Ile-de-France\","
            + "\"$geoip_country_code\":\"FR\",\"$geoip_country_name\":\"France\","
            + "\"$distinct_id_before_identity\":\"anon-1\",\"$browser\":\"Firefox\","
            + "\"mp_lib\":\"web\",\"$current_url\":\"https://example.com/"
            + "x".repeat(1500)
            + "\",\"$mixpanel_device_id\":\"dev-1\","
            + "\"$set\":{\"$browser\":\"Firefox\",\"$current_url\":\"https://example.com/"
            + "x".repeat(1500)
            + "\",\"$geoip_city_name\":\"Paris\",\"$geoip_subdivision_1_name\":\"Ile-de-France\","
            + "\"$geoip_country_code\":\"FR\",\"$geoip_country_name\":\"France\"},"
            + "\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
            + "\"$geoip_disable\":true}");
    assertEvent(
        got.get("83570cf1-490e-5483-a7ab-112593b26bcd"), // "ins-2"
        "Signed Up",
        "user-1",
        "2024-05-01T11:00:00.123456Z",
        "{\"plan\":\"pro\",\"$mixpanel_user_id\":\"user-1\",\"$mixpanel_device_id\":\"dev-1\","
            + "\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
            + "\"$geoip_disable\":true}");
    assertEvent(
        got.get(contentUuidOfPurchase),
        "Purchase",
        "user-1",
        "2024-05-01T12:00:00.500Z",
        "{\"amount\":12.5,\"$mixpanel_user_id\":\"user-1\",\"$mixpanel_device_id\":\"dev-1\","
            + "\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
            + "\"$geoip_disable\":true}");
    assertEvent(
        got.get("7e9a2767-6ab1-508f-b3b9-d0357fd33d0b"), // "ins-4"
        "Purchase",
        "user-2",
        "2024-05-02T10:00:00Z",
        "{\"amount\":3,\"$mixpanel_user_id\":\"user-2\",\"$mixpanel_device_id\":\"dev-2\","
            + "\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
            + "\"$geoip_disable\":true}");
    assertEvent(
        got.get(identifyUuid("dev-1", "user-1")),
        "$identify",
        "user-1",
        "2024-05-01T11:00:00.123456Z",
        identifyProps("dev-1", "user-1"));
    assertEvent(
        got.get(identifyUuid("dev-2", "user-2")),
        "$identify",
        "user-2",
        "2024-05-02T10:00:00Z",
        identifyProps("dev-2", "user-2"));
  }

  private static String identifyProps(String device, String user) {
    return "{\"$anon_distinct_id\":\""
        + device
        + "\",\"$mixpanel_user_id\":\""
        + user
        + "\",\"$mixpanel_device_id\":\""
        + device
        + "\",\"historical_migration\":true,\"analytics_source\":\"mixpanel\","
        + "\"$geoip_disable\":true}";
  }

  /** The uuid of the purchase without $insert_id: named after its content (key order aside). */
  private static String purchaseContentUuid() throws Exception {
    String line = MixpanelTestData.may1().get(2);
    Object tree = JSON.readValue(line, Object.class);
    String canonical =
        new ObjectMapper()
            .configure(
                com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .writeValueAsString(tree);
    return NameUuids.v5("mixpanel-line\n" + canonical);
  }

  private void assertOrphanDeadLettered(Path checkpoints, String sourcePrefix) throws Exception {
    List<DeadLetter> dead = CommandRun.deadLetters(checkpoints.resolve("dead-letters"));
    assertEquals(1, dead.size(), dead.toString());
    DeadLetter d = dead.get(0);
    assertEquals("map", d.stage());
    assertTrue(d.source().startsWith(sourcePrefix), d.source());
    assertEquals(MixpanelTestData.may2().get(1), d.payload());
    assertEquals(
        "no distinct id: properties.distinct_id, $distinct_id_before_identity, $user_id and"
            + " $device_id are all missing or empty",
        d.reason());
  }

  @Test
  void serviceAccountAtTheEuHostMapsEveryFieldAndDeadLettersTheLineWithoutDistinctId()
      throws Exception {
    try (FakeMixpanelExportServer mixpanel = mayProject("eu")) {
      Path checkpoints = tmp.resolve("ck");
      CommandRun r =
          run(
              Map.of("MIXPANEL_SERVICE_ACCOUNT_SECRET", USER_SECRET),
              "--mixpanelUrl=" + mixpanel.url("eu"),
              "--mixpanelServiceAccountUser=" + USER,
              "--mixpanelProjectId=" + PROJECT,
              "--startDate=2024-05-01",
              "--endDate=2024-05-03",
              "--checkpointDir=" + checkpoints);
      assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.describe());
      assertFalse(r.out().contains(USER_SECRET) || r.err().contains(USER_SECRET), "no secret");
      assertMay1And2(purchaseContentUuid());
      assertOrphanDeadLettered(checkpoints, "export day 2024-05-02, line ");
      List<FakeMixpanelExportServer.Request> requests = mixpanel.requests();
      assertEquals(2, requests.size(), requests.toString());
      for (FakeMixpanelExportServer.Request q : requests) {
        assertEquals("eu", q.region());
        assertEquals("service", q.auth());
        assertEquals(PROJECT, q.projectId());
        assertEquals(q.fromDate(), q.toDate());
        assertEquals(200, q.status());
      }
      assertTrue(
          requests.stream().anyMatch(q -> q.fromDate().equals("2024-05-01") && q.gzip()),
          "the big day came gzipped");
      // Staged: the days are read from there, never downloaded again.
      assertTrue(Files.exists(checkpoints.resolve("downloads/2024-05-01.jsonl.gz")));
      assertTrue(Files.exists(checkpoints.resolve("downloads/2024-05-02.jsonl.gz")));
    }
  }

  @Test
  void apiSecretAtTheUsHostAndWhatWrongCredentialsOrAWrongResidencySay() throws Exception {
    try (FakeMixpanelExportServer mixpanel = mayProject("us")) {
      List<String> common =
          List.of(
              "--startDate=2024-05-01",
              "--endDate=2024-05-03",
              "--allowInsecureHttp=false",
              "--dryRun");
      List<String> wrongHost = new ArrayList<>(common);
      wrongHost.add("--mixpanelUrl=" + mixpanel.url("eu"));
      wrongHost.add("--checkpointDir=" + tmp.resolve("eu"));
      CommandRun eu =
          run(Map.of("MIXPANEL_API_SECRET", API_SECRET), wrongHost.toArray(new String[0]));
      assertEquals(ExitCodes.FAILED, eu.exitCode(), eu.describe());
      assertTrue(
          eu.err().contains("Mixpanel Export API answered 400 for day 2024-05-0")
              && eu.err().contains("check --mixpanelRegion (us, eu or in)"),
          eu.describe());

      List<String> badSecret = new ArrayList<>(common);
      badSecret.add("--mixpanelUrl=" + mixpanel.url("us"));
      badSecret.add("--checkpointDir=" + tmp.resolve("bad"));
      CommandRun bad =
          run(Map.of("MIXPANEL_API_SECRET", "not-the-secret"), badSecret.toArray(new String[0]));
      assertTrue(
          bad.err().contains("Mixpanel Export API refused the credentials (HTTP 401)"),
          bad.describe());
      assertFalse(bad.err().contains("not-the-secret"), "the secret is never shown");
      assertEquals(0, capture.events().size());

      Path checkpoints = tmp.resolve("us");
      CommandRun ok =
          run(
              Map.of(),
              "--mixpanelUrl=" + mixpanel.url("us"),
              "--mixpanelApiSecret=" + API_SECRET,
              "--startDate=2024-05-01",
              "--endDate=2024-05-03",
              "--checkpointDir=" + checkpoints);
      assertEquals(ExitCodes.DEAD_LETTERS, ok.exitCode(), ok.describe());
      assertMay1And2(purchaseContentUuid());
      assertOrphanDeadLettered(checkpoints, "export day 2024-05-02, line ");
      assertTrue(
          mixpanel.requests().stream()
              .filter(q -> q.status() == 200)
              .allMatch(q -> q.auth().equals("secret") && q.region().equals("us")));
    }
  }

  @Test
  void plainGzipAndZipFilesMapAsTheApiDoes() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("files"));
    Files.writeString(
        dir.resolve("a.jsonl"), MixpanelTestData.may1().get(0) + "\n", StandardCharsets.UTF_8);
    try (OutputStream out =
        new GZIPOutputStream(Files.newOutputStream(dir.resolve("b.jsonl.gz")))) {
      out.write(
          (MixpanelTestData.may1().get(1) + "\n" + MixpanelTestData.may1().get(2) + "\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(dir.resolve("c.zip")))) {
      zip.putNextEntry(new ZipEntry("export/2024-05-02.json"));
      zip.write(String.join("\n", MixpanelTestData.may2()).getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    Path checkpoints = tmp.resolve("ck");
    CommandRun r = run(Map.of(), "--inputFiles=" + dir + "/*", "--checkpointDir=" + checkpoints);
    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.describe());
    assertMay1And2(purchaseContentUuid());
    assertOrphanDeadLettered(
        checkpoints, "file " + dir.resolve("c.zip") + ", entry export/2024-05-02.json, line 2");
  }

  @Test
  void queryLimitsHoldAndA429IsRetried() throws Exception {
    try (FakeMixpanelExportServer mixpanel =
        FakeMixpanelExportServer.start("us", PROJECT, USER, USER_SECRET, API_SECRET)
            .limits(2, 1000)
            .failNext("2024-05-03", 429, "1")) {
      for (int d = 1; d <= 6; d++) {
        String day = "2024-05-0" + d;
        mixpanel.putDay(
            day,
            List.of(
                "{\"event\":\"e\",\"properties\":{\"time\":"
                    + (1714521600L + (d - 1) * 86400L + 60)
                    + ",\"distinct_id\":\"u\",\"$insert_id\":\"i"
                    + d
                    + "\"}}"));
      }
      CommandRun r =
          run(
              Map.of("MIXPANEL_API_SECRET", API_SECRET),
              "--mixpanelUrl=" + mixpanel.url("us"),
              "--startDate=2024-05-01",
              "--endDate=2024-05-07",
              "--mixpanelQueriesPerSecond=2",
              "--checkpointDir=" + tmp.resolve("ck"));
      assertEquals(ExitCodes.OK, r.exitCode(), r.describe());
      assertEquals(6, byUuid().size());
      List<FakeMixpanelExportServer.Request> requests = mixpanel.requests();
      assertEquals(7, requests.size(), requests.toString());
      assertEquals(
          List.of(429, 200),
          requests.stream()
              .filter(q -> q.fromDate().equals("2024-05-03"))
              .map(FakeMixpanelExportServer.Request::status)
              .toList());
      assertEquals(
          1, requests.stream().filter(q -> q.status() == 429).count(), "only the scripted one");
      assertTrue(
          mixpanel.mostRequestsWithin(1_000_000_000L) <= 2,
          "at most 2 requests in any second: " + requests);
    }
  }

  @Test
  void identifyOncePerPairAcrossTwoRunsOverOverlappingRanges() throws Exception {
    try (FakeMixpanelExportServer mixpanel = mayProject("us")) {
      Map<String, String> env = Map.of("MIXPANEL_API_SECRET", API_SECRET);
      CommandRun first =
          run(
              env,
              "--mixpanelUrl=" + mixpanel.url("us"),
              "--startDate=2024-05-01",
              "--endDate=2024-05-03",
              "--checkpointDir=" + tmp.resolve("first"));
      assertEquals(ExitCodes.DEAD_LETTERS, first.exitCode(), first.describe());
      CommandRun second =
          run(
              env,
              "--mixpanelUrl=" + mixpanel.url("us"),
              "--startDate=2024-05-02",
              "--endDate=2024-05-04",
              "--checkpointDir=" + tmp.resolve("second"));
      assertEquals(ExitCodes.DEAD_LETTERS, second.exitCode(), second.describe());
      assertTrue(
          second.out().contains("1 $identify for new pair(s), 1 pair(s) sent by earlier runs"),
          second.describe());
      Map<String, Integer> identifies = new TreeMap<>();
      for (ReceivedEvent e : capture.events()) {
        if (e.event().equals("$identify")) {
          identifies.merge(
              e.properties().get("$anon_distinct_id").asText() + "->" + e.distinctId(),
              1,
              Integer::sum);
        }
      }
      assertEquals(Map.of("dev-1->user-1", 1, "dev-2->user-2", 1, "dev-3->user-3", 1), identifies);
      assertEquals(
          identifyUuid("dev-3", "user-3"),
          capture.events().stream()
              .filter(e -> e.distinctId().equals("user-3") && e.event().equals("$identify"))
              .findFirst()
              .orElseThrow()
              .uuid());
    }
  }

  @Test
  void wrongFlagsAreRefusedBeforeAnythingRuns() {
    Map<String, String> secret = Map.of("MIXPANEL_API_SECRET", API_SECRET);
    String[][] cases = {
      {
        "--mixpanelUrl=http://mixpanel-proxy.example.com",
        "would send the Mixpanel credentials in clear text to another machine"
      },
      {"--mixpanelRegion=mars", "--mixpanelRegion must be us, eu or in, but was 'mars'"},
      {"--mixpanelProjectTimezone=Mars/Olympus", "is not an IANA timezone"},
      {
        "--mixpanelServiceAccountUser=" + USER,
        "--mixpanelServiceAccountUser needs the account's secret"
      },
    };
    for (String[] c : cases) {
      CommandRun r =
          run(secret, c[0], "--startDate=2024-05-01", "--endDate=2024-05-03", "--dryRun");
      assertEquals(ExitCodes.USAGE, r.exitCode(), r.describe());
      assertTrue(r.err().contains(c[1]), c[1] + " in " + r.describe());
    }
    CommandRun hour =
        run(secret, "--startDate=2024-05-01T05:00", "--endDate=2024-05-03", "--dryRun");
    assertEquals(ExitCodes.USAGE, hour.exitCode(), hour.describe());
    assertTrue(hour.err().contains("--startDate=2024-05-01T05:00 is not a date"), hour.describe());
    CommandRun noProject =
        run(
            Map.of("MIXPANEL_SERVICE_ACCOUNT_SECRET", USER_SECRET),
            "--mixpanelServiceAccountUser=" + USER,
            "--startDate=2024-05-01",
            "--endDate=2024-05-03",
            "--dryRun");
    assertTrue(noProject.err().contains("--mixpanelProjectId"), noProject.describe());
    CommandRun both =
        run(
            Map.of(),
            "--inputFiles=" + tmp.resolve("none.jsonl"),
            "--startDate=2024-05-01",
            "--dryRun");
    assertEquals(ExitCodes.USAGE, both.exitCode(), both.describe());
    assertTrue(
        both.err().contains("--startDate is for the Export API: give either --inputFiles"),
        both.describe());
    assertEquals(0, capture.events().size());
  }
}
