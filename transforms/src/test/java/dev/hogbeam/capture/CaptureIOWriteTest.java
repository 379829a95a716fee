package dev.hogbeam.capture;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.GzipDetection;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakeCaptureServer.RequestRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class CaptureIOWriteTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "phc_capturewritetest0123";
  private static final long T0 = 1_714_560_000_000_000L;

  /** What the DoFns of a test saw, by test id (the DoFns are serialized copies). */
  private static final Map<String, List<Object>> SEEN = new ConcurrentHashMap<>();

  private static FakeCaptureServer server;
  private final String testId = UUID.randomUUID().toString();

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
    SEEN.remove(testId);
  }

  // --- helpers --------------------------------------------------------------------------------

  private static String uuid(int group, int i) {
    return String.format("%08x-0000-7000-8000-%012x", group, i);
  }

  /** {@code n} events of group {@code g} in send order; properties name the group and index. */
  private static List<CaptureEvent> events(int g, int n) {
    List<CaptureEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          event(
              g,
              i,
              "{\"group\":\"g"
                  + g
                  + "\",\"i\":"
                  + i
                  + ",\"$current_url\":\"https://example.com/p/"
                  + (i % 13)
                  + "\"}"));
    }
    return out;
  }

  private static CaptureEvent event(int g, int i, String properties) {
    return CaptureEvent.of(uuid(g, i), "$pageview", "user-" + (i % 7), T0 + i * 1000L, properties);
  }

  private static PCollection<KV<String, Iterable<CaptureEvent>>> input(
      Pipeline p, Map<String, List<CaptureEvent>> groups) {
    List<KV<String, Iterable<CaptureEvent>>> kvs = new ArrayList<>();
    groups.forEach((k, v) -> kvs.add(KV.of(k, v)));
    return p.apply(
        "Groups",
        Create.of(kvs)
            .withCoder(KvCoder.of(StringUtf8Coder.of(), IterableCoder.of(CaptureEventCoder.of()))));
  }

  private static CaptureIO.Write writer() {
    return CaptureIO.write()
        .withHost(server.url())
        .withApiKey(KEY)
        .withBackoff(Duration.ofMillis(1), Duration.ofMillis(20));
  }

  /** Keeps every stats element in {@link #SEEN} under the test's id. */
  private static final class Keep<T> extends DoFn<T, Void> {
    private final String id;

    Keep(String id) {
      this.id = id;
    }

    @ProcessElement
    public void process(@Element T element) {
      SEEN.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(element);
    }
  }

  private Map<String, GroupSendStats> keptStats() {
    Map<String, GroupSendStats> out = new TreeMap<>();
    for (Object o : SEEN.getOrDefault(testId, List.of())) {
      if (!(o instanceof KV)) {
        continue;
      }
      @SuppressWarnings("unchecked")
      KV<String, GroupSendStats> kv = (KV<String, GroupSendStats>) o;
      out.put(kv.getKey(), kv.getValue());
    }
    return out;
  }

  private void keepStats(WriteResult result) {
    result.getStats().apply("Keep stats", ParDo.of(new Keep<>(testId)));
  }

  /** The uuids the server accepted for each group, in arrival order. */
  private static Map<String, List<String>> receivedByGroup() {
    Map<String, List<String>> out = new TreeMap<>();
    for (ReceivedEvent e : server.events()) {
      out.computeIfAbsent(e.properties().get("group").asText(), k -> new ArrayList<>())
          .add(e.uuid());
    }
    return out;
  }

  private static List<String> uuids(List<CaptureEvent> events) {
    return events.stream().map(CaptureEvent::uuid).collect(Collectors.toList());
  }

  /** The requests that carried events of each group (every request holds one group's events). */
  private static Map<String, List<RequestRecord>> acceptedRequestsByGroup() {
    Map<String, List<RequestRecord>> out = new TreeMap<>();
    Set<Integer> seen = new java.util.HashSet<>();
    for (ReceivedEvent e : server.events()) {
      if (seen.add(e.requestNumber())) {
        out.computeIfAbsent(e.properties().get("group").asText(), k -> new ArrayList<>())
            .add(e.request());
      }
    }
    return out;
  }

  private static void assertEnvelope(RequestRecord r, int maxEvents, long maxJsonBytes) {
    assertEquals("/batch/", r.path(), r.toString());
    assertEquals("POST", r.method());
    assertEquals("gzip", r.contentEncoding(), r.toString());
    assertEquals(GzipDetection.HEADER, r.gzip());
    assertEquals("batch", r.shape());
    assertTrue(r.historicalMigration(), r.toString());
    assertNull(r.sentAt(), "no sent_at: PostHog keeps the events' timestamps");
    assertEquals(KEY, r.token());
    assertTrue(r.eventsInRequest() <= maxEvents, r.toString());
    assertTrue(r.decompressedBytes() <= maxJsonBytes, r.toString());
    assertTrue(r.wireBytes() < r.decompressedBytes(), "gzip made it smaller: " + r);
  }

  // --- delivery -------------------------------------------------------------------------------

  @Test
  void deliversEveryEventOnceInOrderPerGroupWithExactStats(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    Map<String, List<CaptureEvent>> groups = new LinkedHashMap<>();
    groups.put("g1", events(1, 1234));
    groups.put("g2", events(2, 17));
    groups.put("g3", events(3, 500));
    WriteResult result = input(pipeline, groups).apply(writer().withBatchSize(100));
    keepStats(result);
    PAssert.that(result.getDeadLetters()).empty();
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    Map<String, List<String>> received = receivedByGroup();
    assertEquals(uuids(groups.get("g1")), received.get("g1"));
    assertEquals(uuids(groups.get("g2")), received.get("g2"));
    assertEquals(uuids(groups.get("g3")), received.get("g3"));
    assertEquals(13 + 1 + 5, server.requestCount());
    Map<String, List<RequestRecord>> requests = acceptedRequestsByGroup();
    Map<String, GroupSendStats> stats = keptStats();
    for (String g : groups.keySet()) {
      long wire = 0;
      long json = 0;
      for (RequestRecord r : requests.get(g)) {
        assertEnvelope(r, 100, 5L * 1024 * 1024);
        assertEquals(200, r.status());
        wire += r.wireBytes();
        json += r.decompressedBytes();
      }
      int n = groups.get(g).size();
      int batches = (n + 99) / 100;
      assertEquals(
          new GroupSendStats(n, batches, batches, wire, json, Map.of(), 0, 0, 0, 0),
          stats.get(g),
          g);
    }
    MetricQueryResults metrics =
        run.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(GroupSender.class, "eventsSent"))
                    .build());
    assertEquals(1751L, metrics.getCounters().iterator().next().getCommitted());
  }

  @Test
  void theStatsOfAnOrderedGroupCarryTheDuplicatesTheOrderingDropped(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    List<CaptureEvent> g1 = events(1, 30);
    List<CaptureEvent> g2 = events(2, 12);
    List<KV<String, CaptureEvent>> input = new ArrayList<>();
    g1.forEach(e -> input.add(KV.of("g1", e)));
    g2.forEach(e -> input.add(KV.of("g2", e)));
    // Copies of three events of g1 (one of them twice), as ClickHouse keeps before it merges.
    for (int i : new int[] {4, 17, 17, 29}) {
      input.add(KV.of("g1", event(1, i, "{\"group\":\"g1\",\"copy\":true}")));
    }
    WriteResult result =
        pipeline
            .apply(
                "Events",
                Create.of(input)
                    .withCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of())))
            .apply("Order", OrderEvents.create())
            .apply(writer().withBatchSize(10));
    keepStats(result);
    pipeline.run().waitUntilFinish();

    assertEquals(30, receivedByGroup().get("g1").size(), "each event of g1 once");
    assertEquals(Set.copyOf(uuids(g1)), Set.copyOf(receivedByGroup().get("g1")));
    assertEquals(uuids(g2), receivedByGroup().get("g2"));
    Map<String, GroupSendStats> stats = keptStats();
    assertEquals(4, stats.get("g1").duplicatesDropped());
    assertEquals(30, stats.get("g1").eventsSent());
    assertEquals(0, stats.get("g2").duplicatesDropped());
    assertEquals(12, stats.get("g2").eventsSent());
  }

  @Test
  void retriesServerErrorsAndThrottlingWithoutLossOrDuplicates(TestPipeline pipeline) {
    server =
        FakeCaptureServer.builder()
            .faultPlan(
                FaultPlan.random(
                    7,
                    0.3,
                    Fault.unavailable(0),
                    Fault.tooManyRequests(0),
                    Fault.status(500),
                    Fault.status(502),
                    Fault.status(504),
                    Fault.status(408)))
            .start();
    Map<String, List<CaptureEvent>> groups = new LinkedHashMap<>();
    for (int g = 1; g <= 4; g++) {
      groups.put("g" + g, events(g, 300));
    }
    WriteResult result =
        input(pipeline, groups).apply(writer().withBatchSize(25).withMaxAttempts(30));
    keepStats(result);
    PAssert.that(result.getDeadLetters()).empty();
    pipeline.run().waitUntilFinish();

    Map<String, List<String>> received = receivedByGroup();
    for (String g : groups.keySet()) {
      assertEquals(uuids(groups.get(g)), received.get(g), g);
    }
    Map<Integer, Integer> statuses = server.statusCounts();
    assertEquals(48, statuses.get(200));
    Map<Integer, Long> retried = new TreeMap<>();
    long requests = 0;
    for (GroupSendStats s : keptStats().values()) {
      s.retriesByStatus().forEach((k, v) -> retried.merge(k, v, Long::sum));
      requests += s.requests();
      assertEquals(300, s.eventsSent());
    }
    Map<Integer, Long> faulted = new TreeMap<>();
    statuses.forEach(
        (k, v) -> {
          if (k != 200) {
            faulted.put(k, (long) v);
          }
        });
    assertFalse(faulted.isEmpty(), "the plan injected faults");
    assertEquals(faulted, retried, "every faulted request was retried once, counted by status");
    assertEquals(server.requestCount(), requests);
  }

  @Test
  void retriesDroppedConnections(TestPipeline pipeline) {
    server =
        FakeCaptureServer.builder()
            .faultPlan((n, path) -> n % 3 == 0 ? Fault.drop() : Fault.none())
            .start();
    Map<String, List<CaptureEvent>> groups = Map.of("g1", events(1, 200), "g2", events(2, 200));
    WriteResult result = input(pipeline, groups).apply(writer().withBatchSize(20));
    keepStats(result);
    pipeline.run().waitUntilFinish();

    assertEquals(uuids(groups.get("g1")), receivedByGroup().get("g1"));
    assertEquals(uuids(groups.get("g2")), receivedByGroup().get("g2"));
    long drops = server.statusCounts().get(0);
    assertTrue(drops >= 9, "drops: " + drops);
    long retriedNoResponse = 0;
    for (GroupSendStats s : keptStats().values()) {
      retriedNoResponse += s.retriesByStatus().getOrDefault(GroupSendStats.NO_RESPONSE, 0L);
    }
    assertEquals(drops, retriedNoResponse);
  }

  @Test
  void acceptThen503DuplicatesExactlyTheEventsOfThatRequest(TestPipeline pipeline) {
    server =
        FakeCaptureServer.builder()
            .faultPlan(
                FaultPlan.byNumber(
                    Map.of(2, Fault.acceptThen(503), 5, Fault.acceptFirstThen(7, 503))))
            .start();
    List<CaptureEvent> events = events(1, 200);
    input(pipeline, Map.of("g1", events)).apply(writer().withBatchSize(20));
    pipeline.run().waitUntilFinish();

    List<String> received = receivedByGroup().get("g1");
    List<RequestRecord> faulted =
        server.requests().stream().filter(r -> r.status() == 503).collect(Collectors.toList());
    assertEquals(2, faulted.size());
    assertEquals(20, faulted.get(0).eventsAccepted());
    assertEquals(7, faulted.get(1).eventsAccepted());
    assertEquals(200 + 27, received.size(), "exactly the accepted-then-failed events twice");
    // batch 2 (events 20-39) arrived twice whole; of batch 4 (events 60-79) the first 7 twice
    List<String> withDuplicates = new ArrayList<>(uuids(events.subList(0, 20)));
    withDuplicates.addAll(uuids(events.subList(20, 40))); // accepted, then 503
    withDuplicates.addAll(uuids(events.subList(20, 60))); // retried, then batch 3
    withDuplicates.addAll(uuids(events.subList(60, 67))); // accepted 7, then 503
    withDuplicates.addAll(uuids(events.subList(60, 200)));
    assertEquals(withDuplicates, received);
  }

  // --- refusals -------------------------------------------------------------------------------

  @Test
  void deadLettersTheEventPostHogRefusesAndDeliversTheRestInOrder(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    List<CaptureEvent> events = events(1, 16);
    // properties that are not an object: the writer does not parse properties, PostHog refuses
    CaptureEvent bad = event(1, 11, "[\"not\",\"an\",\"object\"]");
    events.set(11, bad);
    WriteResult result = input(pipeline, Map.of("g1", events)).apply(writer().withBatchSize(16));
    keepStats(result);
    PAssert.that(result.getDeadLetters())
        .containsInAnyOrder(
            DeadLetter.of(
                "capture",
                "g1",
                bad.uuid(),
                bad.toJson(),
                400,
                "PostHog refused the event (HTTP 400: failed to parse request: invalid type for"
                    + " `properties`: expected a map)",
                5));
    pipeline.run().waitUntilFinish();

    List<CaptureEvent> delivered = new ArrayList<>(events);
    delivered.remove(11);
    List<String> received = new ArrayList<>();
    for (ReceivedEvent e : server.events()) {
      received.add(e.uuid());
    }
    assertEquals(uuids(delivered), received);
    // [0,16) 400, [0,8) ok, [8,16) 400, [8,12) 400, [8,10) ok, [10,12) 400, [10] ok, [11] 400,
    // [12,16) ok
    List<Integer> sizes = new ArrayList<>();
    List<Integer> statuses = new ArrayList<>();
    for (RequestRecord r : server.requests()) {
      sizes.add(r.eventsInRequest());
      statuses.add(r.status());
    }
    assertEquals(List.of(16, 8, 8, 4, 2, 2, 1, 1, 4), sizes);
    assertEquals(List.of(400, 200, 400, 400, 200, 400, 200, 400, 200), statuses);
    GroupSendStats s = keptStats().get("g1");
    assertEquals(15, s.eventsSent());
    assertEquals(1, s.deadLettered());
    assertEquals(1, s.batches());
    assertEquals(9, s.requests());
    assertEquals(0, s.retries());
  }

  @Test
  void splitsOn413AndDeadLettersASingleOversizeEvent(TestPipeline pipeline) {
    server = FakeCaptureServer.builder().maxDecompressedBytes(6_000).maxEventBytes(4_000).start();
    List<CaptureEvent> events = events(1, 120);
    CaptureEvent big = event(1, 77, "{\"group\":\"g1\",\"blob\":\"" + "x".repeat(5_000) + "\"}");
    events.set(77, big);
    WriteResult result = input(pipeline, Map.of("g1", events)).apply(writer().withBatchSize(60));
    keepStats(result);
    PAssert.that(result.getDeadLetters())
        .satisfies(
            dls -> {
              List<DeadLetter> list = new ArrayList<>();
              dls.forEach(list::add);
              assertEquals(1, list.size());
              DeadLetter d = list.get(0);
              assertEquals(big.uuid(), d.uuid());
              assertEquals(413, d.status());
              assertEquals(big.toJson(), d.payload());
              assertTrue(
                  d.reason()
                      .startsWith(
                          "PostHog refused the event as too large (HTTP 413: maximum event size exceeded"),
                  d.reason());
              return null;
            });
    pipeline.run().waitUntilFinish();

    List<CaptureEvent> delivered = new ArrayList<>(events);
    delivered.remove(77);
    assertEquals(uuids(delivered), receivedByGroup().get("g1"));
    assertTrue(server.statusCounts().get(413) >= 3, "batches were split: " + server.statusCounts());
    for (RequestRecord r : server.requests()) {
      if (r.status() == 200) {
        assertTrue(r.decompressedBytes() <= 6_000, r.toString());
      }
    }
    GroupSendStats s = keptStats().get("g1");
    assertEquals(119, s.eventsSent());
    assertEquals(1, s.deadLettered());
    assertEquals(2, s.batches());
  }

  @Test
  void deadLettersKnownBadEventsWithoutARequest(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    CaptureEvent noName = CaptureEvent.of(uuid(1, 0), "", "u", T0, "{\"group\":\"g1\"}");
    CaptureEvent noDistinctId = CaptureEvent.of(uuid(1, 1), "e", "", T0 + 1, "{\"group\":\"g1\"}");
    CaptureEvent tooBig =
        CaptureEvent.of(
            uuid(1, 2), "e", "u", T0 + 2, "{\"group\":\"g1\",\"b\":\"" + "y".repeat(2_000) + "\"}");
    List<CaptureEvent> mixed = new ArrayList<>(List.of(noName, noDistinctId, tooBig));
    mixed.addAll(events(2, 5));
    WriteResult result =
        input(pipeline, Map.of("bad-only", List.of(noName, noDistinctId, tooBig), "mixed", mixed))
            .apply(writer().withMaxEventBytes(1_000));
    keepStats(result);
    String sizeReason =
        "the event is "
            + tooBig.toJson().length()
            + " bytes as JSON, over the limit of 1000 bytes per event (PostHog refuses events over"
            + " about 1 MB)";
    List<DeadLetter> expected = new ArrayList<>();
    for (String group : List.of("bad-only", "mixed")) {
      expected.add(
          DeadLetter.of(
              "capture",
              group,
              noName.uuid(),
              noName.toJson(),
              0,
              "the event name is empty (PostHog refuses it with 400)",
              0));
      expected.add(
          DeadLetter.of(
              "capture",
              group,
              noDistinctId.uuid(),
              noDistinctId.toJson(),
              0,
              "the distinct_id is empty (PostHog refuses it with 400)",
              0));
      expected.add(
          DeadLetter.of("capture", group, tooBig.uuid(), tooBig.toJson(), 0, sizeReason, 0));
    }
    PAssert.that(result.getDeadLetters()).containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();

    assertEquals(1, server.requestCount(), "only the mixed group's 5 good events were sent");
    assertEquals(uuids(events(2, 5)), server.uuids());
    assertEquals(
        new GroupSendStats(0, 0, 0, 0, 0, Map.of(), 3, 0, 0, 0), keptStats().get("bad-only"));
    assertEquals(5, keptStats().get("mixed").eventsSent());
  }

  @Test
  void requestsNeverExceedTheCountAndByteCaps(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    List<CaptureEvent> events = new ArrayList<>();
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 300; i++) {
      String pad = "z".repeat(50 + random.nextInt(1_400));
      events.add(event(1, i, "{\"group\":\"g1\",\"i\":" + i + ",\"pad\":\"" + pad + "\"}"));
    }
    input(pipeline, Map.of("g1", events))
        .apply(writer().withBatchSize(7).withMaxBatchBytes(4_000).withMaxEventBytes(3_000));
    pipeline.run().waitUntilFinish();

    assertEquals(uuids(events), receivedByGroup().get("g1"));
    int byteBound = 0;
    for (RequestRecord r : server.requests()) {
      assertEnvelope(r, 7, 4_000);
      if (r.eventsInRequest() < 7) {
        byteBound++;
      }
    }
    assertTrue(byteBound > 10, "the byte cap cut batches short: " + byteBound);
  }

  // --- the API key ----------------------------------------------------------------------------

  @Test
  void a401StopsTheRunWithAClearMessageAndDeadLettersNothing(TestPipeline pipeline) {
    server = FakeCaptureServer.builder().knownTokens(Set.of("phc_theprojectsrealkey")).start();
    Map<String, List<CaptureEvent>> groups = new LinkedHashMap<>();
    for (int g = 1; g <= 3; g++) {
      groups.put("g" + g, events(g, 1000));
    }
    WriteResult result = input(pipeline, groups).apply(writer().withBatchSize(100));
    result.getDeadLetters().apply("Keep dead letters", ParDo.of(new Keep<>(testId)));

    Pipeline.PipelineExecutionException e =
        assertThrows(
            Pipeline.PipelineExecutionException.class, () -> pipeline.run().waitUntilFinish());
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof CaptureAuthException)) {
      cause = cause.getCause();
    }
    assertInstanceOf(CaptureAuthException.class, cause);
    String message = cause.getMessage();
    assertTrue(message.contains("PostHog refused the API key (HTTP 401"), message);
    assertTrue(message.contains("PROJECT API key"), message);
    assertTrue(message.contains("starts with phc_"), message);
    assertFalse(message.contains(KEY), "the key is never echoed");
    assertFalse(String.valueOf(e.getMessage()).contains(KEY));
    assertEquals(0, server.acceptedEventCount());
    assertTrue(server.requestCount() <= 3, "stops at once: " + server.statusCounts());
    assertEquals(Set.of(401), server.statusCounts().keySet());
    assertTrue(SEEN.getOrDefault(testId, List.of()).isEmpty(), "nothing dead-lettered");
  }

  @Test
  void refusesPersonalEmptyAndMissingKeysBeforeAnyRequest(TestPipeline pipeline) {
    pipeline.enableAbandonedNodeEnforcement(false);
    server = FakeCaptureServer.start();
    for (String key : List.of("phx_personalkeyabcdef123", "", "   ")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> CaptureIO.write().withApiKey(key));
      assertTrue(e.getMessage().contains("PROJECT API key"), e.getMessage());
      assertTrue(e.getMessage().startsWith("apiKey: "), e.getMessage());
      if (!key.isBlank()) {
        assertFalse(e.getMessage().contains(key));
      }
    }
    PCollection<KV<String, Iterable<CaptureEvent>>> in =
        input(pipeline, Map.of("g1", events(1, 3)));
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply(CaptureIO.write().withHost(server.url())));
    assertTrue(missing.getMessage().contains("--apiKey"), missing.getMessage());
    IllegalArgumentException noHost =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply("No host", CaptureIO.write().withApiKey(KEY)));
    assertTrue(noHost.getMessage().contains("--host"), noHost.getMessage());
    assertEquals(0, server.requestCount());
  }

  @Test
  void displayDataAndToStringHideTheKey() {
    CaptureIO.Write w = CaptureIO.write().withHost("https://eu.posthog.com").withApiKey(KEY);
    DisplayData data = DisplayData.from(w);
    assertFalse(data.toString().contains(KEY), data.toString());
    assertTrue(data.toString().contains("https://eu.i.posthog.com/batch/"), data.toString());
    assertTrue(data.toString().contains("from a value held in the launching JVM"));
    assertFalse(w.toString().contains(KEY));
    assertFalse(
        new String(
                org.apache.beam.sdk.util.SerializableUtils.serializeToByteArray(w),
                java.nio.charset.StandardCharsets.ISO_8859_1)
            .contains(KEY),
        "the serialized writer carries the key's id, not the key");
  }

  // --- resume and progress --------------------------------------------------------------------

  /** Resumes g1 after its 100th event; records every call with what the server had then. */
  private static final class RecordingProgress implements SendProgress {
    private final String id;
    private final EventCursor g1Cursor;

    RecordingProgress(String id, EventCursor g1Cursor) {
      this.id = id;
      this.g1Cursor = g1Cursor;
    }

    private void record(String line) {
      SEEN.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(line);
    }

    @Override
    public Group open(String groupKey) {
      record(groupKey + " resumeAfter");
      return new Group() {
        @Override
        public EventCursor resumeAfter() {
          return groupKey.equals("g1") ? g1Cursor : null;
        }

        @Override
        public void sending(EventCursor first, EventCursor last, int events) {
          record(
              groupKey
                  + " sending "
                  + first.uuid()
                  + ".."
                  + last.uuid()
                  + " events="
                  + events
                  + " serverHas="
                  + serverHas(groupKey));
        }

        @Override
        public void acknowledged(EventCursor lastInBatch, BatchStats batch, GroupSendStats soFar) {
          record(
              groupKey
                  + " ack "
                  + lastInBatch.uuid()
                  + " events="
                  + batch.events()
                  + " requests="
                  + batch.requests()
                  + " dead="
                  + batch.deadLettered()
                  + " serverHas="
                  + serverHas(groupKey));
        }

        @Override
        public void finished(GroupSendStats stats) {
          record(
              groupKey
                  + " finished sent="
                  + stats.eventsSent()
                  + " skipped="
                  + stats.skippedAlreadySent());
        }
      };
    }

    private long serverHas(String groupKey) {
      return server.events().stream()
          .filter(e -> e.properties().get("group").asText().equals(groupKey))
          .count();
    }
  }

  @Test
  void resumesAfterTheCursorAndReportsEachSettledBatchBeforeTheNext(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    List<CaptureEvent> g1 = events(1, 250);
    List<CaptureEvent> g2 = events(2, 100);
    EventCursor cursor = EventCursor.at(g1.get(99));
    WriteResult result =
        input(pipeline, Map.of("g1", g1, "g2", g2))
            .apply(
                writer().withBatchSize(50).withSendProgress(new RecordingProgress(testId, cursor)));
    keepStats(result);
    pipeline.run().waitUntilFinish();

    assertEquals(uuids(g1.subList(100, 250)), receivedByGroup().get("g1"));
    assertEquals(uuids(g2), receivedByGroup().get("g2"));
    List<String> calls = new ArrayList<>();
    for (Object o : SEEN.get(testId)) {
      if (o instanceof String) {
        calls.add((String) o);
      }
    }
    List<String> g1Calls =
        calls.stream().filter(c -> c.startsWith("g1 ")).collect(Collectors.toList());
    List<String> g2Calls =
        calls.stream().filter(c -> c.startsWith("g2 ")).collect(Collectors.toList());
    assertEquals(
        List.of(
            "g1 resumeAfter",
            "g1 sending " + uuid(1, 100) + ".." + uuid(1, 149) + " events=50 serverHas=0",
            "g1 ack " + uuid(1, 149) + " events=50 requests=1 dead=0 serverHas=50",
            "g1 sending " + uuid(1, 150) + ".." + uuid(1, 199) + " events=50 serverHas=50",
            "g1 ack " + uuid(1, 199) + " events=50 requests=1 dead=0 serverHas=100",
            "g1 sending " + uuid(1, 200) + ".." + uuid(1, 249) + " events=50 serverHas=100",
            "g1 ack " + uuid(1, 249) + " events=50 requests=1 dead=0 serverHas=150",
            "g1 finished sent=150 skipped=100"),
        g1Calls);
    assertEquals(
        List.of(
            "g2 resumeAfter",
            "g2 sending " + uuid(2, 0) + ".." + uuid(2, 49) + " events=50 serverHas=0",
            "g2 ack " + uuid(2, 49) + " events=50 requests=1 dead=0 serverHas=50",
            "g2 sending " + uuid(2, 50) + ".." + uuid(2, 99) + " events=50 serverHas=50",
            "g2 ack " + uuid(2, 99) + " events=50 requests=1 dead=0 serverHas=100",
            "g2 finished sent=100 skipped=0"),
        g2Calls);
    assertEquals(100, keptStats().get("g1").skippedAlreadySent());
    assertEquals(3, keptStats().get("g1").batches());
  }

  // --- transports -----------------------------------------------------------------------------

  @Test
  void filesTransportWritesExactlyWhatHttpSends(TestPipeline pipeline, @TempDir Path dir)
      throws Exception {
    server = FakeCaptureServer.start();
    Map<String, List<CaptureEvent>> groups = new LinkedHashMap<>();
    groups.put("2024-05-01", events(1, 230));
    List<CaptureEvent> withBad = events(2, 40);
    withBad.set(5, CaptureEvent.of(uuid(2, 5), "", "u", T0 + 5000, "{\"group\":\"g2\"}"));
    groups.put("team 2/day", withBad);

    WriteResult files =
        input(pipeline, groups)
            .apply(writer().withBatchSize(50).withOutputDirectory(dir.toString()));
    keepStats(files);
    pipeline.run().waitUntilFinish();
    Map<String, GroupSendStats> fileStats = keptStats();
    assertEquals(0, server.requestCount(), "the files transport sends nothing");

    Pipeline http = Pipeline.create(PipelineOptionsFactory.create());
    input(http, groups).apply(writer().withBatchSize(50));
    http.run().waitUntilFinish();

    for (String group : groups.keySet()) {
      Path groupDir = dir.resolve(FilesTransport.groupDirectory(group));
      List<Path> batchFiles;
      try (Stream<Path> list = Files.list(groupDir)) {
        batchFiles = list.sorted().collect(Collectors.toList());
      }
      List<List<JsonNode>> written = new ArrayList<>();
      for (Path f : batchFiles) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(f, UTF_8)) {
          lines.add(JSON.readTree(line));
        }
        written.add(lines);
      }
      Map<Integer, List<JsonNode>> sentByRequest = new TreeMap<>();
      String tag = group.equals("2024-05-01") ? "g1" : "g2";
      for (ReceivedEvent e : server.events()) {
        if (e.properties().get("group").asText().equals(tag)) {
          sentByRequest.computeIfAbsent(e.requestNumber(), k -> new ArrayList<>()).add(e.json());
        }
      }
      assertEquals(new ArrayList<>(sentByRequest.values()), written, group);
      assertEquals(sentByRequest.size(), fileStats.get(group).batches());
    }
    assertTrue(Files.isDirectory(dir.resolve("team+2%2Fday")));
    assertEquals(39, fileStats.get("team 2/day").eventsSent());
    assertEquals(1, fileStats.get("team 2/day").deadLettered());
  }

  @Test
  void dryRunSendsNothingAndCountsEverything(TestPipeline pipeline) {
    server = FakeCaptureServer.start();
    Map<String, List<CaptureEvent>> groups = Map.of("g1", events(1, 1001), "g2", events(2, 10));
    WriteResult result =
        input(pipeline, groups).apply(CaptureIO.write().withDryRun(true).withBatchSize(100));
    keepStats(result);
    pipeline.run().waitUntilFinish();

    assertEquals(0, server.requestCount());
    GroupSendStats g1 = keptStats().get("g1");
    assertEquals(1001, g1.eventsSent());
    assertEquals(11, g1.batches());
    assertEquals(11, g1.requests());
    assertEquals(0, g1.wireBytes());
    assertTrue(g1.jsonBytes() > 1001 * 100);
    assertEquals(10, keptStats().get("g2").eventsSent());
  }

  @Test
  void aDryRunAndAnOutputDirectoryExcludeEachOther(TestPipeline pipeline) {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<KV<String, Iterable<CaptureEvent>>> in =
        input(pipeline, new HashMap<>(Map.of("g", events(1, 1))));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply(CaptureIO.write().withDryRun(true).withOutputDirectory("/tmp/x")));
    assertTrue(
        e.getMessage().contains("--dryRun") && e.getMessage().contains("--outputDir"),
        e.getMessage());
  }
}
