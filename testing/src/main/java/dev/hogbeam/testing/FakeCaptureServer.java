package dev.hogbeam.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.hogbeam.testing.CaptureRules.Parsed;
import dev.hogbeam.testing.CaptureRules.Refusal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An in-process stand-in for PostHog's capture service ({@code rust/capture}), for tests, the demo
 * and the benchmarks. It answers like capture does, records every event it accepts, and can be told
 * to misbehave.
 *
 * <h2>What it does like PostHog</h2>
 *
 * <ul>
 *   <li>Routes: {@code /batch} (body cap 20 MB) and the event routes {@code /e}, {@code /capture},
 *       {@code /i/v0/e}, {@code /track}, {@code /engage} (body cap 2 MB), each with or without the
 *       trailing slash; POST only (capture's legacy GET form is not modelled). Others: 404.
 *   <li>Bodies: the batch object ({@code {"api_key", "historical_migration", "sent_at", "batch"}}),
 *       an array of events, or one event; {@code historical_migration} is read only from the batch
 *       object. {@code token} is an alias of {@code api_key}.
 *   <li>gzip from {@code Content-Encoding: gzip}, from {@code ?compression=gzip} (or {@code
 *       gzip-js}), or from the gzip magic bytes. Other encodings (deflate, br, zstd) are not
 *       understood: the body is read as plain JSON and fails (400), as in capture.
 *   <li>Token checks (401): missing, or malformed as capture's {@code validate_token} defines it:
 *       after trimming whitespace, empty, over 64 bytes, not ASCII, starting with {@code phx_}
 *       (personal API key), or containing NUL. Any well-formed token is accepted, like PostHog;
 *       {@link Builder#knownTokens} makes the fake stricter on request.
 *   <li>The whole request refused (400) for an unparseable body, an empty batch, an event without a
 *       name or with an empty one, a missing or empty distinct_id, an invalid uuid, fields of the
 *       wrong JSON type; numeric distinct ids are stringified and all are truncated to 200
 *       characters in the record.
 *   <li>413 over the caps: request body (20 MB on /batch), decompressed body (100 MB), one event
 *       once serialised (1 MiB). All configurable.
 * </ul>
 *
 * <h2>Faults</h2>
 *
 * A {@link FaultPlan} is consulted once per request, by request number (1-based, counting every
 * request since start or {@link #reset()}): status answers with or without {@code Retry-After},
 * delays, real connection drops (the socket is closed without a response; the client sees an {@link
 * IOException}), "accept then fail" (events recorded as accepted, then e.g. 503).
 *
 * <h2>Record</h2>
 *
 * Every accepted event in arrival order ({@link #events()}), each with its request's metadata
 * ({@link RequestRecord}); every request with its status ({@link #requests()}). Accessors are
 * thread-safe and return snapshots. {@link Builder#countingOnly} keeps counts instead of events,
 * for benchmarks with millions of events.
 *
 * <h2>TCP_NODELAY</h2>
 *
 * The JDK server reads {@code sun.net.httpserver.nodelay} once, when its configuration class is
 * loaded. This class sets it to {@code true} in its static initialiser (unless it is set already),
 * which is in time as long as no other JDK {@code HttpServer} was created earlier in the JVM; the
 * build's surefire configuration also passes it on the command line. Without it, a client sending
 * requests one after another on a kept-alive connection stalls about 40 ms per request (Nagle and
 * delayed ACK), and measures the server instead of itself.
 */
public final class FakeCaptureServer implements AutoCloseable {
  static {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  public static final long DEFAULT_MAX_BATCH_BODY_BYTES = 20L * 1024 * 1024;
  public static final long DEFAULT_MAX_EVENT_ROUTE_BODY_BYTES = 2L * 1024 * 1024;
  public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 100L * 1024 * 1024;
  public static final long DEFAULT_MAX_EVENT_BYTES = 1024L * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] OK_BODY = "{\"status\":1}".getBytes(UTF_8);
  private static final Set<String> BATCH_ROUTES = Set.of("/batch", "/batch/");
  private static final Set<String> EVENT_ROUTES =
      Set.of(
          "/e",
          "/e/",
          "/capture",
          "/capture/",
          "/i/v0/e",
          "/i/v0/e/",
          "/track",
          "/track/",
          "/engage",
          "/engage/");

  /** How the server knew the body was gzip. */
  public enum GzipDetection {
    /** {@code Content-Encoding: gzip}. */
    HEADER,
    /** {@code ?compression=gzip} or {@code gzip-js}. */
    QUERY,
    /** The body starts with the gzip magic bytes, nothing said so. */
    MAGIC,
    /** Not gzip. */
    NONE
  }

  private final Builder config;
  private final HttpServer server;
  private final ExecutorService executor;
  private volatile FaultPlan faultPlan;

  private final Object lock = new Object();
  private final AtomicInteger requestNumbers = new AtomicInteger();
  private final List<RequestRecord> requests = new ArrayList<>();
  private final List<ReceivedEvent> events = new ArrayList<>();
  private final AtomicLong acceptedEvents = new AtomicLong();

  private FakeCaptureServer(Builder config) throws IOException {
    this.config = config;
    this.faultPlan = config.faultPlan;
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-capture");
              t.setDaemon(true);
              return t;
            });
    this.server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port), 200);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** A server with PostHog's defaults on a free port. */
  public static FakeCaptureServer start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:<port>}: the host to give a client. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** {@code http://127.0.0.1:<port>/batch/}. */
  public String batchUrl() {
    return url() + "/batch/";
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Replaces the fault plan for the requests that arrive from now on. */
  public void setFaultPlan(FaultPlan plan) {
    this.faultPlan = plan;
  }

  /** Every accepted event so far, in arrival order (empty in counting-only mode). */
  public List<ReceivedEvent> events() {
    synchronized (lock) {
      return List.copyOf(events);
    }
  }

  /** The uuids of {@link #events()}, in arrival order. */
  public List<String> uuids() {
    List<String> out = new ArrayList<>();
    for (ReceivedEvent e : events()) {
      out.add(e.uuid());
    }
    return out;
  }

  /** How many events were accepted (also in counting-only mode). */
  public long acceptedEventCount() {
    return acceptedEvents.get();
  }

  /** Every request so far, whatever its answer, in the order the answers were decided. */
  public List<RequestRecord> requests() {
    synchronized (lock) {
      return List.copyOf(requests);
    }
  }

  public int requestCount() {
    synchronized (lock) {
      return requests.size();
    }
  }

  /** How many requests got each status (0 = dropped connection), in status order. */
  public Map<Integer, Integer> statusCounts() {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (RequestRecord r : requests()) {
      counts.merge(r.status(), 1, Integer::sum);
    }
    return counts;
  }

  /** Forgets all requests and events; request numbers start again at 1. */
  public void reset() {
    synchronized (lock) {
      requests.clear();
      events.clear();
      acceptedEvents.set(0);
      requestNumbers.set(0);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------------------------------------
  // Request handling

  private void handle(HttpExchange exchange) throws IOException {
    for (Map.Entry<String, HttpHandler> route : config.routes.entrySet()) {
      if (exchange.getRequestURI().getPath().startsWith(route.getKey())) {
        route.getValue().handle(exchange);
        return;
      }
    }
    int number = requestNumbers.incrementAndGet();
    Instant receivedAt = Instant.now();
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    Fault fault = faultPlan.faultFor(number, path);
    if (fault == null) {
      fault = Fault.none();
    }
    Incoming in = new Incoming(number, receivedAt, method, path, exchange);
    try {
      if (fault.kind == Fault.Kind.DROP) {
        drop(in, fault);
        return;
      }
      if (fault.kind == Fault.Kind.DELAY) {
        sleep(fault.delay);
      }
      if (fault.kind == Fault.Kind.STATUS) {
        drain(exchange.getRequestBody());
        answer(in, fault, fault.status, fault.retryAfterSeconds, fault.message(), List.of());
        return;
      }
      Outcome outcome = process(in);
      if (outcome.status == 200 && fault.kind == Fault.Kind.ACCEPT_THEN_STATUS) {
        int keep =
            fault.acceptedEvents < 0
                ? outcome.events.size()
                : Math.min(fault.acceptedEvents, outcome.events.size());
        answer(
            in,
            fault,
            fault.status,
            fault.retryAfterSeconds,
            fault.message(),
            outcome.events.subList(0, keep));
      } else {
        answer(in, fault, outcome.status, null, outcome.message, outcome.events);
      }
    } catch (RuntimeException | IOException e) {
      // A bug in the fake, or the client went away: never leave the client hanging.
      if (!in.recorded) {
        in.meta.message = "fake server error: " + e;
        record(in, 500, fault, List.of());
      }
      exchange.close();
      throw e;
    }
  }

  /** Reads, decodes and checks one request as capture would; records nothing. */
  private Outcome process(Incoming in) throws IOException {
    HttpExchange exchange = in.exchange;
    boolean batchRoute = BATCH_ROUTES.contains(in.path);
    if (!batchRoute && !EVENT_ROUTES.contains(in.path)) {
      drain(exchange.getRequestBody());
      return Outcome.refused(404, "not found");
    }
    if (!"POST".equalsIgnoreCase(in.method)) {
      drain(exchange.getRequestBody());
      return Outcome.refused(405, "method not allowed");
    }
    long cap = batchRoute ? config.maxBatchBodyBytes : config.maxEventRouteBodyBytes;
    byte[] body = readCapped(exchange, cap);
    in.meta.contentEncoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
    if (body == null) {
      in.meta.wireBytes = -1;
      return Outcome.refused(413, "length limit exceeded");
    }
    in.meta.wireBytes = body.length;
    if (body.length == 0) {
      return Outcome.refused(400, "empty payload");
    }
    try {
      byte[] json = decode(body, in);
      JsonNode root;
      try {
        root = JSON.readTree(json);
      } catch (IOException e) {
        throw new Refusal(400, "failed to parse request: " + firstLine(e.getMessage()));
      }
      if (root == null) {
        throw new Refusal(400, "failed to parse request: EOF while parsing a value");
      }
      in.meta.eventsInRequest = countEvents(root);
      Parsed parsed = CaptureRules.parse(root, in.path.startsWith("/engage"));
      in.meta.shape = parsed.shape;
      in.meta.historicalMigration = parsed.historicalMigration;
      in.meta.sentAt = parsed.sentAt;
      String token = CaptureRules.resolveToken(parsed);
      String problem = CaptureRules.tokenProblem(token);
      if (problem != null) {
        throw new Refusal(401, "API key is not valid: " + problem);
      }
      token = token.strip();
      in.meta.token = token;
      if (!config.knownTokens.isEmpty() && !config.knownTokens.contains(token)) {
        throw new Refusal(401, "API key is not valid: unknown project token");
      }
      return Outcome.accepted(checkEvents(parsed.events));
    } catch (Refusal r) {
      return Outcome.refused(r.status, r.getMessage());
    }
  }

  private List<Accepted> checkEvents(List<ObjectNode> events) throws Refusal {
    List<Accepted> accepted = new ArrayList<>(events.size());
    for (ObjectNode e : events) {
      String name = CaptureRules.eventName(e);
      if (name.isEmpty()) {
        throw new Refusal(400, "event submitted with an empty event name");
      }
      String distinctId = CaptureRules.distinctId(e);
      if (distinctId == null) {
        throw new Refusal(400, "event submitted without a distinct_id");
      }
      String ruleProblem = config.eventRule.apply(e);
      if (ruleProblem != null) {
        throw new Refusal(400, ruleProblem);
      }
      long size = serializedSize(e);
      if (size > config.maxEventBytes) {
        throw new Refusal(
            413, "maximum event size exceeded: " + size + " > " + config.maxEventBytes + " bytes");
      }
      accepted.add(new Accepted(e, name, distinctId));
    }
    return accepted;
  }

  /** Decompresses when gzip is announced or sniffed; records how it was detected. */
  private byte[] decode(byte[] body, Incoming in) throws Refusal {
    String encoding = in.meta.contentEncoding;
    String compression = queryParam(in.exchange.getRequestURI().getRawQuery(), "compression");
    boolean magic =
        body.length >= 3 && (body[0] & 0xff) == 0x1f && (body[1] & 0xff) == 0x8b && body[2] == 8;
    GzipDetection detection;
    if (encoding != null && encoding.trim().equalsIgnoreCase("gzip")) {
      detection = GzipDetection.HEADER;
    } else if (compression != null
        && (compression.equalsIgnoreCase("gzip") || compression.equalsIgnoreCase("gzip-js"))) {
      detection = GzipDetection.QUERY;
    } else if (magic) {
      detection = GzipDetection.MAGIC;
    } else {
      detection = GzipDetection.NONE;
    }
    in.meta.gzip = detection;
    if (detection == GzipDetection.NONE) {
      in.meta.decompressedBytes = body.length;
      if (body.length > config.maxDecompressedBytes) {
        throw new Refusal(413, "uncompressed payload size limit exceeded");
      }
      return body;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, body.length * 4));
    byte[] chunk = new byte[16384];
    try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(body), 16384)) {
      int n;
      while ((n = gz.read(chunk)) > 0) {
        if ((long) out.size() + n > config.maxDecompressedBytes) {
          throw new Refusal(
              413, "decompressed payload would exceed " + config.maxDecompressedBytes + " bytes");
        }
        out.write(chunk, 0, n);
      }
    } catch (IOException e) {
      throw new Refusal(400, "failed to decode request: invalid gzip data");
    }
    in.meta.decompressedBytes = out.size();
    return out.toByteArray();
  }

  private void drop(Incoming in, Fault fault) {
    in.meta.message = "connection dropped";
    record(in, 0, fault, List.of());
    // Without response headers the JDK server closes the socket itself: the client reads EOF
    // (or a reset), never a status line.
    in.exchange.close();
  }

  private void answer(
      Incoming in,
      Fault fault,
      int status,
      @Nullable Integer retryAfterSeconds,
      String message,
      List<Accepted> accepted)
      throws IOException {
    in.meta.message = message;
    record(in, status, fault, accepted);
    if (fault.kind == Fault.Kind.ACCEPT_THEN_DELAY) {
      sleep(fault.delay);
    }
    HttpExchange exchange = in.exchange;
    byte[] body = status == 200 ? OK_BODY : message.getBytes(UTF_8);
    exchange
        .getResponseHeaders()
        .set("Content-Type", status == 200 ? "application/json" : "text/plain; charset=utf-8");
    if (retryAfterSeconds != null) {
      exchange.getResponseHeaders().set("Retry-After", Integer.toString(retryAfterSeconds));
    }
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private void record(Incoming in, int status, Fault fault, List<Accepted> accepted) {
    in.recorded = true;
    RequestRecord r = in.meta.build(status, fault, accepted.size());
    List<ReceivedEvent> received = new ArrayList<>(accepted.size());
    for (int i = 0; i < accepted.size(); i++) {
      Accepted a = accepted.get(i);
      received.add(new ReceivedEvent(r, i, a.json, a.name, a.distinctId));
    }
    synchronized (lock) {
      requests.add(r);
      acceptedEvents.addAndGet(accepted.size());
      if (!config.countingOnly) {
        events.addAll(received);
      }
    }
    if (!received.isEmpty()) {
      config.acceptedListener.accept(received);
    }
  }

  /** The body, or null when it exceeds {@code cap} (the rest is read and discarded). */
  private static byte @Nullable [] readCapped(HttpExchange exchange, long cap) throws IOException {
    InputStream in = exchange.getRequestBody();
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null && Long.parseLong(declared.trim()) > cap) {
      drain(in);
      return null;
    }
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(declared == null ? 8192 : (int) Long.parseLong(declared.trim()));
    byte[] chunk = new byte[65536];
    int n;
    while ((n = in.read(chunk)) > 0) {
      if ((long) out.size() + n > cap) {
        drain(in);
        return null;
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  private static void drain(InputStream in) throws IOException {
    byte[] chunk = new byte[65536];
    while (in.read(chunk) >= 0) {
      // discard
    }
  }

  /** Events in a body, also when it is refused: array elements, batch elements, or one. */
  private static int countEvents(JsonNode root) {
    if (root.isArray()) {
      return root.size();
    }
    JsonNode batch = root.get("batch");
    if (batch != null && batch.isArray()) {
      return batch.size();
    }
    return root.isObject() ? 1 : 0;
  }

  private static long serializedSize(JsonNode e) {
    CountingStream counter = new CountingStream();
    try {
      JSON.writeValue(counter, e);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return counter.count;
  }

  private static @Nullable String queryParam(@Nullable String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), UTF_8);
      if (key.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), UTF_8);
      }
    }
    return null;
  }

  private static String firstLine(@Nullable String s) {
    if (s == null) {
      return "invalid JSON";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class CountingStream extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }

  private static final class Incoming {
    final String method;
    final String path;
    final HttpExchange exchange;
    final MetaBuilder meta;
    boolean recorded;

    Incoming(int number, Instant receivedAt, String method, String path, HttpExchange exchange) {
      this.method = method;
      this.path = path;
      this.exchange = exchange;
      this.meta = new MetaBuilder(number, receivedAt, method, path, exchange);
    }
  }

  /** What is known about a request while it is being processed. */
  private static final class MetaBuilder {
    final int number;
    final Instant receivedAt;
    final String method;
    final String path;
    final @Nullable String query;
    @Nullable String contentEncoding;
    GzipDetection gzip = GzipDetection.NONE;
    long wireBytes = -1;
    long decompressedBytes = -1;
    CaptureRules.@Nullable Shape shape;
    boolean historicalMigration;
    @Nullable String sentAt;
    @Nullable String token;
    int eventsInRequest;
    String message = "";

    MetaBuilder(int number, Instant receivedAt, String method, String path, HttpExchange ex) {
      this.number = number;
      this.receivedAt = receivedAt;
      this.method = method;
      this.path = path;
      this.query = ex.getRequestURI().getRawQuery();
    }

    RequestRecord build(int status, Fault fault, int accepted) {
      return new RequestRecord(
          number,
          method,
          path,
          query,
          status,
          fault.kind == Fault.Kind.NONE ? null : fault.toString(),
          contentEncoding,
          gzip,
          wireBytes,
          decompressedBytes,
          shape == null ? null : shape.name().toLowerCase(Locale.ROOT),
          historicalMigration,
          sentAt,
          token,
          eventsInRequest,
          accepted,
          message,
          receivedAt);
    }
  }

  private static final class Accepted {
    final ObjectNode json;
    final String name;
    final String distinctId;

    Accepted(ObjectNode json, String name, String distinctId) {
      this.json = json;
      this.name = name;
      this.distinctId = distinctId;
    }
  }

  private static final class Outcome {
    final int status;
    final String message;
    final List<Accepted> events;

    private Outcome(int status, String message, List<Accepted> events) {
      this.status = status;
      this.message = message;
      this.events = events;
    }

    static Outcome accepted(List<Accepted> events) {
      return new Outcome(200, "", events);
    }

    static Outcome refused(int status, String message) {
      return new Outcome(status, message, List.of());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Records

  /**
   * One request and what the server answered. {@code status} 0 means the connection was dropped
   * without an answer. Sizes are -1 when the body was not read that far.
   */
  public static final class RequestRecord {
    private final int number;
    private final String method;
    private final String path;
    private final @Nullable String query;
    private final int status;
    private final @Nullable String fault;
    private final @Nullable String contentEncoding;
    private final GzipDetection gzip;
    private final long wireBytes;
    private final long decompressedBytes;
    private final @Nullable String shape;
    private final boolean historicalMigration;
    private final @Nullable String sentAt;
    private final @Nullable String token;
    private final int eventsInRequest;
    private final int eventsAccepted;
    private final String message;
    private final Instant receivedAt;

    RequestRecord(
        int number,
        String method,
        String path,
        @Nullable String query,
        int status,
        @Nullable String fault,
        @Nullable String contentEncoding,
        GzipDetection gzip,
        long wireBytes,
        long decompressedBytes,
        @Nullable String shape,
        boolean historicalMigration,
        @Nullable String sentAt,
        @Nullable String token,
        int eventsInRequest,
        int eventsAccepted,
        String message,
        Instant receivedAt) {
      this.number = number;
      this.method = method;
      this.path = path;
      this.query = query;
      this.status = status;
      this.fault = fault;
      this.contentEncoding = contentEncoding;
      this.gzip = gzip;
      this.wireBytes = wireBytes;
      this.decompressedBytes = decompressedBytes;
      this.shape = shape;
      this.historicalMigration = historicalMigration;
      this.sentAt = sentAt;
      this.token = token;
      this.eventsInRequest = eventsInRequest;
      this.eventsAccepted = eventsAccepted;
      this.message = message;
      this.receivedAt = receivedAt;
    }

    /** 1-based, in arrival order, as the fault plan saw it. */
    public int number() {
      return number;
    }

    public String method() {
      return method;
    }

    public String path() {
      return path;
    }

    public @Nullable String query() {
      return query;
    }

    /** The status answered; 0 for a dropped connection. */
    public int status() {
      return status;
    }

    /** The fault applied to this request, or null. */
    public @Nullable String fault() {
      return fault;
    }

    /** The {@code Content-Encoding} header as sent, or null. */
    public @Nullable String contentEncoding() {
      return contentEncoding;
    }

    public GzipDetection gzip() {
      return gzip;
    }

    /** Body bytes as received. */
    public long wireBytes() {
      return wireBytes;
    }

    /** Body bytes after decompression. */
    public long decompressedBytes() {
      return decompressedBytes;
    }

    /** {@code batch}, {@code array} or {@code single}; null when the body could not be parsed. */
    public @Nullable String shape() {
      return shape;
    }

    public boolean historicalMigration() {
      return historicalMigration;
    }

    /** The batch-level {@code sent_at}, or null. */
    public @Nullable String sentAt() {
      return sentAt;
    }

    /** The (trimmed) token when it was well formed, else null. */
    public @Nullable String token() {
      return token;
    }

    /** Events in the body, refused or not (0 when it is not JSON). */
    public int eventsInRequest() {
      return eventsInRequest;
    }

    /** Events recorded as accepted from this request. */
    public int eventsAccepted() {
      return eventsAccepted;
    }

    /** The response body of a refusal ("" for 200). */
    public String message() {
      return message;
    }

    public Instant receivedAt() {
      return receivedAt;
    }

    /** Leaves the token out. */
    @Override
    public String toString() {
      return "Request#"
          + number
          + "{"
          + method
          + " "
          + path
          + (query == null ? "" : "?" + query)
          + " -> "
          + status
          + (fault == null ? "" : " fault=" + fault)
          + ", gzip="
          + gzip
          + ", wire="
          + wireBytes
          + ", events="
          + eventsAccepted
          + "/"
          + eventsInRequest
          + (message.isEmpty() ? "" : ", message=" + message)
          + "}";
    }
  }

  /** An accepted event, as received, with its request. */
  public static final class ReceivedEvent {
    private final RequestRecord request;
    private final int indexInRequest;
    private final ObjectNode json;
    private final String event;
    private final String distinctId;

    ReceivedEvent(
        RequestRecord request,
        int indexInRequest,
        ObjectNode json,
        String event,
        String distinctId) {
      this.request = request;
      this.indexInRequest = indexInRequest;
      this.json = json;
      this.event = event;
      this.distinctId = distinctId;
    }

    public RequestRecord request() {
      return request;
    }

    public int indexInRequest() {
      return indexInRequest;
    }

    /** The event object as received (a copy). */
    public ObjectNode json() {
      return json.deepCopy();
    }

    /** The event object exactly as received, serialised. */
    public String jsonText() {
      return json.toString();
    }

    /** The uuid as sent, or null when the event had none. */
    public @Nullable String uuid() {
      JsonNode u = json.get("uuid");
      return u == null || u.isNull() || u.textValue().isEmpty() ? null : u.textValue();
    }

    public String event() {
      return event;
    }

    /** As PostHog stores it: stringified, NUL replaced, truncated to 200 characters. */
    public String distinctId() {
      return distinctId;
    }

    /** The {@code timestamp} field as sent, or null. */
    public @Nullable String timestamp() {
      JsonNode t = json.get("timestamp");
      return t == null || t.isNull() ? null : t.textValue();
    }

    /** The {@code properties} object (a copy; empty when absent). */
    public ObjectNode properties() {
      JsonNode p = json.get("properties");
      return p == null ? JSON.createObjectNode() : (ObjectNode) p.deepCopy();
    }

    public int requestNumber() {
      return request.number();
    }

    public String path() {
      return request.path();
    }

    public boolean historicalMigration() {
      return request.historicalMigration();
    }

    public @Nullable String contentEncoding() {
      return request.contentEncoding();
    }

    public GzipDetection gzip() {
      return request.gzip();
    }

    public long wireBytes() {
      return request.wireBytes();
    }

    public long decompressedBytes() {
      return request.decompressedBytes();
    }

    public @Nullable String token() {
      return request.token();
    }

    public @Nullable String sentAt() {
      return request.sentAt();
    }

    public Instant receivedAt() {
      return request.receivedAt();
    }

    @Override
    public String toString() {
      return "ReceivedEvent{uuid="
          + uuid()
          + ", event="
          + event
          + ", request="
          + request.number()
          + "}";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  /** What the server does to one request instead of (or on top of) answering it normally. */
  public static final class Fault {
    enum Kind {
      NONE,
      STATUS,
      DELAY,
      DROP,
      ACCEPT_THEN_STATUS,
      ACCEPT_THEN_DELAY
    }

    private static final Fault NONE = new Fault(Kind.NONE, 0, null, Duration.ZERO, -1);

    final Kind kind;
    final int status;
    final @Nullable Integer retryAfterSeconds;
    final Duration delay;
    final int acceptedEvents;

    private Fault(
        Kind kind,
        int status,
        @Nullable Integer retryAfterSeconds,
        Duration delay,
        int acceptedEvents) {
      this.kind = kind;
      this.status = status;
      this.retryAfterSeconds = retryAfterSeconds;
      this.delay = delay;
      this.acceptedEvents = acceptedEvents;
    }

    /** Answer normally. */
    public static Fault none() {
      return NONE;
    }

    /** Answer {@code status} (e.g. 500, 502, 504, 408, 401) without looking at the body. */
    public static Fault status(int status) {
      return new Fault(Kind.STATUS, status, null, Duration.ZERO, -1);
    }

    /** Answer {@code status} with {@code Retry-After: retryAfterSeconds}. */
    public static Fault status(int status, int retryAfterSeconds) {
      return new Fault(Kind.STATUS, status, retryAfterSeconds, Duration.ZERO, -1);
    }

    /** 429 with {@code Retry-After}. */
    public static Fault tooManyRequests(int retryAfterSeconds) {
      return status(429, retryAfterSeconds);
    }

    /** 503 with {@code Retry-After}. */
    public static Fault unavailable(int retryAfterSeconds) {
      return status(503, retryAfterSeconds);
    }

    /** 401 as capture answers a bad token. */
    public static Fault unauthorized() {
      return status(401);
    }

    /** Wait {@code delay}, then answer normally. */
    public static Fault delay(Duration delay) {
      return new Fault(Kind.DELAY, 0, null, delay, -1);
    }

    /** Close the connection without any response; nothing is recorded as accepted. */
    public static Fault drop() {
      return new Fault(Kind.DROP, 0, null, Duration.ZERO, -1);
    }

    /**
     * Process the request normally and, if it would be accepted, record all its events as accepted,
     * then answer {@code status} anyway (a 503 after a partial write).
     */
    public static Fault acceptThen(int status) {
      return new Fault(Kind.ACCEPT_THEN_STATUS, status, null, Duration.ZERO, -1);
    }

    /**
     * Process the request normally and record what it accepts, then wait {@code delay} before
     * answering: PostHog has the events, the client does not know it yet (a client killed now
     * re-sends them).
     */
    public static Fault acceptThenDelay(Duration delay) {
      return new Fault(Kind.ACCEPT_THEN_DELAY, 0, null, delay, -1);
    }

    /** Like {@link #acceptThen(int)}, recording only the first {@code events} events. */
    public static Fault acceptFirstThen(int events, int status) {
      return new Fault(Kind.ACCEPT_THEN_STATUS, status, null, Duration.ZERO, events);
    }

    String message() {
      switch (status) {
        case 401:
          return "API key is not valid: fault injected";
        case 429:
          return "rate limited";
        case 503:
          return "transient error, please retry";
        default:
          return "fault injected: " + status;
      }
    }

    @Override
    public String toString() {
      switch (kind) {
        case NONE:
          return "none";
        case STATUS:
          return "status "
              + status
              + (retryAfterSeconds == null ? "" : " retry-after " + retryAfterSeconds);
        case DELAY:
          return "delay " + delay.toMillis() + "ms";
        case DROP:
          return "drop";
        case ACCEPT_THEN_DELAY:
          return "accept then delay " + delay.toMillis() + "ms";
        default:
          return "accept " + (acceptedEvents < 0 ? "all" : acceptedEvents) + " then " + status;
      }
    }
  }

  /**
   * Decides the fault for each request from its number (1-based) and path; a plain lambda works.
   * Return {@link Fault#none()} (or null) to answer normally.
   */
  @FunctionalInterface
  public interface FaultPlan {
    @Nullable Fault faultFor(int requestNumber, String path);

    static FaultPlan none() {
      return (n, path) -> Fault.none();
    }

    /** The same fault for every request. */
    static FaultPlan always(Fault fault) {
      return (n, path) -> fault;
    }

    /** {@code fault} for the requests whose numbers are listed, none for the others. */
    static FaultPlan onRequests(Fault fault, int... numbers) {
      Map<Integer, Fault> plan = new HashMap<>();
      for (int n : numbers) {
        plan.put(n, fault);
      }
      return byNumber(plan);
    }

    /** The fault given for each request number, none for the others. */
    static FaultPlan byNumber(Map<Integer, Fault> faults) {
      Map<Integer, Fault> copy = Map.copyOf(faults);
      return (n, path) -> copy.getOrDefault(n, Fault.none());
    }

    /**
     * With probability {@code probability}, one of {@code faults} (chosen uniformly). The draw for
     * request {@code n} depends only on {@code seed} and {@code n}, so a plan is reproducible
     * whatever the threads' interleaving.
     */
    static FaultPlan random(long seed, double probability, Fault... faults) {
      List<Fault> choices = List.of(faults);
      if (choices.isEmpty() || probability < 0 || probability > 1) {
        throw new IllegalArgumentException("need faults and 0 <= probability <= 1");
      }
      return (n, path) -> {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n);
        if (r.nextDouble() >= probability) {
          return Fault.none();
        }
        return choices.get(r.nextInt(choices.size()));
      };
    }

    /** This plan for /batch requests only; the other routes answer normally. */
    default FaultPlan batchOnly() {
      return (n, path) -> BATCH_ROUTES.contains(path) ? faultFor(n, path) : Fault.none();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  /** Configures and starts a {@link FakeCaptureServer}. Defaults are PostHog's. */
  public static final class Builder {
    private int port = 0;
    private long maxBatchBodyBytes = DEFAULT_MAX_BATCH_BODY_BYTES;
    private long maxEventRouteBodyBytes = DEFAULT_MAX_EVENT_ROUTE_BODY_BYTES;
    private long maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES;
    private long maxEventBytes = DEFAULT_MAX_EVENT_BYTES;
    private Set<String> knownTokens = Set.of();
    private boolean countingOnly = false;
    private FaultPlan faultPlan = FaultPlan.none();
    private Function<ObjectNode, @Nullable String> eventRule = e -> null;
    private Consumer<List<ReceivedEvent>> acceptedListener = events -> {};
    private final Map<String, HttpHandler> routes = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Called with the events of each request as they are recorded as accepted (before the answer is
     * sent), on the request's thread; e.g. to ingest them somewhere ({@link FakePostHog}).
     */
    public Builder onAccepted(Consumer<List<ReceivedEvent>> listener) {
      this.acceptedListener = listener;
      return this;
    }

    /**
     * Serves paths starting with {@code prefix} by {@code handler} instead of the capture routes
     * (not numbered, not recorded, no faults): e.g. PostHog's query API ({@link FakePostHog}).
     */
    public Builder route(String prefix, HttpHandler handler) {
      this.routes.put(prefix, handler);
      return this;
    }

    /** The port to bind on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Body cap of /batch requests (default 20 MB): over it, 413. */
    public Builder maxRequestBodyBytes(long bytes) {
      this.maxBatchBodyBytes = bytes;
      return this;
    }

    /** Body cap of the single-event routes (default 2 MB): over it, 413. */
    public Builder maxEventRouteBodyBytes(long bytes) {
      this.maxEventRouteBodyBytes = bytes;
      return this;
    }

    /** Cap of a decompressed body (default 100 MB): over it, 413. */
    public Builder maxDecompressedBytes(long bytes) {
      this.maxDecompressedBytes = bytes;
      return this;
    }

    /**
     * Cap of one event once serialised (default 1 MiB): an event over it fails the request, 413.
     */
    public Builder maxEventBytes(long bytes) {
      this.maxEventBytes = bytes;
      return this;
    }

    /**
     * Only these (well-formed) tokens are accepted; others get 401. Stricter than PostHog, which
     * accepts any well-formed token and drops the events of unknown ones later. Empty (the
     * default): every well-formed token is accepted.
     */
    public Builder knownTokens(Collection<String> tokens) {
      this.knownTokens = Set.copyOf(tokens);
      return this;
    }

    /** Keep counts and the request log, not the events (for benchmarks). */
    public Builder countingOnly(boolean countingOnly) {
      this.countingOnly = countingOnly;
      return this;
    }

    public Builder faultPlan(FaultPlan plan) {
      this.faultPlan = plan;
      return this;
    }

    /**
     * An extra server-side check on each event: return a reason to refuse the WHOLE request with
     * 400 and that reason, or null to accept. Models a validation PostHog may add that a client
     * cannot know about.
     */
    public Builder eventRule(Function<ObjectNode, @Nullable String> rule) {
      this.eventRule = rule;
      return this;
    }

    public FakeCaptureServer start() {
      try {
        return new FakeCaptureServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("could not start the fake capture server", e);
      }
    }
  }

  /**
   * Runs a server until the process is stopped: {@code [--port N] [--counting]}. Prints its URL,
   * and a summary line when stopped.
   */
  public static void main(String[] args) throws InterruptedException {
    Builder b = builder();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--port") && i + 1 < args.length) {
        b.port(Integer.parseInt(args[++i]));
      } else if (args[i].equals("--counting")) {
        b.countingOnly(true);
      } else {
        System.err.println("usage: FakeCaptureServer [--port N] [--counting]");
        System.exit(2);
      }
    }
    FakeCaptureServer server = b.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println(
                      "fake capture server: "
                          + server.acceptedEventCount()
                          + " events accepted, requests by status "
                          + server.statusCounts());
                  server.close();
                }));
    System.out.println("fake PostHog capture server listening on " + server.url());
    System.out.println("send batches to " + server.batchUrl() + " (Ctrl-C to stop)");
    new java.util.concurrent.CountDownLatch(1).await();
  }
}
