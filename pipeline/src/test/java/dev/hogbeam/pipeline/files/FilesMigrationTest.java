package dev.hogbeam.pipeline.files;

import static dev.hogbeam.pipeline.files.FilesTestData.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.pipeline.mixpanel.MixpanelMigration;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalS3;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam files} through its command line: PostHog-shaped files (plain, gzip, zip) from the
 * local disk and from an S3-compatible server (S3Proxy, path-style, keys from the SDK's default
 * chain; checkpoints in a bucket too), Amplitude files through the Amplitude source, malformed
 * lines dead-lettered with their file and line, and the flags it refuses.
 */
class FilesMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> ENV = Map.of("POSTHOG_API_KEY", KEY);

  private static final String U1 = "01900000-0000-7000-8000-000000000001";
  private static final String U3 = "01900000-0000-7000-8000-000000000003";
  private static final String U4 = "01900000-0000-7000-8000-000000000004";
  private static final String U5 = "01900000-0000-7000-8000-000000000005";

  /** Plain JSON lines: full ISO, an offset and a number as distinct_id; then a broken line. */
  static final List<String> PLAIN =
      List.of(
          "{\"event\":\"signed up\",\"distinct_id\":\"user-1\","
              + "\"timestamp\":\"2024-03-01T10:00:00.123456Z\",\"uuid\":\""
              + U1
              + "\",\"properties\":{\"plan\":\"pro\",\"$set\":{\"email\":\"a@example.com\"}}}",
          "",
          "{\"event\":\"$pageview\",\"distinct_id\":42,\"timestamp\":\"2024-03-01T12:30:00+02:00\","
              + "\"properties\":{\"$current_url\":\"https://example.com/\"},"
              + "\"$set_once\":{\"first_seen\":\"2024-03-01\"}}",
          "{\"event\":\"broken\",\"distinct_id\":");

  /** Gzipped: epoch seconds, epoch milliseconds; a line without an event. */
  static final List<String> GZIP =
      List.of(
          "{\"event\":\"paid\",\"distinct_id\":\"user-2\",\"timestamp\":1709294400,\"uuid\":\""
              + U3
              + "\",\"properties\":{\"amount\":9.5}}",
          "{\"event\":\"paid\",\"distinct_id\":\"user-2\",\"timestamp\":1709380800123,\"uuid\":\""
              + U4
              + "\"}",
          "{\"distinct_id\":\"user-3\",\"timestamp\":\"2024-03-02T00:00:00Z\"}");

  /** In a zip: ClickHouse's time form, top-level $set and elements_chain; no distinct_id. */
  static final List<String> ZIPPED =
      List.of(
          "{\"event\":\"$autocapture\",\"distinct_id\":\"user-3\","
              + "\"timestamp\":\"2024-03-02 08:15:30.5\",\"uuid\":\""
              + U5
              + "\",\"elements_chain\":\"button:nth-child=\\\"1\\\"\","
              + "\"$set\":{\"name\":\"Carla\",\"plan\":\"free\"},"
              + "\"properties\":{\"$set\":{\"name\":\"Carla C.\"},\"$geoip_disable\":false}}",
          "{\"event\":\"clicked\",\"timestamp\":\"2024-03-02T09:00:00Z\"}");

  @TempDir Path tmp;

  /** What each valid line of the three files must become, by uuid. */
  static Map<String, String> expected() {
    String pageview = NameUuids.v5("posthog-file-line\n" + PLAIN.get(2));
    Map<String, String> e = new TreeMap<>();
    e.put(
        U1,
        "signed up|user-1|2024-03-01T10:00:00.123456Z|{\"plan\":\"pro\",\"$set\":{\"email\":"
            + "\"a@example.com\"},\"$geoip_disable\":true}");
    e.put(
        pageview,
        "$pageview|42|2024-03-01T10:30:00.000000Z|{\"$current_url\":\"https://example.com/\","
            + "\"$set_once\":{\"first_seen\":\"2024-03-01\"},\"$geoip_disable\":true}");
    e.put(U3, "paid|user-2|2024-03-01T12:00:00.000000Z|{\"amount\":9.5,\"$geoip_disable\":true}");
    e.put(U4, "paid|user-2|2024-03-02T12:00:00.123000Z|{\"$geoip_disable\":true}");
    e.put(
        U5,
        "$autocapture|user-3|2024-03-02T08:15:30.500000Z|{\"$set\":{\"name\":\"Carla C.\","
            + "\"plan\":\"free\"},\"$geoip_disable\":false,"
            + "\"$elements_chain\":\"button:nth-child=\\\"1\\\"\"}");
    return e;
  }

  static Map<String, String> received(List<ReceivedEvent> events) throws Exception {
    Map<String, String> r = new TreeMap<>();
    for (ReceivedEvent e : events) {
      r.put(
          e.uuid(),
          e.event()
              + "|"
              + e.distinctId()
              + "|"
              + e.timestamp()
              + "|"
              + JSON.writeValueAsString(e.properties()));
    }
    return r;
  }

  /** Properties compared as JSON trees (key order aside). */
  static void assertSameEvents(Map<String, String> expected, Map<String, String> received)
      throws Exception {
    assertEquals(expected.keySet(), received.keySet());
    for (String uuid : expected.keySet()) {
      String[] want = expected.get(uuid).split("\\|", 4);
      String[] got = received.get(uuid).split("\\|", 4);
      assertEquals(want[0] + "|" + want[1] + "|" + want[2], got[0] + "|" + got[1] + "|" + got[2]);
      assertEquals(JSON.readTree(want[3]), JSON.readTree(got[3]), uuid);
    }
  }

  @Test
  void postHogFilesPlainGzipAndZipWithMalformedLinesDeadLettered() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.write(in.resolve("a.jsonl"), FilesTestData.plain(PLAIN));
    Files.write(in.resolve("b.jsonl.gz"), FilesTestData.gzip(GZIP));
    Files.write(in.resolve("c.zip"), FilesTestData.zip("events.jsonl", ZIPPED));
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      Path ck = tmp.resolve("ck");
      Path dl = tmp.resolve("dead");
      List<String> args =
          List.of(
              "--format=posthog",
              "--inputFiles=" + in + "/*",
              "--posthogUrl=" + capture.url(),
              "--checkpointDir=" + ck,
              "--deadLetterDir=" + dl,
              "--progressIntervalSeconds=0");
      CommandRun run = FilesTestData.files(ENV, args);
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      assertSameEvents(expected(), received(capture.events()));
      assertEquals(5, capture.events().size(), "each event once");
      assertTrue(capture.requests().stream().allMatch(r -> KEY.equals(r.token())));

      Map<String, String> letters = new TreeMap<>();
      for (DeadLetter d : FilesTestData.deadLetters(dl)) {
        assertEquals("map", d.stage());
        letters.put(d.source(), d.reason());
      }
      assertEquals(
          Map.of(
              "file " + in.resolve("a.jsonl") + ", line 4",
              letters.get("file " + in.resolve("a.jsonl") + ", line 4"),
              "file " + in.resolve("b.jsonl.gz") + ", line 3",
              "event is missing or empty",
              "file " + in.resolve("c.zip") + ", entry events.jsonl, line 2",
              "distinct_id is missing or empty"),
          letters);
      assertTrue(
          letters
              .get("file " + in.resolve("a.jsonl") + ", line 4")
              .startsWith("the line is not JSON"),
          letters.toString());

      // The account: three files read, with their lines; the dead letters counted.
      RunReport report = FilesTestData.report(ck);
      Map<String, Map<String, Long>> shards = report.section(RunReport.SHARDS);
      assertEquals(
          Map.of(
              "file " + in.resolve("a.jsonl"), 3L,
              "file " + in.resolve("b.jsonl.gz"), 3L,
              "file " + in.resolve("c.zip"), 2L),
          shards.entrySet().stream()
              .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get("rowsRead"))));
      assertEquals(3, report.get(RunReport.MIGRATION, "deadLetters", "records"));

      // The same command again: nothing re-sent (every day's group is done), same dead letters.
      CommandRun again = FilesTestData.files(ENV, args);
      assertEquals(ExitCodes.DEAD_LETTERS, again.exitCode(), again.describe());
      assertEquals(5, capture.events().size(), "a finished migration sends nothing again");

      // A file more under the pattern: not the migration the checkpoints are of.
      Files.write(in.resolve("d.jsonl"), FilesTestData.plain(PLAIN.subList(0, 1)));
      CommandRun changed = FilesTestData.files(ENV, args);
      assertEquals(ExitCodes.USAGE, changed.exitCode(), changed.describe());
      assertTrue(
          changed.err().contains("holds the checkpoints of a different migration: the files"),
          changed.err());
    }
  }

  @Test
  void postHogFilesFromS3WithPathStyleAccess() throws Exception {
    try (LocalS3 s3 = LocalS3.start();
        FakeCaptureServer capture = FakeCaptureServer.start()) {
      s3.put("events", "2024/03/a.jsonl", FilesTestData.plain(PLAIN.subList(0, 3)));
      s3.put("events", "2024/03/b.jsonl.gz", FilesTestData.gzip(GZIP.subList(0, 2)));
      s3.put("events", "2024/03/c.zip", FilesTestData.zip("events.jsonl", ZIPPED.subList(0, 1)));
      s3.put("events", "other/ignored.jsonl", FilesTestData.plain(List.of("{}")));
      s3.createBucket("state");
      FilesTestData.useS3Keys();
      try {
        List<String> args = new ArrayList<>();
        args.addAll(
            List.of(
                "--format=posthog",
                "--inputFiles=s3://events/2024/03/*",
                "--posthogUrl=" + capture.url(),
                "--checkpointDir=s3://state/ck",
                "--progressIntervalSeconds=0"));
        args.addAll(FilesTestData.s3Flags(s3));
        CommandRun run = FilesTestData.files(ENV, args);
        assertEquals(ExitCodes.OK, run.exitCode(), run.describe());
        assertSameEvents(expected(), received(capture.events()));
        assertEquals(5, capture.events().size());
        assertTrue(run.out().contains("3 PostHog event file(s) matching s3://events/2024/03/*"));
        // The checkpoints, the plan and the account are in the bucket too.
        RunReport report =
            RunReport.fromJson(
                new String(s3.get("state", "ck/report.json"), StandardCharsets.UTF_8));
        assertTrue(s3.keys("state").contains("ck/plan.json"), s3.keys("state").toString());
        assertEquals(
            List.of(
                "file s3://events/2024/03/a.jsonl",
                "file s3://events/2024/03/b.jsonl.gz",
                "file s3://events/2024/03/c.zip"),
            new ArrayList<>(new TreeMap<>(report.section(RunReport.SHARDS)).keySet()));

        // Without path-style access the SDK asks for http://events.localhost:PORT/: refused.
        List<String> virtualHost = new ArrayList<>(args);
        virtualHost.remove("--s3PathStyleAccess=true");
        virtualHost.set(3, "--checkpointDir=" + tmp.resolve("ck2"));
        CommandRun refused = FilesTestData.files(ENV, virtualHost);
        assertFalse(refused.exitCode() == ExitCodes.OK, refused.describe());
      } finally {
        FilesTestData.clearS3Keys();
      }
    }
  }

  @Test
  void amplitudeFilesGoThroughTheAmplitudeSource() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("amp"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      lines.add(
          AmplitudeExportZipBuilder.webEvent(
                  String.format("00000000-0000-4000-8000-%012d", i + 1),
                  "Purchased",
                  i % 2 == 0 ? "user-" + i : null,
                  "device-" + i,
                  "2024-06-1" + (i % 3) + " 10:0" + i + ":00")
              .toString());
    }
    Files.write(in.resolve("export.json.gz"), FilesTestData.gzip(lines));
    try (FakeCaptureServer viaFiles = FakeCaptureServer.start();
        FakeCaptureServer viaAmplitude = FakeCaptureServer.start()) {
      CommandRun files =
          FilesTestData.files(
              ENV,
              List.of(
                  "--format=amplitude",
                  "--inputFiles=" + in + "/*.json.gz",
                  "--posthogUrl=" + viaFiles.url(),
                  "--checkpointDir=" + tmp.resolve("ck-files"),
                  "--aliasStore=" + tmp.resolve("aliases-files"),
                  "--persons=none",
                  "--progressIntervalSeconds=0"));
      assertEquals(ExitCodes.OK, files.exitCode(), files.describe());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
      int code =
          AmplitudeMigration.command()
              .run(
                  new String[] {
                    "--inputFiles=" + in + "/*.json.gz",
                    "--posthogUrl=" + viaAmplitude.url(),
                    "--checkpointDir=" + tmp.resolve("ck-amplitude"),
                    "--aliasStore=" + tmp.resolve("aliases-amplitude"),
                    "--persons=none",
                    "--progressIntervalSeconds=0"
                  },
                  new MigrationCommand.Environment(print, print, ENV, Clock.systemUTC()));
      assertEquals(ExitCodes.OK, code, out.toString(StandardCharsets.UTF_8));

      Map<String, String> got = received(viaFiles.events());
      assertEquals(received(viaAmplitude.events()), got, "the Amplitude source's events exactly");
      // Six events, and one $create_alias for each of the three identified users.
      assertEquals(9, got.size());
      assertEquals(
          3, viaFiles.events().stream().filter(e -> e.event().equals("$create_alias")).count());
      ReceivedEvent first =
          viaFiles.events().stream()
              .filter(e -> e.uuid().equals("00000000-0000-4000-8000-000000000001"))
              .findFirst()
              .orElseThrow();
      assertEquals("Purchased", first.event());
      assertEquals("user-0", first.distinctId());
      assertEquals("2024-06-10T10:00:00.000000Z", first.timestamp());
      assertEquals("device-0", first.properties().path("$device_id").asText());
    }
  }

  @Test
  void mixpanelFilesGoThroughTheMixpanelSource() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("mixpanel-in"));
    List<String> lines =
        List.of(
            "{\"event\":\"$mp_web_page_view\",\"properties\":{\"time\":1714557600,"
                + "\"distinct_id\":\"$device:dev-1\",\"$distinct_id_before_identity\":\"anon-1\","
                + "\"$device_id\":\"dev-1\",\"$insert_id\":\"ins-1\",\"$city\":\"Paris\"}}",
            "{\"event\":\"Signed Up\",\"properties\":{\"time\":1714561200123.456,"
                + "\"distinct_id\":\"user-1\",\"$user_id\":\"user-1\",\"$device_id\":\"dev-1\","
                + "\"$insert_id\":\"ins-2\",\"plan\":\"pro\"}}");
    Files.write(in.resolve("export.json.gz"), FilesTestData.gzip(lines));
    try (FakeCaptureServer viaFiles = FakeCaptureServer.start();
        FakeCaptureServer viaMixpanel = FakeCaptureServer.start()) {
      CommandRun files =
          FilesTestData.files(
              ENV,
              List.of(
                  "--format=mixpanel",
                  "--inputFiles=" + in + "/*.json.gz",
                  "--posthogUrl=" + viaFiles.url(),
                  "--checkpointDir=" + tmp.resolve("ck-mp-files"),
                  "--progressIntervalSeconds=0"));
      assertEquals(ExitCodes.OK, files.exitCode(), files.describe());
      CommandRun direct =
          CommandRun.of(
              MixpanelMigration.command(),
              ENV,
              List.of(
                  "--inputFiles=" + in + "/*.json.gz",
                  "--posthogUrl=" + viaMixpanel.url(),
                  // Its own parent directory: the identity-link store beside the checkpoints
                  // would otherwise hold the pair the first run sent, and no $identify would go.
                  "--checkpointDir=" + tmp.resolve("mp-direct").resolve("ck"),
                  "--progressIntervalSeconds=0"),
              Instant.now());
      assertEquals(ExitCodes.OK, direct.exitCode(), direct.describe());
      Map<String, String> got = received(viaFiles.events());
      assertEquals(received(viaMixpanel.events()), got, "the Mixpanel source's events exactly");
      // The two events and one $identify for the (dev-1, user-1) pair.
      assertEquals(3, got.size(), got.toString());
      ReceivedEvent view =
          viaFiles.events().stream()
              .filter(e -> e.event().equals("$pageview"))
              .findFirst()
              .orElseThrow();
      assertEquals("anon-1", view.distinctId());
      assertEquals("2024-05-01T10:00:00.000000Z", view.timestamp());
      assertEquals("Paris", view.properties().path("$geoip_city_name").asText());
      assertEquals(
          1, viaFiles.events().stream().filter(e -> e.event().equals("$identify")).count());
    }
  }

  @Test
  void aTrialRunOfPostHogAndMixpanelFilesSendsAndWritesNothing() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("sample-in"));
    Files.write(
        in.resolve("posthog.jsonl"),
        FilesTestData.plain(
            List.of(
                "{\"event\":\"Signed Up\",\"distinct_id\":\"u1\","
                    + "\"timestamp\":\"2024-05-01T10:00:00.123456Z\",\"properties\":{\"plan\":\"pro\"}}",
                "{\"event\":\"No One\",\"timestamp\":\"2024-05-01T10:00:01Z\"}",
                "{\"event\":\"Third\",\"distinct_id\":\"u2\",\"timestamp\":\"2024-05-01T10:00:02Z\"}")));
    Files.write(
        in.resolve("mixpanel.jsonl"),
        FilesTestData.plain(
            List.of(
                "{\"event\":\"$mp_web_page_view\",\"properties\":{\"time\":1714557600,"
                    + "\"distinct_id\":\"u1\",\"$insert_id\":\"i1\"}}",
                "{\"event\":\"NoId\",\"properties\":{\"time\":1714557600}}")));
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      Path ck = tmp.resolve("sample-ck");
      CommandRun posthog =
          FilesTestData.files(
              ENV,
              List.of(
                  "--format=posthog",
                  "--inputFiles=" + in + "/posthog.jsonl",
                  "--posthogUrl=" + capture.url(),
                  "--checkpointDir=" + ck,
                  "--sample=2"));
      assertEquals(ExitCodes.OK, posthog.exitCode(), posthog.describe());
      assertTrue(posthog.out().contains("#1  file "), posthog.out());
      assertTrue(
          posthog.out().contains("\"event\":\"Signed Up\",\"distinct_id\":\"u1\""), posthog.out());
      assertTrue(
          posthog.out().contains("\"timestamp\":\"2024-05-01T10:00:00.123456Z\""), posthog.out());
      assertTrue(posthog.out().contains("#2  file "), posthog.out());
      assertTrue(posthog.out().contains("refused: distinct_id is missing"), posthog.out());
      assertTrue(!posthog.out().contains("#3 "), "exactly 2 entries: " + posthog.out());

      CommandRun mixpanel =
          FilesTestData.files(
              ENV,
              List.of(
                  "--format=mixpanel",
                  "--inputFiles=" + in + "/mixpanel.jsonl",
                  "--posthogUrl=" + capture.url(),
                  "--checkpointDir=" + ck,
                  "--sample=5"));
      assertEquals(ExitCodes.OK, mixpanel.exitCode(), mixpanel.describe());
      assertTrue(
          mixpanel.out().contains("\"event\":\"$pageview\",\"distinct_id\":\"u1\""),
          mixpanel.out());
      assertTrue(mixpanel.out().contains("refused: no distinct id"), mixpanel.out());
      assertTrue(
          mixpanel
              .out()
              .contains("2 record(s) (the plan holds no more): 1 would be sent, 1 refused"),
          mixpanel.out());

      assertEquals(0, capture.requests().size(), "a trial run sends nothing");
      assertTrue(!Files.exists(ck), "a trial run writes nothing");
    }
  }

  @Test
  void refusesAnUnknownFormatAndS3KeysAsFlagValues() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.write(in.resolve("a.jsonl"), FilesTestData.plain(PLAIN.subList(0, 1)));
    List<String> common =
        List.of(
            "--inputFiles=" + in + "/*.jsonl",
            "--posthogUrl=http://127.0.0.1:9/",
            "--checkpointDir=" + tmp.resolve("ck"));

    CommandRun unknown = FilesTestData.files(ENV, with(common, "--format=csv"));
    assertEquals(ExitCodes.USAGE, unknown.exitCode());
    assertTrue(
        unknown
            .err()
            .contains("--format must be one of posthog, amplitude, mixpanel, but was 'csv'"),
        unknown.err());

    CommandRun none = FilesTestData.files(ENV, common);
    assertEquals(ExitCodes.USAGE, none.exitCode());
    assertTrue(none.err().contains("--format is required"), none.err());

    String secret = "s3-secret-never-shown-8817";
    CommandRun keys =
        FilesTestData.files(
            ENV,
            with(
                common,
                "--format=posthog",
                "--awsCredentialsProvider={\"@type\":\"StaticCredentialsProvider\","
                    + "\"accessKeyId\":\"AKIDFILES\",\"secretAccessKey\":\""
                    + secret
                    + "\"}"));
    assertEquals(ExitCodes.USAGE, keys.exitCode(), keys.describe());
    assertTrue(keys.err().contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), keys.err());
    assertFalse((keys.out() + keys.err()).contains(secret));

    CommandRun noFile =
        FilesTestData.files(
            ENV,
            List.of(
                "--format=posthog",
                "--inputFiles=" + in + "/*.nothing",
                "--posthogUrl=http://127.0.0.1:9/",
                "--checkpointDir=" + tmp.resolve("ck2")));
    assertEquals(ExitCodes.USAGE, noFile.exitCode());
    assertTrue(noFile.err().contains("matches no file"), noFile.err());
  }

  private static List<String> with(List<String> args, String... more) {
    List<String> out = new ArrayList<>(args);
    out.addAll(List.of(more));
    return out;
  }

  static JsonNode tree(String json) throws Exception {
    return JSON.readTree(json);
  }
}
