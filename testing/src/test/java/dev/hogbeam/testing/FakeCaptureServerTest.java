package dev.hogbeam.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.GzipDetection;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakeCaptureServer.RequestRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCaptureServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "phc_testtoken123";
  private static final String U1 = "0190a7b8-0000-7000-8000-000000000001";
  private static final String U2 = "0190a7b8-0000-7000-8000-000000000002";

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private FakeCaptureServer server = FakeCaptureServer.start();

  @AfterEach
  void stop() {
    server.close();
  }

  // --- helpers --------------------------------------------------------------------------------

  private static ObjectNode event(String uuid, String name, String distinctId) {
    ObjectNode e = JSON.createObjectNode();
    e.put("uuid", uuid);
    e.put("event", name);
    e.put("distinct_id", distinctId);
    e.put("timestamp", "2024-05-01T12:00:00.123456Z");
    e.putObject("properties").put("plan", "pro");
    return e;
  }

  private static ObjectNode batch(String token, boolean historical, ObjectNode... events) {
    ObjectNode b = JSON.createObjectNode();
    b.put("api_key", token);
    if (historical) {
      b.put("historical_migration", true);
    }
    ArrayNode arr = b.putArray("batch");
    for (ObjectNode e : events) {
      arr.add(e);
    }
    return b;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private HttpResponse<String> post(String pathAndQuery, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postJson(String path, Object json) throws Exception {
    return post(path, JSON.writeValueAsBytes(json), "Content-Type", "application/json");
  }

  private void assertRefused(int status, Object json) throws Exception {
    HttpResponse<String> r = postJson("/batch/", json);
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(0, server.acceptedEventCount());
    assertEquals(status, server.requests().get(server.requestCount() - 1).status());
  }

  // --- accepting and recording ----------------------------------------------------------------

  @Test
  void recordsAcceptedBatchWithRequestMetadata() throws Exception {
    ObjectNode b = batch(TOKEN, true, event(U1, "signup", "u1"), event(U2, "login", "u2"));
    b.put("sent_at", "2024-05-02T00:00:00Z");
    byte[] json = JSON.writeValueAsBytes(b);
    byte[] wire = gzip(json);

    HttpResponse<String> r = post("/batch/", wire, "Content-Encoding", "gzip");

    assertEquals(200, r.statusCode());
    assertEquals("{\"status\":1}", r.body());
    List<ReceivedEvent> events = server.events();
    assertEquals(2, events.size());
    ReceivedEvent first = events.get(0);
    assertEquals(U1, first.uuid());
    assertEquals("signup", first.event());
    assertEquals("u1", first.distinctId());
    assertEquals("2024-05-01T12:00:00.123456Z", first.timestamp());
    assertEquals("pro", first.properties().get("plan").asText());
    assertEquals(U2, events.get(1).uuid());
    assertEquals(1, events.get(1).indexInRequest());
    assertEquals(1, first.requestNumber());
    assertEquals("/batch/", first.path());
    assertTrue(first.historicalMigration());
    assertEquals("gzip", first.contentEncoding());
    assertEquals(GzipDetection.HEADER, first.gzip());
    assertEquals(wire.length, first.wireBytes());
    assertEquals(json.length, first.decompressedBytes());
    assertEquals(TOKEN, first.token());
    assertEquals("2024-05-02T00:00:00Z", first.sentAt());
    RequestRecord req = server.requests().get(0);
    assertEquals(200, req.status());
    assertEquals("batch", req.shape());
    assertEquals(2, req.eventsInRequest());
    assertEquals(2, req.eventsAccepted());
    assertNull(req.fault());
    assertFalse(req.toString().contains(TOKEN), "the request's toString leaves the token out");
  }

  @Test
  void acceptsTokenAliasAndTrimsIt() throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("token", "  " + TOKEN + "\n");
    b.putArray("batch").add(event(U1, "e", "u"));
    assertEquals(200, postJson("/batch", b).statusCode());
    assertEquals(TOKEN, server.events().get(0).token());
    assertEquals("/batch", server.events().get(0).path());
    assertFalse(server.events().get(0).historicalMigration());
    assertNull(server.events().get(0).sentAt());
  }

  @Test
  void acceptsEventRoutesInEveryShapeWithoutHistoricalMigration() throws Exception {
    ObjectNode single = event(U1, "one", "u1");
    single.put("api_key", TOKEN);
    single.put("historical_migration", true); // not read from an event
    ArrayNode array = JSON.createArrayNode();
    ObjectNode inArray = event(U2, "two", "u2");
    inArray.put("token", TOKEN);
    array.add(inArray);
    ObjectNode viaProperties = event("", "three", "u3");
    ((ObjectNode) viaProperties.get("properties")).put("token", TOKEN);

    for (String path :
        List.of(
            "/e/",
            "/e",
            "/capture/",
            "/capture",
            "/i/v0/e/",
            "/i/v0/e",
            "/track/",
            "/track",
            "/engage/",
            "/engage")) {
      assertEquals(200, postJson(path, single).statusCode(), path);
    }
    assertEquals(200, postJson("/i/v0/e/", array).statusCode());
    assertEquals(200, postJson("/capture/", viaProperties).statusCode());
    ObjectNode batchOnEventRoute = batch(TOKEN, true, event(U1, "four", "u4"));
    assertEquals(200, postJson("/e/", batchOnEventRoute).statusCode());

    List<ReceivedEvent> events = server.events();
    assertEquals(13, events.size());
    for (int i = 0; i < 12; i++) {
      assertFalse(events.get(i).historicalMigration(), "only the batch object carries the flag");
    }
    assertEquals("single", events.get(0).request().shape());
    assertEquals("array", events.get(10).request().shape());
    assertNull(events.get(11).uuid(), "an empty uuid is no uuid");
    assertEquals(TOKEN, events.get(11).token());
    assertTrue(events.get(12).historicalMigration());
    assertEquals(404, postJson("/s/", single).statusCode());
    assertEquals(404, postJson("/api/event", single).statusCode());
  }

  @Test
  void engageWithoutEventNameIsIdentify() throws Exception {
    ObjectNode e = JSON.createObjectNode();
    e.put("api_key", TOKEN);
    e.put("distinct_id", "u1");
    e.putObject("$set").put("email", "a@b.c");
    assertEquals(200, postJson("/engage/", e).statusCode());
    assertEquals("$identify", server.events().get(0).event());
    assertEquals(400, postJson("/capture/", e).statusCode(), "other routes need a name");
  }

  @Test
  void stringifiesNumericDistinctIdsAndTruncatesTo200Characters() throws Exception {
    ObjectNode numeric = event(U1, "e", "x");
    numeric.put("distinct_id", 23);
    ObjectNode decimal = event(U2, "e", "x");
    decimal.put("distinct_id", 23.5);
    ObjectNode longId = event("0190a7b8-0000-7000-8000-000000000003", "e", "é".repeat(250));
    ObjectNode fromProperties = event("0190a7b8-0000-7000-8000-000000000004", "e", "x");
    fromProperties.remove("distinct_id");
    ((ObjectNode) fromProperties.get("properties")).put("distinct_id", "from-props");
    assertEquals(
        200,
        postJson("/batch/", batch(TOKEN, true, numeric, decimal, longId, fromProperties))
            .statusCode());
    List<ReceivedEvent> events = server.events();
    assertEquals("23", events.get(0).distinctId());
    assertEquals("23.5", events.get(1).distinctId());
    assertEquals("é".repeat(200), events.get(2).distinctId());
    assertEquals("from-props", events.get(3).distinctId());
  }

  // --- compression ----------------------------------------------------------------------------

  @Test
  void recognisesGzipByHeaderQueryAndMagicBytes() throws Exception {
    byte[] json = JSON.writeValueAsBytes(batch(TOKEN, true, event(U1, "e", "u")));
    byte[] gz = gzip(json);

    assertEquals(200, post("/batch/", gz, "Content-Encoding", "gzip").statusCode());
    assertEquals(200, post("/batch/?compression=gzip", gz).statusCode());
    assertEquals(200, post("/batch/?compression=gzip-js&ver=1.0", gz).statusCode());
    assertEquals(200, post("/batch/", gz).statusCode());
    assertEquals(200, post("/batch/", json).statusCode());

    List<RequestRecord> reqs = server.requests();
    assertEquals(GzipDetection.HEADER, reqs.get(0).gzip());
    assertEquals(GzipDetection.QUERY, reqs.get(1).gzip());
    assertEquals(GzipDetection.QUERY, reqs.get(2).gzip());
    assertEquals(GzipDetection.MAGIC, reqs.get(3).gzip());
    assertNull(reqs.get(3).contentEncoding());
    assertEquals(GzipDetection.NONE, reqs.get(4).gzip());
    assertEquals(json.length, reqs.get(3).decompressedBytes());
    assertEquals(gz.length, reqs.get(3).wireBytes());
    assertEquals(5, server.acceptedEventCount());
  }

  @Test
  void refusesEncodingsItDoesNotUnderstandAndBrokenGzip() throws Exception {
    byte[] json = JSON.writeValueAsBytes(batch(TOKEN, true, event(U1, "e", "u")));
    ByteArrayOutputStream deflated = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(deflated, new Deflater(6))) {
      d.write(json);
    }
    assertEquals(
        400, post("/batch/", deflated.toByteArray(), "Content-Encoding", "deflate").statusCode());
    byte[] notBrotli = {(byte) 0x8b, 0x02, (byte) 0x80, 0x7b, 0x22, 0x03};
    assertEquals(400, post("/batch/", notBrotli, "Content-Encoding", "br").statusCode());
    byte[] zstdMagic = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0x00, 0x58};
    assertEquals(400, post("/batch/", zstdMagic, "Content-Encoding", "zstd").statusCode());
    HttpResponse<String> broken = post("/batch/", json, "Content-Encoding", "gzip");
    assertEquals(400, broken.statusCode());
    assertEquals("failed to decode request: invalid gzip data", broken.body());
    // capture ignores an encoding it does not know: plain JSON under such a header is accepted
    assertEquals(200, post("/batch/", json, "Content-Encoding", "br").statusCode());
    assertEquals(1, server.acceptedEventCount());
  }

  // --- tokens ---------------------------------------------------------------------------------

  @Test
  void refusesMissingAndMalformedTokensWith401() throws Exception {
    ObjectNode noToken = JSON.createObjectNode();
    noToken.putArray("batch").add(event(U1, "e", "u"));
    assertRefused(401, noToken);
    assertEquals("event submitted without an api_key", server.requests().get(0).message());

    for (String bad :
        List.of(
            "",
            "   ",
            "phx_personalkey123",
            "x".repeat(65),
            "phc_caf\u00e9",
            "phc_nul\u0000byte")) {
      assertRefused(401, batch(bad, true, event(U1, "e", "u")));
      assertTrue(
          server
              .requests()
              .get(server.requestCount() - 1)
              .message()
              .startsWith("API key is not valid: "));
    }
    List<String> reasons = new ArrayList<>();
    for (RequestRecord r : server.requests().subList(1, 7)) {
      reasons.add(r.message().substring("API key is not valid: ".length()));
    }
    assertEquals(
        List.of("empty", "empty", "personal_api_key", "too_long", "not_ascii", "null_byte"),
        reasons);
    assertEquals(
        200, postJson("/batch/", batch("x".repeat(64), true, event(U1, "e", "u"))).statusCode());
    assertEquals(
        200,
        postJson("/batch/", batch("any-well-formed-token", true, event(U2, "e", "u")))
            .statusCode());
  }

  @Test
  void refusesInconsistentEventTokens() throws Exception {
    ArrayNode array = JSON.createArrayNode();
    array.add(event(U1, "e", "u").put("token", "phc_a"));
    array.add(event(U2, "e", "u").put("token", "phc_b"));
    HttpResponse<String> r = postJson("/e/", array);
    assertEquals(401, r.statusCode());
    assertEquals("batch submitted with inconsistent api_key values", r.body());
  }

  @Test
  void knownTokensMakeTheFakeStricterThanPostHog() throws Exception {
    server.close();
    server = FakeCaptureServer.builder().knownTokens(Set.of(TOKEN)).start();
    assertRefused(401, batch("phc_wellformedbutunknown", true, event(U1, "e", "u")));
    assertEquals(200, postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u"))).statusCode());
  }

  // --- 400: the whole request ------------------------------------------------------------------

  @Test
  void refusesTheWholeRequestFor400Reasons() throws Exception {
    ObjectNode good = event(U1, "ok", "u");
    assertEquals(400, post("/batch/", "{not json".getBytes(UTF_8)).statusCode());
    assertEquals(400, post("/batch/", new byte[0]).statusCode());
    assertEquals(400, post("/batch/", "\"a string\"".getBytes(UTF_8)).statusCode());
    assertRefused(400, batch(TOKEN, true));
    assertEquals("request holds no event", server.requests().get(3).message());

    ObjectNode noName = event(U2, "x", "u");
    noName.remove("event");
    assertRefused(400, batch(TOKEN, true, good, noName));
    assertRefused(400, batch(TOKEN, true, good, event(U2, "", "u")));
    assertEquals("event submitted with an empty event name", server.requests().get(5).message());
    ObjectNode noDistinct = event(U2, "x", "u");
    noDistinct.remove("distinct_id");
    assertRefused(400, batch(TOKEN, true, good, noDistinct));
    assertEquals("event submitted without a distinct_id", server.requests().get(6).message());
    ObjectNode nullDistinct = event(U2, "x", "u");
    nullDistinct.putNull("distinct_id");
    assertRefused(400, batch(TOKEN, true, good, nullDistinct));
    assertRefused(400, batch(TOKEN, true, good, event(U2, "x", "")));
    assertRefused(400, batch(TOKEN, true, good, event("not-a-uuid", "x", "u")));
    assertTrue(server.requests().get(9).message().contains("invalid uuid"));
    assertRefused(
        400, batch(TOKEN, true, good, event("0190a7b8-0000-7000-8000-00000000000g", "x", "u")));
    ObjectNode arrayProps = event(U2, "x", "u");
    arrayProps.putArray("properties");
    assertRefused(400, batch(TOKEN, true, good, arrayProps));
    ObjectNode numericName = event(U2, "x", "u");
    numericName.put("event", 5);
    assertRefused(400, batch(TOKEN, true, good, numericName));
    ObjectNode stringFlag = batch(TOKEN, true, good);
    stringFlag.put("historical_migration", "true");
    assertRefused(400, stringFlag);
    assertEquals(0, server.events().size());
  }

  @Test
  void acceptsUuidFormsTheRustParserAccepts() throws Exception {
    ObjectNode simple = event("0190a7b8000070008000000000000001", "e", "u");
    ObjectNode braced = event("{" + U2 + "}", "e", "u");
    ObjectNode upper = event(U1.toUpperCase(), "e", "u");
    assertEquals(200, postJson("/batch/", batch(TOKEN, true, simple, braced, upper)).statusCode());
  }

  @Test
  void eventRuleRefusesTheWholeRequest() throws Exception {
    server.close();
    server =
        FakeCaptureServer.builder()
            .eventRule(e -> e.path("properties").has("forbidden") ? "forbidden property" : null)
            .start();
    ObjectNode bad = event(U2, "x", "u");
    ((ObjectNode) bad.get("properties")).put("forbidden", 1);
    HttpResponse<String> r = postJson("/batch/", batch(TOKEN, true, event(U1, "ok", "u"), bad));
    assertEquals(400, r.statusCode());
    assertEquals("forbidden property", r.body());
    assertEquals(0, server.acceptedEventCount());
  }

  // --- 413 ------------------------------------------------------------------------------------

  @Test
  void answers413OverTheBodyCap() throws Exception {
    server.close();
    server = FakeCaptureServer.builder().maxRequestBodyBytes(10_000).start();
    ObjectNode big = event(U1, "e", "u");
    ((ObjectNode) big.get("properties")).put("blob", "x".repeat(20_000));
    HttpResponse<String> r = postJson("/batch/", batch(TOKEN, true, big));
    assertEquals(413, r.statusCode());
    assertEquals(0, server.acceptedEventCount());
    // the same body compressed is under the cap
    byte[] gz = gzip(JSON.writeValueAsBytes(batch(TOKEN, true, big)));
    assertTrue(gz.length < 10_000);
    assertEquals(200, post("/batch/", gz, "Content-Encoding", "gzip").statusCode());
  }

  @Test
  void eventRoutesHaveTheSmaller2MbCap() throws Exception {
    ObjectNode e = event(U1, "e", "u").put("api_key", TOKEN);
    ((ObjectNode) e.get("properties")).put("blob", "x".repeat(900_000));
    ArrayNode three = JSON.createArrayNode().add(e).add(e).add(e);
    assertEquals(413, postJson("/e/", three).statusCode());
    assertEquals(200, postJson("/batch/", batch(TOKEN, true, e, e, e)).statusCode());
  }

  @Test
  void answers413OverTheDecompressedCap() throws Exception {
    server.close();
    server = FakeCaptureServer.builder().maxDecompressedBytes(50_000).start();
    List<ObjectNode> many = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      many.add(event(U1, "e", "u"));
    }
    byte[] json = JSON.writeValueAsBytes(batch(TOKEN, true, many.toArray(new ObjectNode[0])));
    assertTrue(json.length > 50_000);
    byte[] gz = gzip(json);
    assertTrue(gz.length < 50_000);
    assertEquals(413, post("/batch/", gz, "Content-Encoding", "gzip").statusCode());
    assertEquals(413, post("/batch/", json).statusCode());
  }

  @Test
  void answers413ForOneOversizeEvent() throws Exception {
    server.close();
    server = FakeCaptureServer.builder().maxEventBytes(2_000).start();
    ObjectNode big = event(U2, "e", "u");
    ((ObjectNode) big.get("properties")).put("blob", "x".repeat(2_000));
    HttpResponse<String> r = postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u"), big));
    assertEquals(413, r.statusCode());
    assertTrue(r.body().startsWith("maximum event size exceeded"), r.body());
    assertEquals(0, server.acceptedEventCount());
  }

  // --- faults ---------------------------------------------------------------------------------

  @Test
  void statusFaultsCarryRetryAfterAndRecordNothing() throws Exception {
    server.setFaultPlan(
        FaultPlan.byNumber(
            Map.of(
                1, Fault.tooManyRequests(7),
                2, Fault.unavailable(3),
                3, Fault.status(500),
                4, Fault.status(502),
                5, Fault.status(504),
                6, Fault.status(408),
                7, Fault.unauthorized())));
    ObjectNode b = batch(TOKEN, true, event(U1, "e", "u"));
    List<Integer> statuses = new ArrayList<>();
    List<String> retryAfter = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      HttpResponse<String> r = postJson("/batch/", b);
      statuses.add(r.statusCode());
      retryAfter.add(r.headers().firstValue("Retry-After").orElse("-"));
    }
    assertEquals(List.of(429, 503, 500, 502, 504, 408, 401, 200), statuses);
    assertEquals(List.of("7", "3", "-", "-", "-", "-", "-", "-"), retryAfter);
    assertEquals(1, server.acceptedEventCount());
    assertEquals(8, server.events().get(0).requestNumber());
    assertEquals("status 429 retry-after 7", server.requests().get(0).fault());
  }

  @Test
  void dropClosesTheConnectionWithoutAResponse() throws Exception {
    server.setFaultPlan(FaultPlan.onRequests(Fault.drop(), 1));
    ObjectNode b = batch(TOKEN, true, event(U1, "e", "u"));
    assertThrows(IOException.class, () -> postJson("/batch/", b));
    assertEquals(0, server.acceptedEventCount());
    assertEquals(0, server.requests().get(0).status());
    assertEquals("drop", server.requests().get(0).fault());
    // the server still works afterwards
    assertEquals(200, postJson("/batch/", b).statusCode());
    assertEquals(1, server.acceptedEventCount());
  }

  @Test
  void acceptThenFailRecordsTheEventsAndAnswersTheStatus() throws Exception {
    server.setFaultPlan(
        FaultPlan.byNumber(Map.of(1, Fault.acceptThen(503), 2, Fault.acceptFirstThen(1, 503))));
    ObjectNode b = batch(TOKEN, true, event(U1, "e", "u"), event(U2, "e", "u"));
    assertEquals(503, postJson("/batch/", b).statusCode());
    assertEquals(503, postJson("/batch/", b).statusCode());
    assertEquals(List.of(U1, U2, U1), server.uuids());
    assertEquals(2, server.requests().get(0).eventsAccepted());
    assertEquals(1, server.requests().get(1).eventsAccepted());
    assertEquals(503, server.requests().get(1).status());
    // a request that would be refused anyway records nothing
    server.setFaultPlan(FaultPlan.always(Fault.acceptThen(503)));
    assertEquals(400, postJson("/batch/", batch(TOKEN, true)).statusCode());
    assertEquals(3, server.acceptedEventCount());
  }

  @Test
  void delayAnswersNormallyAfterTheDelay() throws Exception {
    server.setFaultPlan(FaultPlan.onRequests(Fault.delay(Duration.ofMillis(300)), 1));
    long start = System.nanoTime();
    assertEquals(200, postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u"))).statusCode());
    assertTrue(System.nanoTime() - start >= 300_000_000L);
    assertEquals("delay 300ms", server.requests().get(0).fault());
    assertEquals(1, server.acceptedEventCount());
  }

  @Test
  void acceptThenDelayRecordsTheEventsBeforeTheClientHearsBack() throws Exception {
    server.setFaultPlan(FaultPlan.onRequests(Fault.acceptThenDelay(Duration.ofSeconds(3)), 1));
    java.util.concurrent.CompletableFuture<Integer> status =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u"))).statusCode();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (server.acceptedEventCount() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(1, server.acceptedEventCount(), "recorded while the answer is still pending");
    assertFalse(status.isDone());
    assertEquals("accept then delay 3000ms", server.requests().get(0).fault());
  }

  @Test
  void randomPlanIsReproducibleAndHitsAboutTheGivenShare() {
    FaultPlan a = FaultPlan.random(42, 0.3, Fault.unavailable(1), Fault.tooManyRequests(1));
    FaultPlan b = FaultPlan.random(42, 0.3, Fault.unavailable(1), Fault.tooManyRequests(1));
    int faults = 0;
    for (int n = 1; n <= 1000; n++) {
      Fault fa = a.faultFor(n, "/batch/");
      assertEquals(fa.toString(), b.faultFor(n, "/batch/").toString());
      if (!fa.toString().equals("none")) {
        faults++;
      }
    }
    assertTrue(faults > 240 && faults < 360, "faults: " + faults);
    assertEquals("none", a.batchOnly().faultFor(3, "/e/").toString());
  }

  // --- modes, concurrency ---------------------------------------------------------------------

  @Test
  void countingOnlyModeKeepsCountsNotEvents() throws Exception {
    server.close();
    server = FakeCaptureServer.builder().countingOnly(true).start();
    assertEquals(
        200,
        postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u"), event(U2, "e", "u")))
            .statusCode());
    assertEquals(2, server.acceptedEventCount());
    assertTrue(server.events().isEmpty());
    assertEquals(1, server.requestCount());
    assertEquals(2, server.requests().get(0).eventsAccepted());
  }

  @Test
  void resetForgetsEverythingAndRestartsNumbering() throws Exception {
    postJson("/batch/", batch(TOKEN, true, event(U1, "e", "u")));
    server.reset();
    assertEquals(0, server.acceptedEventCount());
    assertEquals(0, server.requestCount());
    postJson("/batch/", batch(TOKEN, true, event(U2, "e", "u")));
    assertEquals(1, server.events().get(0).requestNumber());
    assertEquals(Map.of(200, 1), server.statusCounts());
  }

  @Test
  void servesConcurrentClients() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        for (int i = 0; i < 10; i++) {
          String uuid = String.format("0190a7b8-0000-7000-8000-%012d", t * 100 + i);
          results.add(
              pool.submit(
                  () ->
                      postJson("/batch/", batch(TOKEN, true, event(uuid, "e", "u"))).statusCode()));
        }
      }
      for (Future<Integer> f : results) {
        assertEquals(200, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(80, server.acceptedEventCount());
    assertEquals(80, Set.copyOf(server.uuids()).size());
    List<Integer> numbers = new ArrayList<>();
    for (RequestRecord r : server.requests()) {
      numbers.add(r.number());
    }
    assertEquals(80, Set.copyOf(numbers).size());
  }
}
