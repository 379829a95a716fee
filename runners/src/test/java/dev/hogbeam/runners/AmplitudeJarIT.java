package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.runners.JarProcess.Result;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeAmplitudeExportServer;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar hogbeam.jar amplitude} as the README shows it, on the jar's default runner
 * (embedded Flink, which, unlike the DirectRunner, refuses to flatten collections whose coders
 * differ): export files, then the Export API, into the fake capture server.
 */
class AmplitudeJarIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final String KEY = "phc_amplitude_jar_it";

  @TempDir Path tmp;

  private static String line(String uuid, String type, String user, String device, String time) {
    return AmplitudeExportZipBuilder.webEvent(uuid, type, user, device, time).toString();
  }

  private static List<String> uuidsOf(List<ReceivedEvent> events, String name) {
    return events.stream()
        .filter(e -> e.event().equals(name))
        .map(ReceivedEvent::uuid)
        .sorted()
        .collect(Collectors.toList());
  }

  @Test
  void exportFilesOnEmbeddedFlink() throws Exception {
    new AmplitudeExportZipBuilder("123")
        .file(
            "20240501T09",
            0,
            List.of(
                line(
                    "00000000-0000-4000-8000-000000000001",
                    "Viewed",
                    null,
                    "d1",
                    "2024-05-01 09:00:00"),
                "{not json",
                line(
                    "00000000-0000-4000-8000-000000000002",
                    "Signed Up",
                    "u1",
                    "d1",
                    "2024-05-01 09:05:00")))
        .file(
            "20240502T10",
            0,
            List.of(
                line(
                    "00000000-0000-4000-8000-000000000003",
                    "Bought",
                    "u1",
                    "d1",
                    "2024-05-02 10:00:00")))
        .writeTo(tmp.resolve("exports/may.zip"));
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> command =
          List.of(
              "amplitude",
              "--inputFiles=" + tmp.resolve("exports") + "/*.zip",
              "--posthogUrl=" + capture.url(),
              "--checkpointDir=" + tmp.resolve("ck"),
              "--batchSize=2");

      Result first = JarProcess.hogbeam(TIMEOUT, Map.of("POSTHOG_API_KEY", KEY), command);

      assertEquals(3, first.exitCode(), first.describe());
      assertTrue(first.stdout().contains("dead:      1 record(s) (map 1)"), first.describe());
      assertTrue(first.stdout().contains("aliases:   1 new pair(s)"), first.describe());
      List<ReceivedEvent> received = capture.events();
      // Three events, an alias, and the final $set of the one user with properties, last.
      assertEquals(5, received.size(), received.toString());
      assertEquals("$set", received.get(received.size() - 1).event(), received.toString());
      assertEquals(
          List.of(
              "00000000-0000-4000-8000-000000000001",
              "00000000-0000-4000-8000-000000000002",
              "00000000-0000-4000-8000-000000000003"),
          received.stream()
              .filter(e -> !e.event().equals("$create_alias") && !e.event().equals("$set"))
              .map(ReceivedEvent::uuid)
              .sorted()
              .collect(Collectors.toList()));
      assertEquals(1, uuidsOf(received, "$create_alias").size());
      assertTrue(
          capture.requests().stream()
              .allMatch(FakeCaptureServer.RequestRecord::historicalMigration));

      Result second = JarProcess.hogbeam(TIMEOUT, Map.of("POSTHOG_API_KEY", KEY), command);
      assertEquals(3, second.exitCode(), second.describe());
      assertTrue(
          second.stdout().contains("aliases:   0 new pair(s), 1 sent by earlier runs"),
          second.describe());
      assertEquals(5, capture.events().size(), "nothing sent twice");
    }
  }

  @Test
  void theExportApiOnEmbeddedFlink() throws Exception {
    try (FakeAmplitudeExportServer amplitude = FakeAmplitudeExportServer.start("ak", "sk");
        FakeCaptureServer capture = FakeCaptureServer.start()) {
      for (int h = 0; h < 3; h++) {
        String hour = "2024061" + "0T0" + h;
        amplitude.putHour(
            hour,
            new AmplitudeExportZipBuilder("456")
                .file(
                    hour,
                    0,
                    List.of(
                        line(
                            "00000000-0000-4000-8000-00000000001" + h,
                            "Opened",
                            "u" + h,
                            "d" + h,
                            "2024-06-10 0" + h + ":30:00")))
                .build());
      }
      List<String> command =
          List.of(
              "amplitude",
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--startDate=2024-06-10",
              "--endDate=2024-06-10T04:00",
              "--posthogUrl=" + capture.url(),
              "--checkpointDir=" + tmp.resolve("ck"));

      Result run =
          JarProcess.hogbeam(
              TIMEOUT,
              Map.of(
                  "POSTHOG_API_KEY", KEY, "AMPLITUDE_API_KEY", "ak", "AMPLITUDE_SECRET_KEY", "sk"),
              command);

      assertEquals(0, run.exitCode(), run.describe());
      assertTrue(run.stdout().contains("read:      3 rows from 3 shard(s)"), run.describe());
      assertEquals(3, uuidsOf(capture.events(), "Opened").size());
      assertEquals(3, uuidsOf(capture.events(), "$create_alias").size());
      assertEquals(
          List.of("20240610T00", "20240610T01", "20240610T02", "20240610T03"),
          amplitude.servedHours().stream().sorted().collect(Collectors.toList()));
    }
  }
}
