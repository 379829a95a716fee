package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeAmplitudeExportServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The Export API read against the fake Amplitude server. */
@ExtendWith(TestPipelineExtension.class)
class AmplitudeIOReadExportTest {
  private static final String API_KEY = "api-key-4f1c";
  private static final String SECRET = "secret-key-9b2e";
  private static final Instant NINE = Instant.parse("2024-05-01T09:00:00Z");

  @TempDir Path dir;
  private FakeAmplitudeExportServer server;

  @BeforeEach
  void startServer() {
    server = FakeAmplitudeExportServer.start(API_KEY, SECRET);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  private AmplitudeIO.ReadExport read(int hours) {
    return AmplitudeIO.readExport()
        .withBaseUrl(server.baseUrl())
        .withCredentials(API_KEY, SECRET)
        .withRange(NINE, NINE.plus(Duration.ofHours(hours)))
        .withRetries(5, Duration.ofMillis(1), Duration.ofMillis(20));
  }

  private static byte[] zip(String hour, String... lines) {
    return new AmplitudeExportZipBuilder("123").file(hour, 0, List.of(lines)).build();
  }

  private static SourceLine line(String hour, String entryHour, int n, String text) {
    return SourceLine.of(
        ExportHours.source(hour),
        AmplitudeExportZipBuilder.entryName("123", entryHour, 0),
        n,
        text);
  }

  @Test
  void eachHourIsOneRequestEmptyHoursAre404AndTransientErrorsAreRetried(TestPipeline p) {
    server.putHour(
        "20240501T09",
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"n\":1}"))
            .file("20240501T09", 1, List.of("{\"n\":2}"))
            .build());
    server.putHour("20240501T11", zip("20240501T11", "{\"n\":3}"));
    server.putHour("20240501T12", zip("20240501T12", "{\"n\":4}", "{\"n\":5}"));
    server.failNext("20240501T12", 429, "0");
    server.failNext("20240501T12", 503, null);
    server.failNext("20240501T12", 504, null);

    JsonLineFiles.LineRead read = p.apply(read(4));

    PAssert.that(read.getLines())
        .containsInAnyOrder(
            SourceLine.of(
                "export hour 2024-05-01T09", "123/123_2024-05-01_9#0.json.gz", 1, "{\"n\":1}"),
            SourceLine.of(
                "export hour 2024-05-01T09", "123/123_2024-05-01_9#1.json.gz", 1, "{\"n\":2}"),
            line("20240501T11", "20240501T11", 1, "{\"n\":3}"),
            line("20240501T12", "20240501T12", 1, "{\"n\":4}"),
            line("20240501T12", "20240501T12", 2, "{\"n\":5}"));
    PAssert.that(read.getDeadLetters()).empty();
    p.run().waitUntilFinish();

    for (FakeAmplitudeExportServer.Request r : server.requests()) {
      assertEquals(r.start, r.end, "one hour per request: " + r);
      assertEquals("/api/2/export", r.path);
      assertTrue(r.authorized);
    }
    assertEquals(
        List.of("20240501T09", "20240501T10", "20240501T11", "20240501T12"),
        server.servedHours().stream().sorted().collect(Collectors.toList()),
        "each hour served exactly once");
    assertEquals(4, server.requestCount("20240501T12"), "429, 503, 504, then 200");
    assertEquals(7, server.requests().size());
  }

  @Test
  void bodyCutShortOrTooSlowIsRetried(TestPipeline p) {
    server.putHour("20240501T09", zip("20240501T09", "{\"n\":1}"));
    server.putHour("20240501T10", zip("20240501T10", "{\"n\":2}"));
    server.dropNext("20240501T09");
    server.stallNext("20240501T10", Duration.ofSeconds(3));

    JsonLineFiles.LineRead read =
        p.apply(read(2).withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(300)));

    PAssert.that(read.getLines())
        .containsInAnyOrder(
            line("20240501T09", "20240501T09", 1, "{\"n\":1}"),
            line("20240501T10", "20240501T10", 1, "{\"n\":2}"));
    p.run().waitUntilFinish();
    assertEquals(2, server.requestCount("20240501T09"));
    assertEquals(2, server.requestCount("20240501T10"));
  }

  @Test
  void hourOverFourGigabytesFailsNamingTheHour(TestPipeline p) {
    server.putHour("20240501T09", zip("20240501T09", "{\"n\":1}"));
    server.failAlways("20240501T10", 400);
    p.apply(read(2));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    AmplitudeExportException cause = (AmplitudeExportException) e.getCause();
    assertEquals(400, cause.status());
    assertTrue(
        cause.getMessage().startsWith("Amplitude Export API answered 400 for hour 2024-05-01T10:"),
        cause.getMessage());
    assertTrue(cause.getMessage().contains("over Amplitude's 4 GB limit"), cause.getMessage());
    assertEquals(1, server.requestCount("20240501T10"), "not retried");
  }

  @Test
  void wrongKeysFailWithTheFlagsAndWithoutTheKeys(TestPipeline p) {
    server.putHour("20240501T09", zip("20240501T09", "{\"n\":1}"));
    p.apply(
        AmplitudeIO.readExport()
            .withBaseUrl(server.baseUrl())
            .withCredentials("wrong-api-key-77", "wrong-secret-88")
            .withRange(NINE, NINE.plus(Duration.ofHours(1))));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    AmplitudeExportException cause = (AmplitudeExportException) e.getCause();
    assertEquals(401, cause.status());
    assertTrue(
        cause
            .getMessage()
            .startsWith(
                "Amplitude Export API refused the keys (HTTP 401) for hour"
                    + " 2024-05-01T09: check --amplitudeApiKey / --amplitudeSecretKey"),
        cause.getMessage());
    for (String secret : List.of("wrong-api-key-77", "wrong-secret-88", API_KEY, SECRET)) {
      assertFalse(e.toString().contains(secret));
      assertFalse(String.valueOf(p.toString()).contains(secret));
    }
    assertEquals(1, server.requests().size());
    assertFalse(server.requests().get(0).authorized);
  }

  @Test
  void retriesRunOutWithAClearMessage(TestPipeline p) {
    server.failAlways("20240501T09", 503);
    p.apply(read(1));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertEquals(
        "Amplitude Export API: gave up on hour 2024-05-01T09 after 5 attempts; last problem:"
            + " HTTP 503",
        e.getCause().getMessage());
    assertEquals(5, server.requestCount("20240501T09"));
  }

  @Test
  void downloadCacheServesASecondRunWithoutRequests(TestPipeline first) throws IOException {
    server.putHour("20240501T09", zip("20240501T09", "{\"n\":1}"));
    server.putHour("20240501T11", zip("20240501T11", "{\"n\":3}"));
    String cache = dir.resolve("cache").toString();
    List<SourceLine> expected =
        List.of(
            line("20240501T09", "20240501T09", 1, "{\"n\":1}"),
            line("20240501T11", "20240501T11", 1, "{\"n\":3}"));

    PAssert.that(first.apply(read(3).withDownloadCache(cache)).getLines())
        .containsInAnyOrder(expected);
    first.run().waitUntilFinish();
    assertEquals(3, server.requests().size());
    try (Stream<Path> files = Files.list(Path.of(cache))) {
      assertEquals(
          List.of("20240501T09.zip", "20240501T10.empty", "20240501T11.zip"),
          files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList()),
          "no temporary files left");
    }

    // A second, independent run (a plain pipeline: the extension provides one per test).
    Pipeline second = Pipeline.create();
    PAssert.that(second.apply(read(4).withDownloadCache(cache)).getLines())
        .containsInAnyOrder(expected);
    second.run().waitUntilFinish();
    assertEquals(4, server.requests().size(), "only the uncached hour 12 was requested");
    assertEquals("20240501T12", server.requests().get(3).start);
  }

  @Test
  void configurationIsCheckedWhereItIsSet(TestPipeline p) {
    p.enableAbandonedNodeEnforcement(false);
    assertEquals(
        "region must be us or eu, but was mars",
        assertThrows(
                IllegalArgumentException.class, () -> AmplitudeIO.readExport().withRegion("mars"))
            .getMessage());
    assertEquals(
        "start must be a whole UTC hour, but was 2024-05-01T09:30:00Z",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    AmplitudeIO.readExport()
                        .withRange(NINE.plusSeconds(1800), NINE.plusSeconds(7200)))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> p.apply(AmplitudeIO.readExport().withRange(NINE, NINE.plusSeconds(3600))))
            .getMessage()
            .contains("--amplitudeApiKey"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> p.apply(AmplitudeIO.readExport().withCredentials("a", "b")))
            .getMessage()
            .contains("--startDate / --endDate"));
    assertEquals(
        "maxConcurrentDownloads must be > 0, but was 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> AmplitudeIO.readExport().withMaxConcurrentDownloads(0))
            .getMessage());
  }
}
