package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeAmplitudeExportServerTest {
  private final FakeAmplitudeExportServer server = FakeAmplitudeExportServer.start("k", "s");
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<byte[]> get(String query, String user, String password) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/2/export?" + query));
    if (user != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesHoursAsZipsAndEmptyHoursAs404() throws Exception {
    byte[] zip = new AmplitudeExportZipBuilder("9").file("20240501T03", 0, List.of("{}")).build();
    server.putHour("20240501T03", zip);
    HttpResponse<byte[]> ok = get("start=20240501T03&end=20240501T03", "k", "s");
    assertEquals(200, ok.statusCode());
    assertEquals("application/zip", ok.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(zip, ok.body());
    assertEquals(404, get("start=20240501T04&end=20240501T04", "k", "s").statusCode());
    assertEquals(List.of("20240501T03", "20240501T04"), server.servedHours());
  }

  @Test
  void refusesWrongOrMissingKeysAndMultiHourRanges() throws Exception {
    assertEquals(401, get("start=20240501T03&end=20240501T03", null, null).statusCode());
    assertEquals(401, get("start=20240501T03&end=20240501T03", "k", "wrong").statusCode());
    assertEquals(400, get("start=20240501T03&end=20240501T04", "k", "s").statusCode());
    assertEquals(400, get("start=2024-05-01&end=2024-05-01", "k", "s").statusCode());
    List<FakeAmplitudeExportServer.Request> r = server.requests();
    assertEquals(4, r.size());
    assertFalse(r.get(0).authorized);
    assertFalse(r.get(1).authorized);
    assertTrue(r.get(2).authorized);
    assertEquals("20240501T04", r.get(2).end);
    assertEquals(List.of(), server.servedHours());
  }

  @Test
  void scriptedFailuresComeInOrderThenTheData() throws Exception {
    server.putHour("20240501T05", new AmplitudeExportZipBuilder("9").build());
    server.failNext("20240501T05", 429, "7").failNext("20240501T05", 503, null);
    server.failAlways("20240501T06", 400);
    server.failRequest(6, 504, null);
    HttpResponse<byte[]> first = get("start=20240501T05&end=20240501T05", "k", "s");
    assertEquals(429, first.statusCode());
    assertEquals("7", first.headers().firstValue("Retry-After").orElse(""));
    assertEquals(503, get("start=20240501T05&end=20240501T05", "k", "s").statusCode());
    assertEquals(200, get("start=20240501T05&end=20240501T05", "k", "s").statusCode());
    assertEquals(400, get("start=20240501T06&end=20240501T06", "k", "s").statusCode());
    assertEquals(400, get("start=20240501T06&end=20240501T06", "k", "s").statusCode());
    assertEquals(504, get("start=20240501T05&end=20240501T05", "k", "s").statusCode());
    assertEquals(200, get("start=20240501T05&end=20240501T05", "k", "s").statusCode());
    assertEquals(
        List.of(429, 503, 200, 400, 400, 504, 200),
        server.requests().stream().map(r -> r.status).collect(Collectors.toList()));
    assertEquals(5, server.requestCount("20240501T05"));
  }

  @Test
  void droppedBodyIsShorterThanAnnounced() throws Exception {
    byte[] zip =
        new AmplitudeExportZipBuilder("9")
            .file("20240501T03", 0, List.of(AmplitudeExportZipBuilder.hugeValue(50_000)))
            .build();
    server.putHour("20240501T03", zip).dropNext("20240501T03");
    boolean shortOrFailed;
    try {
      shortOrFailed = get("start=20240501T03&end=20240501T03", "k", "s").body().length < zip.length;
    } catch (java.io.IOException e) {
      shortOrFailed = true;
    }
    assertTrue(shortOrFailed);
    assertArrayEquals(zip, get("start=20240501T03&end=20240501T03", "k", "s").body(), "once only");
  }
}
