package dev.hogbeam.pipeline.amplitude;

import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.alias;
import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.line;
import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.amplitude.AmplitudeTestData.Sent;
import dev.hogbeam.pipeline.identity.PendingAliasPairs;
import dev.hogbeam.pipeline.identity.PendingAliasPairsTest;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeAmplitudeExportServer;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam amplitude} end to end through its command line, on the DirectRunner, against the
 * fake capture server (and the fake Export API): exact events, order, dead letters, the report,
 * exit codes, and aliases sent once per pair across runs.
 */
class AmplitudeMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "phc_amplitude_migration_test_key";
  private static final String AMP_KEY = "amp-api-key-51c3";
  private static final String AMP_SECRET = "amp-secret-key-e07d";
  private static final int HUGE = 200_000;

  @TempDir Path tmp;
  private FakeCaptureServer capture;

  @BeforeEach
  void start() {
    capture = FakeCaptureServer.start();
  }

  @AfterEach
  void stop() {
    capture.close();
  }

  private CommandRun run(String... args) {
    return run(Map.of("POSTHOG_API_KEY", KEY), args);
  }

  private CommandRun run(Map<String, String> env, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--posthogUrl=" + capture.url(), "--batchSize=3", "--progressIntervalSeconds=0"));
    all.addAll(List.of(args));
    return AmplitudeTestData.runCommand(env, all);
  }

  // ---------------------------------------------------------------------------------------------
  // May: two zips, several files per hour, nulls, "EMPTY", unicode, a huge property, bad lines.

  private Path mayA() {
    return new AmplitudeExportZipBuilder("123")
        .file(
            "20240501T09",
            0,
            List.of(
                line(uuid(1), "Viewed Pricing", null, "d1", "2024-05-01 09:00:00.000001"),
                line(uuid(2), "[Amplitude] Page Viewed", null, "d1", "2024-05-01 09:05:00.5"),
                "{\"event_type\": \"broken\"",
                line(uuid(3), "session_start", "u1", "d1", "2024-05-01 09:08:00")))
        .file(
            "20240501T09",
            1,
            List.of(
                line(uuid(4), "Signed Up", "u1", "d1", "2024-05-01 09:10:00"),
                line(
                    uuid(5),
                    "Ünïcödé 事件 🎉",
                    "u1",
                    "d1",
                    "2024-05-01 09:20:00",
                    e -> {
                      ((ObjectNode) e.get("event_properties"))
                          .put("emoji", "🎉 naïve café")
                          .put("note", "EMPTY");
                      e.put("dma", "EMPTY");
                    }),
                // Amplitude's second copy of uuid(5): same device and $insert_id, uploaded later.
                line(
                    uuid(6),
                    "Ünïcödé 事件 🎉",
                    "u1",
                    "d1",
                    "2024-05-01 09:20:00",
                    e -> {
                      e.put("$insert_id", "ins-" + uuid(5));
                      e.put("server_upload_time", "2024-05-01 09:21:00");
                    })))
        .file(
            "20240501T10",
            0,
            List.of(
                line(
                    uuid(7),
                    "Big Event",
                    "u2",
                    "d2",
                    "2024-05-01 10:00:00",
                    e ->
                        ((ObjectNode) e.get("event_properties"))
                            .put("blob", AmplitudeExportZipBuilder.hugeValue(HUGE))),
                line(uuid(8), "Clicked", "anonymous", "d3", "2024-05-01 10:30:00"),
                "{\"uuid\":\""
                    + uuid(13)
                    + "\",\"user_id\":\"u9\",\"event_time\":\"2024-05-01 10:40:00\"}",
                "",
                line(uuid(9), "Viewed Pricing", "u2", "d2", "2024-05-01 23:59:59.999999")))
        .writeTo(tmp.resolve("exports/may-a.zip"));
  }

  private Path mayB() {
    return new AmplitudeExportZipBuilder("123")
        .file(
            "20240502T08",
            0,
            List.of(
                line(uuid(10), "Purchased", "u1", "d4", "2024-05-02 08:00:00"),
                line(uuid(11), "Purchased", "u2", "d2", "2024-05-02 08:01:00"),
                line(
                    uuid(12),
                    "Viewed Pricing",
                    null,
                    "d5",
                    "2024-05-02 08:02:00.25",
                    e -> {
                      e.putNull("event_time");
                      e.put("client_event_time", "2024-05-02 08:02:00.250000");
                    })))
        // A file cut short after its gzip header: nothing in it can be read.
        .entry(
            "123/123_2024-05-02_9#0.json.gz",
            Arrays.copyOf(
                AmplitudeExportZipBuilder.gzip(
                    List.of(line(uuid(14), "Lost", "u1", "d4", "2024-05-02 09:00:00"))),
                10))
        .writeTo(tmp.resolve("exports/may-b.zip"));
  }

  private static List<Sent> mayExpected() {
    return List.of(
        new Sent(uuid(1), "Viewed Pricing", "d1", "2024-05-01T09:00:00.000001Z"),
        new Sent(uuid(2), "$pageview", "d1", "2024-05-01T09:05:00.500000Z"),
        new Sent(uuid(4), "Signed Up", "u1", "2024-05-01T09:10:00.000000Z"),
        alias("d1", "u1", "2024-05-01T09:10:00.000000Z"),
        new Sent(uuid(5), "Ünïcödé 事件 🎉", "u1", "2024-05-01T09:20:00.000000Z"),
        new Sent(uuid(7), "Big Event", "u2", "2024-05-01T10:00:00.000000Z"),
        alias("d2", "u2", "2024-05-01T10:00:00.000000Z"),
        new Sent(uuid(8), "Clicked", "anonymous", "2024-05-01T10:30:00.000000Z"),
        new Sent(uuid(9), "Viewed Pricing", "u2", "2024-05-01T23:59:59.999999Z"),
        new Sent(uuid(10), "Purchased", "u1", "2024-05-02T08:00:00.000000Z"),
        alias("d4", "u1", "2024-05-02T08:00:00.000000Z"),
        new Sent(uuid(11), "Purchased", "u2", "2024-05-02T08:01:00.000000Z"),
        new Sent(uuid(12), "Viewed Pricing", "d5", "2024-05-02T08:02:00.250000Z"));
  }

  private static final Set<String> MAY_PAIRS =
      Set.of(
          AliasPairs.pairKey("d1", "u1"),
          AliasPairs.pairKey("d2", "u2"),
          AliasPairs.pairKey("d4", "u1"));

  @Test
  void sampleShowsTheFirstLinesBesideTheirEventsOrWhyNotAndWritesNothing() throws Exception {
    mayA();
    mayB();
    Path checkpoints = tmp.resolve("ck-sample");

    CommandRun r =
        run(
            Map.of(),
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + checkpoints,
            "--renameEvents=Viewed Pricing=pricing viewed",
            "--sample=8");

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    String out = r.out();
    // The first 8 lines of the first file (name order), in file order.
    List<String> shown = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^#(\\d+)  (.*)$").matcher(out);
    while (m.find()) {
      shown.add(m.group(1));
      assertTrue(m.group(2).contains("may-a.zip"), m.group(2));
    }
    assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8"), shown, out);
    assertTrue(out.contains("\"uuid\":\"" + uuid(1) + "\",\"event\":\"pricing viewed\""), out);
    assertTrue(out.contains("\"uuid\":\"" + uuid(2) + "\",\"event\":\"$pageview\""), out);
    assertEquals(1, out.split("\n  refused: ", -1).length - 1, out);
    assertTrue(out.contains("  source:  {\"event_type\": \"broken\"\n  refused: "), out);
    assertTrue(out.contains("  dropped: a session event (--keepSessionEvents keeps them)"), out);
    assertTrue(out.contains("\"blob\":\""), out);
    assertTrue(out.contains(" more chars]"), "the huge value is cut: " + out.length());
    for (String line : out.split("\n")) {
      assertTrue(line.length() < 5_000, "no value printed whole: " + line.length());
    }
    assertTrue(
        out.contains(
            "8 record(s): 6 would be sent, 1 refused (dead letters), 0 filtered out by the rules,"
                + " 1 dropped by the source's mapping"),
        out);
    assertEquals(0, capture.requestCount(), "nothing is sent");
    assertFalse(Files.exists(checkpoints), "nothing is written");
  }

  @Test
  void rulesApplyToAmplitudeEventsAndAreCountedBesideTheConversionCounts() throws Exception {
    mayA();
    mayB();
    Path checkpoints = tmp.resolve("ck-rules");

    CommandRun r =
        run(
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + checkpoints,
            "--excludeEvents=Purchased",
            "--renameEvents=Viewed Pricing=pricing viewed",
            "--shiftTimestamps=PT1M",
            "--persons=none");

    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.describe()); // the files' bad lines
    List<Sent> sent = capture.events().stream().map(Sent::of).collect(Collectors.toList());
    Map<String, String> sentNames = new TreeMap<>();
    Map<String, Long> sentTimes = new TreeMap<>();
    sent.forEach(
        s -> {
          sentNames.put(s.uuid(), s.event());
          sentTimes.put(s.uuid(), AmplitudeTestData.micros(s.timestamp()));
        });
    Map<String, String> expectedNames = new TreeMap<>();
    Map<String, Long> expectedTimes = new TreeMap<>();
    for (Sent s : mayExpected()) {
      if (!s.event().equals("Purchased")) {
        expectedNames.put(
            s.uuid(), s.event().equals("Viewed Pricing") ? "pricing viewed" : s.event());
        expectedTimes.put(s.uuid(), AmplitudeTestData.micros(s.timestamp()) + 60_000_000L);
      }
    }
    assertEquals(expectedNames, sentNames);
    assertEquals(expectedTimes, sentTimes);
    assertEquals(expectedNames.size(), sent.size(), "each once");
    RunReport report = AmplitudeTestData.report(checkpoints);
    assertEquals(
        Map.of(
            "all events", Map.of("in", 13L, "kept", 11L, "filtered", 2L),
            "exclude Purchased", Map.of("dropped", 2L),
            "rename Viewed Pricing=pricing viewed", Map.of("renamed", 3L),
            "shiftTimestamps PT1M", Map.of("shifted", 11L)),
        report.section("rules"));
    assertEquals(
        1,
        report.get(
            "amplitude",
            "conversion",
            dev.hogbeam.amplitude.AmplitudeCounts.SESSION_EVENTS_DROPPED),
        "beside it");
    assertTrue(r.out().contains("  rules:     13 event(s) seen, 11 kept, 2 filtered out"), r.out());
  }

  @Test
  void filesAreMigratedExactlyInOrderWithDeadLettersAndTheReport() throws Exception {
    Path a = mayA();
    Path b = mayB();
    Path checkpoints = tmp.resolve("ck-may");

    CommandRun r =
        run(
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + checkpoints);

    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.describe());
    List<ReceivedEvent> received = capture.events();
    // Exactly these events, each once, each day in send order.
    List<Sent> sent =
        received.stream()
            .map(Sent::of)
            .sorted(AmplitudeTestData.SEND_ORDER)
            .collect(Collectors.toList());
    List<Sent> expected = new ArrayList<>(mayExpected());
    expected.sort(AmplitudeTestData.SEND_ORDER);
    assertEquals(expected, sent);
    AmplitudeTestData.assertSendOrderPerDay(AmplitudeTestData.byDay(received));
    for (FakeCaptureServer.RequestRecord req : capture.requests()) {
      assertEquals(200, req.status(), req.toString());
      assertEquals("/batch/", req.path());
      assertTrue(req.historicalMigration(), "historical_migration on every request: " + req);
      assertEquals(KEY, req.token());
      assertTrue(req.eventsInRequest() <= 3, req.toString());
    }
    assertEquals(5, capture.requestCount(), "9 events of May 1st and 4 of May 2nd in batches of 3");

    // The fields of the events.
    Map<String, ReceivedEvent> byUuid = new HashMap<>();
    received.forEach(e -> byUuid.put(e.uuid(), e));
    for (Sent s : mayExpected()) {
      ObjectNode props = byUuid.get(s.uuid()).properties();
      assertEquals("amplitude-import", props.path("$lib").asText(), s.toString());
      assertTrue(props.path("$geoip_disable").asBoolean(), s.toString());
      if (!s.event().equals("$create_alias")) {
        assertEquals("ins-" + s.uuid(), props.path("$insert_id").asText(), s.toString());
      }
    }
    assertEquals(
        JSON.readTree("{\"alias\":\"u1\",\"$lib\":\"amplitude-import\",\"$geoip_disable\":true}"),
        byUuid.get(alias("d1", "u1", "2024-05-01T09:10:00.000000Z").uuid()).properties());
    assertEquals(
        "d4", byUuid.get(alias("d4", "u1", "2024-05-02T08:00:00.000000Z").uuid()).distinctId());
    ObjectNode pageview = byUuid.get(uuid(2)).properties();
    assertEquals("https://example.com/pricing?plan=pro", pageview.path("$current_url").asText());
    assertEquals("/pricing", pageview.path("$pathname").asText());
    assertEquals("[Amplitude] Page Viewed", pageview.path("$amplitude_event_type").asText());
    assertEquals("d1", pageview.path("$device_id").asText());
    ObjectNode unicode = byUuid.get(uuid(5)).properties();
    assertEquals("🎉 naïve café", unicode.path("emoji").asText());
    assertFalse(unicode.has("note"), "\"EMPTY\" is absent");
    assertFalse(unicode.has("$amplitude_dma"), "\"EMPTY\" is absent");
    assertEquals("São Paulo", unicode.path("$geoip_city_name").asText());
    assertEquals("pro", unicode.path("$set").path("plan").asText());
    assertEquals("newsletter", unicode.path("$set_once").path("$initial_utm_source").asText());
    assertFalse(unicode.path("$set_once").has("$initial_referrer"), "\"EMPTY\" is absent");
    assertEquals(
        AmplitudeExportZipBuilder.hugeValue(HUGE),
        byUuid.get(uuid(7)).properties().path("blob").asText());

    // Dead letters: each bad line with its file, entry and line number; the damaged file.
    List<DeadLetter> dead = AmplitudeTestData.deadLetters(checkpoints.resolve("dead-letters"));
    dead.sort(Comparator.comparing(DeadLetter::source));
    assertEquals(3, dead.size(), dead.toString());
    assertEquals("map", dead.get(0).stage());
    assertEquals(
        "file " + a + ", entry 123/123_2024-05-01_10#0.json.gz, line 3", dead.get(0).source());
    assertEquals(
        "{\"uuid\":\"" + uuid(13) + "\",\"user_id\":\"u9\",\"event_time\":\"2024-05-01 10:40:00\"}",
        dead.get(0).payload());
    assertEquals("no event_type", dead.get(0).reason());
    assertEquals(uuid(13), dead.get(0).uuid());
    assertEquals(
        "file " + a + ", entry 123/123_2024-05-01_9#0.json.gz, line 3", dead.get(1).source());
    assertEquals("{\"event_type\": \"broken\"", dead.get(1).payload());
    assertTrue(dead.get(1).reason().startsWith("not valid JSON"), dead.get(1).reason());
    assertEquals("read", dead.get(2).stage());
    assertTrue(
        dead.get(2).source().startsWith("file " + b + ", entry 123/123_2024-05-02_9#0.json.gz"),
        dead.get(2).source());
    assertTrue(dead.get(2).reason().startsWith("the file is truncated"), dead.get(2).reason());

    // The report.
    RunReport report = AmplitudeTestData.report(checkpoints);
    assertEquals(
        Map.of("file " + a, Map.of("rowsRead", 11L), "file " + b, Map.of("rowsRead", 3L)),
        report.section(RunReport.SHARDS));
    assertEquals(9L, report.section(RunReport.GROUPS).get("2024-05-01").get("sent"));
    assertEquals(4L, report.section(RunReport.GROUPS).get("2024-05-02").get("sent"));
    assertEquals(0L, report.total(RunReport.GROUPS, "duplicatesDropped"));
    assertEquals(
        Map.of("map", Map.of("records", 2L), "read", Map.of("records", 1L)),
        report.section(RunReport.DEAD_LETTERS));
    assertEquals(
        amplitudeCounts(1, 1, 3, 0, 1),
        report.section(AmplitudeMigration.AMPLITUDE).get("conversion"));
    assertTrue(r.out().contains("read:      14 rows from 2 shard(s)"), r.out());
    assertTrue(r.out().contains("sent:      13 events in 5 batches"), r.out());
    assertTrue(
        r.out()
            .contains(
                "dead:      3 record(s) (map 2, read 1) in " + checkpoints.resolve("dead-letters")),
        r.out());
    assertTrue(
        r.out().contains("amplitude: 1 session event(s) dropped, 1 insert_id duplicate(s) dropped"),
        r.out());
    assertTrue(
        r.out().contains("aliases:   3 new pair(s), 0 sent by earlier runs, 1 refused"), r.out());
    String aliasStore =
        AmplitudeMigration.siblingOf(checkpoints.toString(), "amplitude-aliases-" + projectId());
    assertTrue(
        r.out()
            .contains(
                "alias store: " + aliasStore + " (3 pending record(s) settled, 0 still pending)"),
        r.out());
    assertEquals(MAY_PAIRS, PendingAliasPairsTest.storedPairs(aliasStore));
    assertEquals(
        Set.of(),
        PendingAliasPairsTest.fileNames(Path.of(aliasStore, PendingAliasPairs.DIRECTORY)));

    // The same command again: everything was delivered, nothing is sent, no alias recorded twice.
    CommandRun again =
        run(
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + checkpoints);
    assertEquals(ExitCodes.DEAD_LETTERS, again.exitCode(), again.describe());
    assertTrue(again.out().contains("(resuming: 2 group(s) finished earlier)"), again.out());
    assertEquals(13, capture.events().size(), "nothing sent again");
    RunReport second = AmplitudeTestData.report(checkpoints);
    assertEquals(0L, second.total(RunReport.GROUPS, "sent"));
    assertEquals(
        amplitudeCounts(1, 1, 0, 3, 1),
        second.section(AmplitudeMigration.AMPLITUDE).get("conversion"));
    assertEquals(3, PendingAliasPairsTest.storedLines(aliasStore), "no pair recorded twice");
  }

  @Test
  void orderedByPersonEachPersonsEventsArriveInTimeOrderWithTheAliasInTheUsersGroup()
      throws Exception {
    mayA();
    mayB();
    Path checkpoints = tmp.resolve("ck-person");

    CommandRun r =
        run(
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + checkpoints,
            "--orderBy=person",
            "--personBuckets=2");

    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.describe());
    assertTrue(r.out().contains("order: each person in time order, 2 buckets"), r.out());
    OrderingKey buckets = OrderingKey.person(2);
    Map<String, List<Sent>> byBucket = new TreeMap<>();
    for (ReceivedEvent e : capture.events()) {
      // The person: the user for an alias (its distinct_id is the device), else the distinct_id.
      String person =
          e.event().equals("$create_alias")
              ? e.properties().path("alias").asText()
              : e.distinctId();
      byBucket.computeIfAbsent(buckets.keyFor(person, 0), b -> new ArrayList<>()).add(Sent.of(e));
    }
    List<Sent> all = new ArrayList<>();
    byBucket.forEach(
        (bucket, events) -> {
          List<Sent> sorted = new ArrayList<>(events);
          sorted.sort(AmplitudeTestData.SEND_ORDER);
          assertEquals(sorted, events, "bucket " + bucket + " in send order across both days");
          all.addAll(events);
        });
    all.sort(AmplitudeTestData.SEND_ORDER);
    List<Sent> expected = new ArrayList<>(mayExpected());
    expected.sort(AmplitudeTestData.SEND_ORDER);
    assertEquals(expected, all);
    assertEquals(
        byBucket.keySet(),
        AmplitudeTestData.report(checkpoints).section(RunReport.GROUPS).keySet());
  }

  @Test
  void aRunOverTheNextMonthSharesTheAliasStoreAndSendsNoPairTwice() throws Exception {
    mayA();
    mayB();
    CommandRun may =
        run(
            "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip",
            "--checkpointDir=" + tmp.resolve("ck-may"));
    assertEquals(ExitCodes.DEAD_LETTERS, may.exitCode(), may.describe());
    capture.reset();
    new AmplitudeExportZipBuilder("123")
        .file(
            "20240601T12",
            0,
            List.of(
                line(uuid(21), "Viewed Pricing", "u1", "d1", "2024-06-01 12:00:00"),
                line(uuid(22), "Signed Up", "u6", "d6", "2024-06-01 12:05:00"),
                line(uuid(23), "Purchased", "u1", "d4", "2024-06-01 12:10:00"),
                line(uuid(24), "Viewed Pricing", null, "d7", "2024-06-01 12:15:00")))
        .writeTo(tmp.resolve("exports-june/june.zip"));

    CommandRun june =
        run(
            "--inputFiles=" + tmp.resolve("exports-june") + "/*.zip",
            "--checkpointDir=" + tmp.resolve("ck-june"));

    assertEquals(ExitCodes.OK, june.exitCode(), june.describe());
    List<Sent> sent = capture.events().stream().map(Sent::of).collect(Collectors.toList());
    List<Sent> expected =
        new ArrayList<>(
            List.of(
                new Sent(uuid(21), "Viewed Pricing", "u1", "2024-06-01T12:00:00.000000Z"),
                new Sent(uuid(22), "Signed Up", "u6", "2024-06-01T12:05:00.000000Z"),
                alias("d6", "u6", "2024-06-01T12:05:00.000000Z"),
                new Sent(uuid(23), "Purchased", "u1", "2024-06-01T12:10:00.000000Z"),
                new Sent(uuid(24), "Viewed Pricing", "d7", "2024-06-01T12:15:00.000000Z")));
    expected.sort(AmplitudeTestData.SEND_ORDER);
    assertEquals(expected, sent, "only the new pair is aliased; one day, in send order");
    assertEquals(
        amplitudeCounts(0, 0, 1, 2, 0),
        AmplitudeTestData.report(tmp.resolve("ck-june"))
            .section(AmplitudeMigration.AMPLITUDE)
            .get("conversion"));
    String store = tmp.resolve("amplitude-aliases-" + projectId()).toString();
    assertTrue(june.out().contains("pairs already sent are in " + store), june.out());
    Set<String> all = new java.util.TreeSet<>(MAY_PAIRS);
    all.add(AliasPairs.pairKey("d6", "u6"));
    assertEquals(all, PendingAliasPairsTest.storedPairs(store));
  }

  @Test
  void aDryRunRecordsNoAliasAndKeepsItsOwnCheckpoints() throws Exception {
    mayA();
    mayB();
    String store = tmp.resolve("store").toString();
    String pattern = "--inputFiles=" + tmp.resolve("exports") + "/may-*.zip";

    CommandRun dry =
        run(
            pattern,
            "--dryRun",
            "--aliasStore=" + store,
            "--checkpointDir=" + tmp.resolve("ck-dry"));
    assertEquals(ExitCodes.DEAD_LETTERS, dry.exitCode(), dry.describe());
    assertTrue(dry.out().contains("(read only: this run sends nothing to PostHog)"), dry.out());
    assertEquals(0, capture.requestCount());
    assertEquals(Set.of(), PendingAliasPairsTest.storedPairs(store));
    assertEquals(
        13L,
        AmplitudeTestData.report(tmp.resolve("ck-dry")).total(RunReport.GROUPS, "sent"),
        "a dry run counts what it would send");

    CommandRun reused =
        run(pattern, "--aliasStore=" + store, "--checkpointDir=" + tmp.resolve("ck-dry"));
    assertEquals(ExitCodes.USAGE, reused.exitCode(), reused.describe());
    assertTrue(
        reused
            .err()
            .contains(
                "--checkpointDir="
                    + tmp.resolve("ck-dry")
                    + " holds the checkpoints of a different migration: the destination"
                    + " (--posthogApiKey, --dryRun, --outputDir) was dry run, now PostHog project "
                    + projectId()),
        reused.err());

    CommandRun real =
        run(pattern, "--aliasStore=" + store, "--checkpointDir=" + tmp.resolve("ck-real"));
    assertEquals(ExitCodes.DEAD_LETTERS, real.exitCode(), real.describe());
    assertEquals(13, capture.events().size());
    assertEquals(MAY_PAIRS, PendingAliasPairsTest.storedPairs(store));
  }

  // ---------------------------------------------------------------------------------------------
  // The Export API.

  private static byte[] hour(String hour, int part, String... lines) {
    return new AmplitudeExportZipBuilder("456").file(hour, part, List.of(lines)).build();
  }

  @Test
  void theExportApiIsReadHourByHourWithBasicAuthRetriesAndA404() throws Exception {
    try (FakeAmplitudeExportServer amplitude =
        FakeAmplitudeExportServer.start(AMP_KEY, AMP_SECRET)) {
      amplitude.putHour(
          "20240610T00",
          new AmplitudeExportZipBuilder("456")
              .file(
                  "20240610T00",
                  0,
                  List.of(line(uuid(31), "Opened", "ua", "da", "2024-06-10 00:10:00")))
              .file(
                  "20240610T00",
                  1,
                  List.of(line(uuid(32), "Browsed", null, "db", "2024-06-10 00:20:00")))
              .build());
      amplitude.putHour(
          "20240610T02",
          hour("20240610T02", 0, line(uuid(33), "Opened", "ua", "dc", "2024-06-10 02:30:00")));
      amplitude.failNext("20240610T02", 429, "0");
      amplitude.putHour(
          "20240610T03",
          hour("20240610T03", 0, line(uuid(34), "Signed Up", "ub", "db", "2024-06-10 03:00:00")));
      Path checkpoints = tmp.resolve("ck-api");
      Map<String, String> env = AmplitudeTestData.keys(KEY, AMP_KEY, AMP_SECRET);

      CommandRun r =
          run(
              env,
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--startDate=2024-06-10",
              "--endDate=2024-06-10T04:00",
              "--checkpointDir=" + checkpoints);

      assertEquals(ExitCodes.OK, r.exitCode(), r.describe());
      assertTrue(
          r.out()
              .contains(
                  "Amplitude Export API " + amplitude.baseUrl() + ": 4 hour(s) of upload time"),
          r.out());
      List<Sent> expected =
          new ArrayList<>(
              List.of(
                  new Sent(uuid(31), "Opened", "ua", "2024-06-10T00:10:00.000000Z"),
                  alias("da", "ua", "2024-06-10T00:10:00.000000Z"),
                  new Sent(uuid(32), "Browsed", "db", "2024-06-10T00:20:00.000000Z"),
                  new Sent(uuid(33), "Opened", "ua", "2024-06-10T02:30:00.000000Z"),
                  alias("dc", "ua", "2024-06-10T02:30:00.000000Z"),
                  new Sent(uuid(34), "Signed Up", "ub", "2024-06-10T03:00:00.000000Z"),
                  alias("db", "ub", "2024-06-10T03:00:00.000000Z")));
      expected.sort(AmplitudeTestData.SEND_ORDER);
      assertEquals(
          expected,
          capture.events().stream().map(Sent::of).collect(Collectors.toList()),
          "one day: one group, in send order");
      assertTrue(
          capture.requests().stream()
              .allMatch(FakeCaptureServer.RequestRecord::historicalMigration));

      for (FakeAmplitudeExportServer.Request req : amplitude.requests()) {
        assertTrue(req.authorized, "basic auth with the keys: " + req);
        assertEquals(req.start, req.end, req.toString());
      }
      assertEquals(
          List.of("20240610T00", "20240610T01", "20240610T02", "20240610T03"),
          amplitude.servedHours().stream().sorted().collect(Collectors.toList()),
          "each hour once");
      assertEquals(2, amplitude.requestCount("20240610T02"), "429, then 200");
      assertEquals(5, amplitude.requests().size());

      RunReport report = AmplitudeTestData.report(checkpoints);
      assertEquals(
          Map.of(
              "export hour 2024-06-10T00", Map.of("rowsRead", 2L),
              "export hour 2024-06-10T02", Map.of("rowsRead", 1L),
              "export hour 2024-06-10T03", Map.of("rowsRead", 1L)),
          report.section(RunReport.SHARDS));
      assertEquals(
          amplitudeCounts(0, 0, 3, 0, 0),
          report.section(AmplitudeMigration.AMPLITUDE).get("conversion"));
      assertEquals(
          Set.of("20240610T00.zip", "20240610T01.empty", "20240610T02.zip", "20240610T03.zip"),
          PendingAliasPairsTest.fileNames(checkpoints.resolve("downloads")),
          "downloads kept for a resumed run");
      assertFalse(
          r.out().contains(AMP_KEY) || r.err().contains(AMP_KEY), "the API key never shows");
      assertFalse(
          r.out().contains(AMP_SECRET) || r.err().contains(AMP_SECRET),
          "the secret key never shows");
    }
  }

  @Test
  void anHourOverAmplitudes4GbLimitOrBadKeysFailTheRunNamingTheHour() throws Exception {
    try (FakeAmplitudeExportServer amplitude =
        FakeAmplitudeExportServer.start(AMP_KEY, AMP_SECRET)) {
      amplitude.putHour(
          "20240610T00",
          hour("20240610T00", 0, line(uuid(41), "Opened", "ua", "da", "2024-06-10 00:10:00")));
      amplitude.failAlways("20240610T01", 400);

      CommandRun r =
          run(
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--amplitudeApiKey=" + AMP_KEY,
              "--amplitudeSecretKey=" + AMP_SECRET,
              "--startDate=2024-06-10T00:00",
              "--endDate=2024-06-10T02:00",
              "--checkpointDir=" + tmp.resolve("ck-400"));

      assertEquals(ExitCodes.FAILED, r.exitCode(), r.describe());
      assertTrue(
          r.err()
              .contains(
                  "Amplitude Export API answered 400 for hour 2024-06-10T01: the export of that"
                      + " hour is over Amplitude's 4 GB limit"),
          r.err());
      assertTrue(
          r.err()
              .contains(
                  "To resume, run the same command again (checkpoints: "
                      + tmp.resolve("ck-400")
                      + ")"),
          r.err());
      assertEquals(
          0, capture.requestCount(), "nothing is sent when the input cannot be read whole");

      Path secretFile = Files.writeString(tmp.resolve("secret.txt"), "wrong-secret\n");
      CommandRun keys =
          run(
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--amplitudeApiKey=" + AMP_KEY,
              "--amplitudeSecretKeyFile=" + secretFile,
              "--startDate=2024-06-10T00:00",
              "--endDate=2024-06-10T01:00",
              "--checkpointDir=" + tmp.resolve("ck-401"));
      assertEquals(ExitCodes.FAILED, keys.exitCode(), keys.describe());
      assertTrue(
          keys.err()
              .contains("Amplitude Export API refused the keys (HTTP 401) for hour 2024-06-10T00"),
          keys.err());
      assertFalse(keys.err().contains(AMP_KEY) || keys.err().contains("wrong-secret"), keys.err());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Flags.

  @Test
  void wrongFlagsAreUsageErrorsNamingTheFlags() throws Exception {
    Path zip =
        new AmplitudeExportZipBuilder("123")
            .file(
                "20240502T08",
                0,
                List.of(line(uuid(15), "Purchased", "u1", "d4", "2024-05-02 08:00:00")))
            .writeTo(tmp.resolve("clean.zip"));
    String files = "--inputFiles=" + zip;
    assertUsage(
        run(files, "--amplitudeApiKey=k", "--startDate=2024-01-01"),
        "--inputFiles reads export files whole, from start to end; --amplitudeApiKey, --startDate"
            + " are for the Export API: give either --inputFiles or the Export API flags");
    assertUsage(
        run(),
        "nothing to read: give --inputFiles=<file pattern> for export files you have, or the Export"
            + " API keys --amplitudeApiKey and --amplitudeSecretKey");
    assertUsage(
        run("--amplitudeApiKey=k", "--startDate=2024-01-01", "--endDate=2024-01-02"),
        "the Export API needs both keys; --amplitudeSecretKey (or AMPLITUDE_SECRET_KEY,"
            + " --amplitudeSecretKeyFile) is missing");
    assertUsage(
        run(
            AmplitudeTestData.keys(KEY, "k", "s"),
            "--startDate=2024-01-01T00:30",
            "--endDate=2024-01-02"),
        "--startDate=2024-01-01T00:30 is not a whole UTC hour");
    assertUsage(
        run(
            AmplitudeTestData.keys(KEY, "k", "s"),
            "--startDate=2024-07-13",
            "--endDate=2024-07-14"),
        "--endDate (2024-07-14T00:00:00Z) is less than 48 hours ago");
    assertUsage(
        run(
            AmplitudeTestData.keys(KEY, "k", "s"),
            "--startDate=2024-07-01",
            "--endDate=2024-07-02",
            "--amplitudeRegion=asia"),
        "--amplitudeRegion must be us or eu, but was 'asia'");
    assertUsage(
        run(files, "--aliasMode=merge"), "--aliasMode must be create_alias, identify or none");
    assertUsage(
        run("--inputFiles=" + tmp.resolve("nothing") + "/*.zip"),
        "--inputFiles='" + tmp.resolve("nothing") + "/*.zip' matches no file");
    assertUsage(run(Map.of(), files), "the PostHog project API key is required");

    Path checkpoints = tmp.resolve("ck-flags");
    assertEquals(ExitCodes.OK, run(files, "--checkpointDir=" + checkpoints).exitCode());
    assertUsage(
        run(files, "--checkpointDir=" + checkpoints, "--orderBy=person", "--personBuckets=4"),
        "--checkpointDir="
            + checkpoints
            + " holds the checkpoints of a different migration: --orderBy was day,"
            + " now person (4 buckets).");
  }

  private static void assertUsage(CommandRun r, String message) {
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.describe());
    assertTrue(r.err().contains(message), "expected <" + message + "> in\n" + r.err());
  }

  // ---------------------------------------------------------------------------------------------

  private static Map<String, Long> amplitudeCounts(
      long sessionDropped,
      long insertIdDuplicates,
      long aliasNew,
      long aliasAlreadySent,
      long aliasRefused) {
    Map<String, Long> m = new TreeMap<>();
    m.put("session_events_dropped", sessionDropped);
    m.put("insert_id_duplicates_dropped", insertIdDuplicates);
    m.put("alias_pairs_new", aliasNew);
    m.put("alias_pairs_already_sent", aliasAlreadySent);
    m.put("alias_pairs_refused", aliasRefused);
    m.put("group_identify_events", 0L);
    return m;
  }

  /** The alias store's name part for {@link #KEY}: the start of its SHA-256. */
  private static String projectId() {
    return AmplitudeMigration.shortHash(KEY, 12);
  }
}
