package dev.hogbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A fake PostHog with both of its faces on one host, for tests of {@code hogbeam verify}: the
 * capture API ({@link FakeCaptureServer}) and the query API ({@code POST
 * /api/projects/{id}/query/}), the second answering from what the first ingested.
 *
 * <h2>Ingestion</h2>
 *
 * Every event capture accepts is inserted into {@code <database>.events}, PostHog's own events
 * table (a {@code ReplacingMergeTree} with PostHog's sort key, {@link Layout#GEN3}) in the local
 * ClickHouse engine, with {@code team_id} = the project id. Without a delay the rows are inserted
 * before the 200 is answered; with {@link #delayIngestion} they are inserted that much later, as
 * PostHog's asynchronous ingestion does.
 *
 * <h2>Query API</h2>
 *
 * Like PostHog: {@code Authorization: Bearer <personal API key>} (else 401), the project id in the
 * path (another: 403), a body {@code {"query": {"kind": "HogQLQuery", "query": ..., "values":
 * {...}}}}; answers {@code {"results": [[...]], "columns", "types", "hasMore", "limit", "offset",
 * "hogql", "clickhouse", "error": null, "is_cached": false}}; HogQL or ClickHouse errors are 400
 * with {@code {"type": "validation_error", "detail": ...}}. A query without LIMIT returns 100 rows
 * and sets {@code hasMore}; a LIMIT over 50,000 is reduced to 50,000; OFFSET is refused (400), as
 * for personal API keys.
 *
 * <p>HogQL is translated, not interpreted: the constructs hogbeam sends are {@code {name}}
 * placeholders (filled from {@code values} as quoted literals), {@code FROM events} (the project's
 * rows of the table), functions ClickHouse has under the same name. The project's time zone is UTC.
 *
 * <h2>Faults</h2>
 *
 * Lose chosen events after answering 200 ({@link #loseEvents}), delay ingestion ({@link
 * #delayIngestion}), answer the next queries 429 with {@code Retry-After} ({@link
 * #throttleQueries}), hold events from before the migration ({@link #insertExisting}).
 */
public final class FakePostHog implements AutoCloseable {
  public static final int DEFAULT_RETURNED_ROWS = 100;
  public static final int MAX_SELECT_RETURNED_ROWS = 50_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern QUERY_PATH = Pattern.compile("/api/projects/([^/]+)/query/?");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)\\}");
  private static final Pattern FROM_EVENTS =
      Pattern.compile("\\bFROM\\s+events\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern LIMIT =
      Pattern.compile("\\bLIMIT\\s+(\\d+)\\s*$", Pattern.CASE_INSENSITIVE);
  private static final Pattern OFFSET = Pattern.compile("\\bOFFSET\\b", Pattern.CASE_INSENSITIVE);

  private final LocalClickHouse clickHouse;
  private final String database;
  private final long projectId;
  private final String personalApiKey;
  private final PostHogDataGenerator table;
  private final FakeCaptureServer capture;
  private final ScheduledExecutorService delayed;

  private final Map<String, Long> projectsByToken = new ConcurrentHashMap<>();
  private final Set<String> lose = ConcurrentHashMap.newKeySet();
  private final Set<String> lost = ConcurrentHashMap.newKeySet();
  private volatile Duration ingestionDelay = Duration.ZERO;
  private final AtomicInteger throttleNext = new AtomicInteger();
  private volatile int retryAfterSeconds = 1;
  private final AtomicLong ingested = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private final List<QueryRecord> queries = new ArrayList<>();

  /** One request to the query API: its HogQL, its status, when it came. */
  public record QueryRecord(String hogql, String name, int status, Instant receivedAt) {}

  private FakePostHog(
      LocalClickHouse clickHouse,
      long projectId,
      String personalApiKey,
      FakeCaptureServer.Builder captureBuilder) {
    this.clickHouse = clickHouse;
    this.projectId = projectId;
    this.personalApiKey = personalApiKey;
    this.database = clickHouse.createDatabase("fake_posthog");
    this.table = PostHogDataGenerator.createEvents(clickHouse, database, Layout.GEN3);
    this.delayed =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-posthog-ingestion");
              t.setDaemon(true);
              return t;
            });
    this.capture = captureBuilder.onAccepted(this::ingest).route("/api/", this::handleApi).start();
  }

  /**
   * A fake PostHog on a free port, storing into a new database of {@code clickHouse}; its query API
   * answers project {@code projectId} for {@code personalApiKey}.
   */
  public static FakePostHog start(LocalClickHouse clickHouse, long projectId, String personalKey) {
    return new FakePostHog(clickHouse, projectId, personalKey, FakeCaptureServer.builder());
  }

  /**
   * Events sent with project key {@code token} are stored in project {@code project} (the others in
   * the project given to {@link #start}), and the query API answers that project too: one fake for
   * a migration to several projects.
   */
  public FakePostHog project(String token, long project) {
    projectsByToken.put(token, project);
    return this;
  }

  /** As {@link #start}, with capture configured by {@code capture} (faults, caps). */
  public static FakePostHog start(
      LocalClickHouse clickHouse,
      long projectId,
      String personalKey,
      FakeCaptureServer.Builder capture) {
    return new FakePostHog(clickHouse, projectId, personalKey, capture);
  }

  /** {@code http://127.0.0.1:<port>}: both the capture host and the app host. */
  public String url() {
    return capture.url();
  }

  /** The capture side: requests, accepted events, faults. */
  public FakeCaptureServer capture() {
    return capture;
  }

  /** The database holding the ingested {@code events} table. */
  public String database() {
    return database;
  }

  /** Events with these uuids are accepted (200) and then never stored. */
  public FakePostHog loseEvents(Collection<String> uuids) {
    lose.addAll(uuids);
    return this;
  }

  /** Stops losing events: later requests with those uuids are stored. */
  public FakePostHog stopLosing() {
    lose.clear();
    return this;
  }

  /** The uuids that were accepted and then lost. */
  public Set<String> lost() {
    return Set.copyOf(lost);
  }

  /** Accepted events are stored {@code delay} after their request was answered. */
  public FakePostHog delayIngestion(Duration delay) {
    this.ingestionDelay = delay;
    return this;
  }

  /** The next {@code count} query requests are answered 429 with {@code Retry-After}. */
  public FakePostHog throttleQueries(int count, int retryAfterSeconds) {
    this.retryAfterSeconds = retryAfterSeconds;
    throttleNext.set(count);
    return this;
  }

  /** Stores rows directly (e.g. unrelated events that existed before the migration). */
  public void insertExisting(EventRow... rows) {
    table.insert(rows);
  }

  /** Rows stored so far through capture. */
  public long ingestedCount() {
    return ingested.get();
  }

  /** Accepted events whose delayed ingestion has not happened yet. */
  public long pendingCount() {
    return pending.get();
  }

  /** Every request to the query API so far, in arrival order. */
  public List<QueryRecord> queries() {
    synchronized (queries) {
      return List.copyOf(queries);
    }
  }

  @Override
  public void close() {
    capture.close();
    delayed.shutdownNow();
    clickHouse.dropDatabase(database);
  }

  // ---------------------------------------------------------------------------------------------
  // Ingestion

  private void ingest(List<ReceivedEvent> events) {
    List<EventRow> rows = new ArrayList<>(events.size());
    for (ReceivedEvent e : events) {
      String uuid = e.uuid() == null ? UUID.randomUUID().toString() : e.uuid();
      if (lose.contains(uuid)) {
        lost.add(uuid);
        continue;
      }
      Instant ts = e.timestamp() == null ? e.receivedAt() : Instant.parse(e.timestamp());
      rows.add(
          EventRow.builder()
              .uuid(uuid)
              .event(e.event())
              .distinctId(e.distinctId())
              .timestamp(ts)
              .teamId(projectsByToken.getOrDefault(String.valueOf(e.token()), projectId))
              .properties(e.properties().toString())
              .build());
    }
    if (rows.isEmpty()) {
      return;
    }
    Duration delay = ingestionDelay;
    if (delay.isZero()) {
      store(rows);
    } else {
      pending.addAndGet(rows.size());
      delayed.schedule(
          () -> {
            store(rows);
            pending.addAndGet(-rows.size());
          },
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  private void store(List<EventRow> rows) {
    table.insert(rows);
    ingested.addAndGet(rows.size());
  }

  // ---------------------------------------------------------------------------------------------
  // Query API

  private void handleApi(HttpExchange exchange) throws IOException {
    String hogql = "";
    String name = "";
    int status = 500;
    try {
      Matcher path = QUERY_PATH.matcher(exchange.getRequestURI().getPath());
      if (!path.matches()) {
        status = reply(exchange, 404, error("not_found", "Not found."), null);
        return;
      }
      if (!"POST".equalsIgnoreCase(exchange.getRequestMethod())) {
        status = reply(exchange, 405, error("method_not_allowed", "Method not allowed."), null);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.equals("Bearer " + personalApiKey)) {
        status =
            reply(
                exchange,
                401,
                error("authentication_failed", "Personal API key is invalid or missing."),
                null);
        return;
      }
      long project;
      try {
        project = Long.parseLong(path.group(1));
      } catch (NumberFormatException e) {
        project = -1;
      }
      if (project != projectId && !projectsByToken.containsValue(project)) {
        status =
            reply(
                exchange,
                403,
                error("permission_denied", "You don't have access to the project."),
                null);
        return;
      }
      if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        status =
            reply(
                exchange,
                429,
                error(
                    "throttled",
                    "Request was throttled. Expected available in "
                        + retryAfterSeconds
                        + " seconds."),
                retryAfterSeconds);
        return;
      }
      JsonNode request = JSON.readTree(body);
      JsonNode query = request.path("query");
      name = request.path("name").asText("");
      if (!"HogQLQuery".equals(query.path("kind").asText())) {
        status = reply(exchange, 400, error("invalid_input", "Only HogQLQuery is faked"), null);
        return;
      }
      hogql = query.path("query").asText();
      ObjectNode result;
      try {
        result = run(hogql, query.path("values"), project);
      } catch (IllegalArgumentException | SQLException e) {
        status = reply(exchange, 400, error("invalid_input", e.getMessage()), null);
        return;
      }
      status = reply(exchange, 200, result, null);
    } finally {
      synchronized (queries) {
        queries.add(new QueryRecord(hogql, name, status, Instant.now()));
      }
    }
  }

  /** Runs one HogQL query the way PostHog answers it. */
  ObjectNode run(String hogql, JsonNode values) throws SQLException {
    return run(hogql, values, projectId);
  }

  /** Runs one HogQL query on project {@code project}'s events. */
  ObjectNode run(String hogql, JsonNode values, long project) throws SQLException {
    if (OFFSET.matcher(hogql).find()) {
      throw new IllegalArgumentException(
          "OFFSET is not allowed for queries made with a personal API key; use keyset pagination");
    }
    String sql = fillPlaceholders(hogql.strip(), values);
    sql =
        FROM_EVENTS
            .matcher(sql)
            .replaceAll(
                Matcher.quoteReplacement(
                    "FROM (SELECT * FROM "
                        + database
                        + ".events WHERE team_id = "
                        + project
                        + ") AS events"));
    Matcher limit = LIMIT.matcher(sql);
    int returned;
    boolean paginated;
    if (limit.find()) {
      returned = (int) Math.min(Long.parseLong(limit.group(1)), MAX_SELECT_RETURNED_ROWS);
      sql = sql.substring(0, limit.start()) + "LIMIT " + returned;
      paginated = false;
    } else {
      returned = DEFAULT_RETURNED_ROWS;
      sql = sql + " LIMIT " + (returned + 1);
      paginated = true;
    }
    ObjectNode out = JSON.createObjectNode();
    ArrayNode results = out.putArray("results");
    ArrayNode columns = out.putArray("columns");
    ArrayNode types = out.putArray("types");
    int rows = 0;
    try (Connection c = clickHouse.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        columns.add(meta.getColumnLabel(i));
        types.addArray().add(meta.getColumnLabel(i)).add(meta.getColumnTypeName(i));
      }
      while (rs.next()) {
        rows++;
        if (paginated && rows > returned) {
          break;
        }
        ArrayNode row = results.addArray();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          Object v = rs.getObject(i);
          if (v == null) {
            row.addNull();
          } else if (v instanceof Long || v instanceof Integer || v instanceof Short) {
            row.add(((Number) v).longValue());
          } else if (v instanceof java.math.BigInteger) {
            row.add((java.math.BigInteger) v);
          } else if (v instanceof Number) {
            row.add(((Number) v).doubleValue());
          } else {
            row.add(rs.getString(i));
          }
        }
      }
    }
    if (paginated) {
      out.put("hasMore", rows > returned);
      out.put("limit", returned);
      out.put("offset", 0);
    } else {
      out.putNull("hasMore");
      out.putNull("limit");
      out.putNull("offset");
    }
    out.put("hogql", hogql);
    out.put("clickhouse", sql);
    out.putArray("timings");
    out.putNull("error");
    out.put("is_cached", false);
    out.putObject("modifiers");
    return out;
  }

  private static String fillPlaceholders(String hogql, JsonNode values) {
    Matcher m = PLACEHOLDER.matcher(hogql);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      JsonNode v = values.get(m.group(1));
      if (v == null) {
        throw new IllegalArgumentException("Placeholder {" + m.group(1) + "} is not defined");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(literal(v)));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static String literal(JsonNode v) {
    if (v.isNumber() || v.isBoolean()) {
      return v.asText();
    }
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
        items.add(literal(it.next()));
      }
      return "[" + String.join(", ", items) + "]";
    }
    return "'" + v.asText().replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static ObjectNode error(String code, String detail) {
    ObjectNode e = JSON.createObjectNode();
    e.put("type", code.equals("invalid_input") ? "validation_error" : "authentication_error");
    e.put("code", code);
    e.put("detail", detail);
    e.putNull("attr");
    return e;
  }

  private static int reply(
      HttpExchange exchange, int status, ObjectNode body, @Nullable Integer retryAfter)
      throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (retryAfter != null) {
      exchange.getResponseHeaders().set("Retry-After", Integer.toString(retryAfter));
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    return status;
  }
}
