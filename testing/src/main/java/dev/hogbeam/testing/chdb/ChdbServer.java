package dev.hogbeam.testing.chdb;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * ClickHouse's HTTP interface in front of libchdb (the ClickHouse engine as a library), for tests,
 * development and demos on machines without a ClickHouse server.
 *
 * <p>Runs as its own process (plain Java 17; libchdb through JNA), bound to 127.0.0.1. Each request
 * gets its own chDB connection (cheap: well under a millisecond), so the database, settings and
 * parameters of concurrent requests never mix; chDB documents one statement at a time per
 * connection and many connections per engine.
 *
 * <p>A statement runs to completion before its response starts, so {@code X-ClickHouse-Summary}
 * carries exact final figures (like ClickHouse with {@code wait_end_of_query=1}); the result sits
 * in the engine's native memory meanwhile, never in this JVM's heap, and is compressed on the fly
 * while it is sent. {@code wait_end_of_query=0} streams instead (chDB's streaming API, chunk by
 * chunk, headers before the first chunk): memory stays flat, but the summary is partial, as in
 * ClickHouse, and chDB's streamed chunks undercount read_rows.
 *
 * <p>URL parameters other than the protocol's own become settings of the request's connection (one
 * {@code SET}), so the engine applies them or refuses them with its own error; a few that cannot
 * change a result here are ignored (listed with their reason in {@code IGNORED_PARAMS}); sessions,
 * roles and {@code client_protocol_version} are refused.
 *
 * <p>Arguments: {@code --lib=PATH} (libchdb.so, required), {@code --path=DIR} (data directory;
 * in-memory engine when absent), {@code --port=N} (0 picks a free port), {@code --tmp=DIR} (spill
 * files of large request bodies), {@code --buffer-bytes=N} (request bytes kept in memory before
 * spilling), {@code --user=NAME --password=SECRET} (the only accepted credentials; default user
 * {@code default} with an empty password), {@code --profile-settings=NAME=VALUE,NAME=VALUE} (the
 * settings of the user's profile: applied to every statement unless its URL parameters or its
 * {@code SETTINGS} clause say otherwise, as a ClickHouse server applies a settings profile), {@code
 * --log-requests}, and {@code --keep-engine-signal-handlers} (only to demonstrate the signal trap
 * in a test) and {@code --exit-with-parent} (exit when stdin ends, i.e. when the launching process
 * is gone). Prints {@code hogbeam-chdb ready port=N version=V} on stdout once it accepts requests.
 */
public final class ChdbServer {
  private static final String DISPLAY_NAME = "hogbeam-chdb";

  /** URL parameters of the HTTP protocol that the front end handles itself. */
  private static final Set<String> PROTOCOL_PARAMS =
      Set.of(
          "query",
          "database",
          "default_format",
          "user",
          "password",
          "query_id",
          "compress",
          "decompress",
          "enable_http_compression",
          "wait_end_of_query",
          "http_wait_end_of_query",
          "session_id",
          "role",
          "client_protocol_version");

  /** Parameters that cannot change a result here, ignored with the reason logged once. */
  private static final Map<String, String> IGNORED_PARAMS =
      Map.of(
          "quota_key", "chDB has no quotas",
          "buffer_size",
              "responses start only after the statement completes (unless wait_end_of_query=0)",
          "http_response_buffer_size",
              "responses start only after the statement completes (unless wait_end_of_query=0)",
          "session_timeout", "there are no sessions (session_id is refused)",
          "session_check", "there are no sessions (session_id is refused)",
          "send_progress_in_http_headers", "the front end sends no X-ClickHouse-Progress headers",
          "http_headers_progress_interval_ms",
              "the front end sends no X-ClickHouse-Progress headers");

  private static final Pattern ERROR_CODE = Pattern.compile("^Code: (\\d+)\\.");

  private final Chdb chdb;
  private final List<String> connectArgs;
  private final SignalGuard guard;
  private final Path spillDirectory;
  private final int bufferBytes;
  private final String user;
  private final String password;
  private final boolean logRequests;
  private final Map<String, String> profileSettings;
  private final String version;
  private final PrintStream log = System.err;
  private final AtomicLong queries = new AtomicLong();
  private final Set<String> loggedIgnored = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Chdb.Connection anchor;

  /** The final X-ClickHouse-Summary of the most recent queries, by query id. */
  private final Map<String, String> summaries =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<String, String>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
              return size() > 100_000;
            }
          });

  private ChdbServer(Map<String, String> options) throws IOException {
    Path library = Path.of(required(options, "lib"));
    chdb = new Chdb(library);
    connectArgs = new ArrayList<>();
    if (options.containsKey("path")) {
      Path data = Path.of(options.get("path")).toAbsolutePath();
      Files.createDirectories(data);
      connectArgs.add("--path=" + data);
    }
    spillDirectory =
        Path.of(options.getOrDefault("tmp", System.getProperty("java.io.tmpdir"))).toAbsolutePath();
    Files.createDirectories(spillDirectory);
    bufferBytes = Integer.parseInt(options.getOrDefault("buffer-bytes", String.valueOf(16 << 20)));
    user = options.getOrDefault("user", "default");
    password = options.getOrDefault("password", "");
    logRequests = options.containsKey("log-requests");
    profileSettings = parseSettings(options.getOrDefault("profile-settings", ""));
    if (options.containsKey("keep-engine-signal-handlers")) {
      guard = null;
    } else {
      guard = new SignalGuard();
      chdb.setSignalHandlersEnabled(false);
      guard.save();
    }
    // The engine boots with the first connection and stays up while any is open: keep one.
    anchor = connect();
    version = queryText(anchor, "SELECT version()");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + arg);
      }
      int eq = arg.indexOf('=');
      options.put(
          eq < 0 ? arg.substring(2) : arg.substring(2, eq), eq < 0 ? "" : arg.substring(eq + 1));
    }
    ChdbServer server = new ChdbServer(options);
    int port = Integer.parseInt(options.getOrDefault("port", "0"));
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    ExecutorService workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "chdb-http");
              t.setDaemon(true);
              return t;
            });
    http.setExecutor(workers);
    http.createContext("/", server::handle);
    http.start();
    if (options.containsKey("exit-with-parent")) {
      // The launcher holds our stdin open; end of input means it is gone, even after a kill -9.
      Thread watcher =
          new Thread(
              () -> {
                try {
                  while (System.in.read() >= 0) {
                    // ignore input
                  }
                } catch (IOException e) {
                  // treat like end of input
                }
                System.exit(0);
              },
              "chdb-parent-watch");
      watcher.setDaemon(true);
      watcher.start();
    }
    // SIGTERM/SIGINT: stop accepting, give running requests a moment, then leave without running
    // libchdb's static destructors (they crash while engine threads are alive).
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  http.stop(1);
                  System.out.flush();
                  System.err.flush();
                  Chdb.exitImmediately(0);
                },
                "chdb-shutdown"));
    System.out.println(
        "hogbeam-chdb ready port=" + http.getAddress().getPort() + " version=" + server.version);
    System.out.flush();
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("--" + name + "=... is required");
    }
    return value;
  }

  private Chdb.Connection connect() {
    Chdb.Connection connection = chdb.connect(connectArgs);
    if (guard != null) {
      long before = guard.restoredTotal();
      if (guard.restoreIfChanged() > 0 && before == 0) {
        log.println(
            "hogbeam-chdb: re-installed JVM signal handlers changed by chDB (counted in /hogbeam/status)");
      }
    }
    return connection;
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /** A ClickHouse-style error: code, name and message become the response. */
  static final class ClickHouseError extends Exception {
    final int code;

    ClickHouseError(int code, String text) {
      super(text);
      this.code = code;
    }

    /** Wraps the engine's own text ({@code Code: N. DB::Exception: ...}). */
    static ClickHouseError fromEngine(String text) {
      Matcher m = ERROR_CODE.matcher(text);
      return new ClickHouseError(m.find() ? Integer.parseInt(m.group(1)) : 1001, text);
    }

    static ClickHouseError of(int code, String name, String message) {
      return new ClickHouseError(
          code, "Code: " + code + ". DB::Exception: " + message + ". (" + name + ")");
    }

    static ClickHouseError unsupported(String what) {
      return of(
          48, "NOT_IMPLEMENTED", "The hogbeam local engine front end does not support " + what);
    }
  }

  private static final class Request {
    final String method;
    final Map<String, String> params = new LinkedHashMap<>();
    final Map<String, byte[]> queryParameters = new LinkedHashMap<>();
    final List<String> roles = new ArrayList<>();
    final Headers headers;
    final String queryId;
    final boolean compress;

    Request(HttpExchange exchange) {
      method = exchange.getRequestMethod();
      headers = exchange.getRequestHeaders();
      String raw = exchange.getRequestURI().getRawQuery();
      if (raw != null) {
        for (String pair : raw.split("&")) {
          if (pair.isEmpty()) {
            continue;
          }
          int eq = pair.indexOf('=');
          String name = decode(eq < 0 ? pair : pair.substring(0, eq));
          String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
          if (name.startsWith("param_")) {
            queryParameters.put(name.substring(6), value.getBytes(StandardCharsets.UTF_8));
          } else if (name.equals("role")) {
            roles.add(value);
          } else {
            params.put(name, value);
          }
        }
      }
      String id = params.get("query_id");
      queryId = id == null || id.isEmpty() ? UUID.randomUUID().toString() : id;
      compress = "1".equals(params.get("compress"));
    }

    private static String decode(String s) {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /**
     * A header, or its RFC 5987 {@code name*} form (UTF-8''percent-encoded) that the driver uses
     * for non-ASCII values.
     */
    String header(String name) {
      String plain = headers.getFirst(name);
      if (plain != null) {
        return plain;
      }
      String extended = headers.getFirst(name + "*");
      if (extended != null && extended.regionMatches(true, 0, "UTF-8''", 0, 7)) {
        return decode(extended.substring(7).replace("+", "%2B"));
      }
      return extended;
    }

    String database() {
      String db = header("X-ClickHouse-Database");
      return db != null ? db : params.get("database");
    }

    String defaultFormat() {
      String format = header("X-ClickHouse-Format");
      if (format == null) {
        format = params.get("default_format");
      }
      return format == null || format.isEmpty() ? "TabSeparated" : format;
    }

    /** True only for an explicit wait_end_of_query=0 (or http_wait_end_of_query=0). */
    boolean streamingRequested() {
      String v = params.getOrDefault("wait_end_of_query", params.get("http_wait_end_of_query"));
      return v != null && (v.equals("0") || v.equalsIgnoreCase("false"));
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    Request request = null;
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/ping")) {
        sendText(exchange, 200, "Ok.\n");
        return;
      } else if (path.equals("/hogbeam/status")) {
        sendText(exchange, 200, status(exchange.getRequestURI().getRawQuery()));
        return;
      } else if (path.equals("/hogbeam/query_summary")) {
        String id = queryParameter(exchange.getRequestURI().getRawQuery(), "query_id");
        String summary = id == null ? null : summaries.get(id);
        sendText(
            exchange,
            summary == null ? 404 : 200,
            summary == null ? "no summary for query_id " + id + "\n" : summary);
        return;
      } else if (path.equals("/hogbeam/selftest/npe")) {
        sendText(exchange, 200, NpeSelfTest.run(this, exchange.getRequestURI().getRawQuery()));
        return;
      }
      request = new Request(exchange);
      try {
        if (!path.equals("/")) {
          throw ClickHouseError.of(
              1002,
              "UNKNOWN_EXCEPTION",
              "There is no handler "
                  + path
                  + " (the hogbeam local engine front end serves / and /ping)");
        }
        if (request.method.equals("GET") && !request.params.containsKey("query")) {
          sendText(exchange, 200, "Ok.\n");
          return;
        }
        if (!request.method.equals("GET") && !request.method.equals("POST")) {
          throw ClickHouseError.unsupported("HTTP method " + request.method);
        }
        execute(exchange, request);
      } catch (ClickHouseError e) {
        if (logRequests) {
          log.println("hogbeam-chdb: query " + request.queryId + " failed: " + e.getMessage());
        }
        sendError(exchange, request, e);
      }
    } catch (IOException | RuntimeException | Error e) {
      log.println("hogbeam-chdb: request failed: " + e);
      e.printStackTrace(log);
      if (request != null && !responseStarted(exchange)) {
        sendError(
            exchange,
            request,
            ClickHouseError.of(1001, "STD_EXCEPTION", "hogbeam local engine front end: " + e));
      }
    }
  }

  private static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.startsWith(name + "=")) {
        return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static boolean responseStarted(HttpExchange exchange) {
    return exchange.getResponseCode() != -1;
  }

  /** The statement's running figures, summed over streamed chunks. */
  private static final class Summary {
    long readRows;
    long readBytes;
    long writtenRows;
    long writtenBytes;
    long resultRows;
    long resultBytes;
    final long startNanos = System.nanoTime();

    void add(Chdb.Result r) {
      readRows += r.readRows();
      readBytes += r.readBytes();
      writtenRows += r.writtenRows();
      writtenBytes += r.writtenBytes();
      resultRows += r.resultRows();
      resultBytes += r.resultBytes();
    }

    /**
     * ClickHouse's X-ClickHouse-Summary; total_rows_to_read equals read_rows once the query is
     * done.
     */
    String json() {
      return "{\"read_rows\":\""
          + readRows
          + "\",\"read_bytes\":\""
          + readBytes
          + "\",\"written_rows\":\""
          + writtenRows
          + "\",\"written_bytes\":\""
          + writtenBytes
          + "\",\"total_rows_to_read\":\""
          + readRows
          + "\",\"result_rows\":\""
          + resultRows
          + "\",\"result_bytes\":\""
          + resultBytes
          + "\",\"elapsed_ns\":\""
          + (System.nanoTime() - startNanos)
          + "\"}";
    }
  }

  private void execute(HttpExchange exchange, Request request) throws IOException, ClickHouseError {
    authenticate(request);
    if (request.params.containsKey("session_id")) {
      throw ClickHouseError.unsupported(
          "HTTP sessions (session_id): chDB has no sessions; send each statement on its own and"
              + " use plain tables instead of temporary ones");
    }
    if (!request.roles.isEmpty()) {
      throw ClickHouseError.unsupported(
          "roles (role=" + String.join(",", request.roles) + "): chDB has no access control");
    }
    if (request.params.containsKey("client_protocol_version")) {
      throw ClickHouseError.unsupported(
          "client_protocol_version: the Native format is sent in the engine's own revision only");
    }
    // The profile's settings first: the request's own override them, as on a server.
    Map<String, String> settings = new LinkedHashMap<>(profileSettings);
    for (Map.Entry<String, String> e : request.params.entrySet()) {
      String reason = IGNORED_PARAMS.get(e.getKey());
      if (reason != null) {
        if (loggedIgnored.add(e.getKey())) {
          log.println("hogbeam-chdb: ignoring URL parameter " + e.getKey() + ": " + reason);
        }
      } else if (!PROTOCOL_PARAMS.contains(e.getKey())) {
        settings.put(e.getKey(), e.getValue());
      }
    }
    if ("1".equals(request.params.get("enable_http_compression"))) {
      checkHttpCompression(request);
    }
    String database = request.database();
    String defaultFormat = request.defaultFormat();
    Summary summary = new Summary();
    queries.incrementAndGet();
    try (SpillBuffer sql = readQuery(exchange, request);
        Chdb.Connection connection = connect()) {
      if (logRequests) {
        log.println(
            "hogbeam-chdb: "
                + request.method
                + " query "
                + request.queryId
                + " params="
                + redacted(request.params)
                + " format="
                + defaultFormat
                + " database="
                + database
                + " compress="
                + request.compress
                + " headers="
                + request.headers.keySet()
                + " sql="
                + excerpt(sql));
      }
      if (sql.size() == 0) {
        throw ClickHouseError.of(62, "SYNTAX_ERROR", "Empty query");
      }
      try (NativeBytes text = sql.toNative()) {
        executeStatement(
            exchange, request, connection, text, settings, database, defaultFormat, summary);
      }
    }
  }

  private void executeStatement(
      HttpExchange exchange,
      Request request,
      Chdb.Connection connection,
      NativeBytes text,
      Map<String, String> settings,
      String database,
      String defaultFormat,
      Summary summary)
      throws IOException, ClickHouseError {
    if (database != null && !database.isEmpty() && !database.equals("default")) {
      runQuietly(connection, "USE " + quoteIdentifier(database));
    }
    if (!settings.isEmpty()) {
      runQuietly(connection, setStatement(settings));
    }
    int[] classified = connection.classify(text);
    if (classified[0] > 1) {
      throw ClickHouseError.of(
          62, "SYNTAX_ERROR", "Syntax error (Multi-statements are not allowed)");
    }
    boolean readOnly = classified[1] == Chdb.CLASS_READ_ONLY;
    if (request.method.equals("GET") && !readOnly && classified[1] != Chdb.CLASS_UNKNOWN) {
      throw ClickHouseError.of(
          164,
          "READONLY",
          "Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly."
              + " You should use method POST for modifying queries");
    }
    String format = defaultFormat;
    if (readOnly) {
      byte[] head = text.head(1 << 20);
      String clause = OutputFormats.formatClause(head, head.length);
      if (clause != null) {
        format = clause;
      }
    }
    ResultWriter writer = new ResultWriter(exchange, request, format, summary);
    try {
      OutputFormats.Stitch stitch = OutputFormats.stitch(format);
      // Streaming only when asked for (wait_end_of_query=0): chDB's streamed chunks undercount
      // the rows read, so only a statement run to completion yields an exact summary.
      boolean streamed =
          request.streamingRequested()
              && readOnly
              && stitch != OutputFormats.Stitch.NONE
              && !"1".equals(settings.get("output_format_binary_encode_types_in_binary_format"))
              && stream(
                  connection,
                  text,
                  defaultFormat,
                  request.queryParameters,
                  stitch,
                  writer,
                  summary);
      if (!streamed) {
        try (Chdb.Result result = connection.query(text, defaultFormat, request.queryParameters)) {
          failOnError(result);
          summary.add(result);
          writer.sendComplete(result.data());
        }
      }
    } catch (ClickHouseError e) {
      if (!writer.abortIfStreaming(e)) {
        throw e;
      }
    }
  }

  /**
   * Streams a SELECT chunk by chunk; returns false (having run nothing) if chDB cannot stream this
   * statement, so the caller runs it unstreamed.
   */
  private boolean stream(
      Chdb.Connection connection,
      NativeBytes text,
      String defaultFormat,
      Map<String, byte[]> parameters,
      OutputFormats.Stitch stitch,
      ResultWriter writer,
      Summary summary)
      throws IOException, ClickHouseError {
    try (Chdb.Result stream = connection.streamQuery(text, defaultFormat, parameters)) {
      String error = stream.error();
      if (error != null) {
        if (error.startsWith("Code: 36.") && error.contains("Streaming query is not supported")) {
          return false;
        }
        throw ClickHouseError.fromEngine(error);
      }
      byte[] header = null;
      byte[] buffer = new byte[1 << 20];
      boolean done = false;
      try {
        while (true) {
          try (Chdb.Result chunk = connection.fetch(stream)) {
            String chunkError = chunk.error();
            if (chunkError != null) {
              done = true; // the engine ended the stream itself
              throw ClickHouseError.fromEngine(chunkError);
            }
            NativeBytes data = chunk.data();
            summary.add(chunk);
            if (data.size() == 0) {
              done = true;
              writer.finishStream();
              return true;
            }
            long skip = 0;
            if (stitch != OutputFormats.Stitch.CONCATENATE) {
              int probe = (int) Math.min(data.size(), buffer.length);
              data.read(0, buffer, 0, probe);
              if (header == null) {
                int length = OutputFormats.headerLength(stitch, buffer, probe);
                if (length < 0) {
                  throw ClickHouseError.of(
                      1001,
                      "STD_EXCEPTION",
                      "hogbeam local engine front end: cannot find the end of the "
                          + stitch
                          + " header in the first 1 MiB of a streamed chunk");
                }
                header = java.util.Arrays.copyOf(buffer, length);
              } else {
                if (!OutputFormats.startsWith(buffer, probe, header)) {
                  throw ClickHouseError.of(
                      1001,
                      "STD_EXCEPTION",
                      "hogbeam local engine front end: a streamed chunk does not repeat the result header it expected");
                }
                skip = header.length;
              }
            }
            writer.writeChunk(data.slice(skip));
          }
        }
      } finally {
        if (!done) {
          connection.cancel(stream);
        }
      }
    }
  }

  private void failOnError(Chdb.Result result) throws ClickHouseError {
    String error = result.error();
    if (error != null) {
      throw ClickHouseError.fromEngine(error);
    }
  }

  private void runQuietly(Chdb.Connection connection, String sql) throws ClickHouseError {
    try (NativeBytes text = NativeBytes.of(sql.getBytes(StandardCharsets.UTF_8));
        Chdb.Result result = connection.query(text, "TabSeparated", Map.of())) {
      failOnError(result);
    }
  }

  private String queryText(Chdb.Connection connection, String sql) {
    try (NativeBytes text = NativeBytes.of(sql.getBytes(StandardCharsets.UTF_8));
        Chdb.Result result = connection.query(text, "TabSeparated", Map.of())) {
      String error = result.error();
      if (error != null) {
        throw new IllegalStateException(error);
      }
      NativeBytes data = result.data();
      return new String(data.head((int) data.size()), StandardCharsets.UTF_8).trim();
    }
  }

  static String quoteIdentifier(String name) {
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`";
  }

  static String quoteString(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** {@code name=value,name=value} (empty: none), in order. */
  static Map<String, String> parseSettings(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--profile-settings: not name=value: " + pair);
      }
      out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return out;
  }

  /**
   * URL settings become one SET statement; the engine refuses unknown names and bad values itself.
   */
  static String setStatement(Map<String, String> settings) throws ClickHouseError {
    StringBuilder sb = new StringBuilder("SET ");
    for (Map.Entry<String, String> e : settings.entrySet()) {
      if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_.]*")) {
        throw ClickHouseError.of(115, "UNKNOWN_SETTING", "Unknown setting '" + e.getKey() + "'");
      }
      if (sb.length() > 4) {
        sb.append(", ");
      }
      sb.append(e.getKey()).append(" = ").append(quoteString(e.getValue()));
    }
    return sb.toString();
  }

  private void authenticate(Request request) throws ClickHouseError {
    String givenUser = request.header("X-ClickHouse-User");
    String givenPassword = request.header("X-ClickHouse-Key");
    String authorization = request.headers.getFirst("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      String decoded =
          new String(
              Base64.getDecoder().decode(authorization.substring(6).trim()),
              StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      givenUser = colon < 0 ? decoded : decoded.substring(0, colon);
      givenPassword = colon < 0 ? "" : decoded.substring(colon + 1);
    }
    if (givenUser == null) {
      givenUser = request.params.get("user");
    }
    if (givenPassword == null) {
      givenPassword = request.params.get("password");
    }
    String u = givenUser == null || givenUser.isEmpty() ? "default" : givenUser;
    String p = givenPassword == null ? "" : givenPassword;
    if (!u.equals(user) || !p.equals(password)) {
      throw ClickHouseError.of(
          516,
          "AUTHENTICATION_FAILED",
          u + ": Authentication failed: password is incorrect, or there is no user with such name");
    }
  }

  private static void checkHttpCompression(Request request) throws ClickHouseError {
    String accept = request.headers.getFirst("Accept-Encoding");
    if (accept == null) {
      return;
    }
    for (String encoding : accept.split(",")) {
      String e = encoding.trim().toLowerCase(Locale.ROOT);
      int semicolon = e.indexOf(';');
      e = semicolon < 0 ? e : e.substring(0, semicolon).trim();
      if (!e.isEmpty() && !e.equals("gzip") && !e.equals("deflate") && !e.equals("identity")) {
        throw ClickHouseError.unsupported(
            "HTTP response compression '"
                + e
                + "' (enable_http_compression=1): use gzip or deflate,"
                + " or ClickHouse's own block compression (compress=1, the driver's default)");
      }
    }
  }

  private static String excerpt(SpillBuffer sql) throws IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
    OutputStream limited =
        new OutputStream() {
          @Override
          public void write(int b) {
            if (head.size() < 300) {
              head.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            head.write(b, off, Math.max(0, Math.min(len, 300 - head.size())));
          }
        };
    if (sql.size() < 1 << 20) {
      sql.writeTo(limited);
    }
    return head.toString(StandardCharsets.UTF_8).replace("\n", "\\n")
        + (sql.size() > 300 ? "... (" + sql.size() + " bytes)" : "");
  }

  private static Map<String, String> redacted(Map<String, String> params) {
    Map<String, String> copy = new LinkedHashMap<>(params);
    copy.computeIfPresent("password", (k, v) -> "***");
    copy.computeIfPresent("query", (k, v) -> v.length() > 200 ? v.substring(0, 200) + "..." : v);
    return copy;
  }

  /**
   * The statement text: the {@code query} parameter, then (for POST) the body, ClickHouse-style.
   */
  private SpillBuffer readQuery(HttpExchange exchange, Request request)
      throws IOException, ClickHouseError {
    SpillBuffer sql = new SpillBuffer(bufferBytes, spillDirectory);
    try {
      String query = request.params.get("query");
      if (query != null) {
        byte[] b = query.getBytes(StandardCharsets.UTF_8);
        sql.write(b, 0, b.length);
      }
      if (request.method.equals("POST")) {
        InputStream in = requestBody(exchange, request);
        byte[] chunk = new byte[1 << 16];
        int n = in.read(chunk);
        if (n > 0 && query != null) {
          // Inline data (INSERT ... FORMAT X) starts after the first newline following the query.
          sql.close();
          sql = new SpillBuffer(bufferBytes, spillDirectory);
          byte[] b = (query.stripTrailing() + "\n").getBytes(StandardCharsets.UTF_8);
          sql.write(b, 0, b.length);
        }
        while (n >= 0) {
          sql.write(chunk, 0, n);
          n = in.read(chunk);
        }
      }
      return sql;
    } catch (CompressedBlocks.CorruptBlockException e) {
      sql.close();
      throw new ClickHouseError(e.code, "Code: " + e.code + ". DB::Exception: " + e.getMessage());
    } catch (IOException | RuntimeException | ClickHouseError e) {
      sql.close();
      throw e;
    }
  }

  private static InputStream requestBody(HttpExchange exchange, Request request)
      throws IOException, ClickHouseError {
    InputStream in = exchange.getRequestBody();
    String encoding = request.headers.getFirst("Content-Encoding");
    if (encoding != null && !encoding.isBlank()) {
      switch (encoding.trim().toLowerCase(Locale.ROOT)) {
        case "gzip":
          in = new GZIPInputStream(in, 1 << 16);
          break;
        case "deflate":
          in = new InflaterInputStream(in);
          break;
        case "identity":
          break;
        default:
          throw ClickHouseError.unsupported(
              "request Content-Encoding '"
                  + encoding
                  + "': send gzip, deflate, ClickHouse block"
                  + " compression (decompress=1 with LZ4), or an uncompressed body");
      }
    }
    String contentType = request.headers.getFirst("Content-Type");
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      throw ClickHouseError.unsupported(
          "multipart request bodies (external tables / form-encoded queries)");
    }
    if ("1".equals(request.params.get("decompress"))) {
      in = new CompressedBlocks.Reader(in);
    }
    return in;
  }

  // ---------------------------------------------------------------------------------------------
  // Responses

  /**
   * Writes a result: either complete (the statement has finished, so the summary header is final;
   * the body is compressed on the fly from the engine's buffer) or, for wait_end_of_query=0,
   * streamed chunk by chunk with the headers sent before the first one, like ClickHouse.
   */
  private final class ResultWriter {
    private final HttpExchange exchange;
    private final Request request;
    private final String format;
    private final Summary summary;
    private final byte[] copy = new byte[1 << 20];
    private final String httpEncoding;
    private OutputStream stream;

    ResultWriter(HttpExchange exchange, Request request, String format, Summary summary) {
      this.exchange = exchange;
      this.request = request;
      this.format = format;
      this.summary = summary;
      this.httpEncoding = httpEncoding(request);
    }

    void sendComplete(NativeBytes data) throws IOException {
      String json = summary.json();
      summaries.put(request.queryId, json);
      long size = data.size();
      if (size == 0) {
        sendHeaders(-1, json);
        return;
      }
      sendHeaders(request.compress || httpEncoding != null ? 0 : size, json);
      long sendStart = System.nanoTime();
      try (OutputStream out =
          encoder(new BufferedOutputStream(exchange.getResponseBody(), 1 << 16))) {
        copy(data, out);
      }
      if (logRequests) {
        log.println(
            "hogbeam-chdb: query "
                + request.queryId
                + " sent "
                + size
                + " bytes in "
                + (System.nanoTime() - sendStart) / 1_000_000
                + " ms after "
                + json);
      }
    }

    void writeChunk(NativeBytes data) throws IOException {
      if (stream == null) {
        sendHeaders(0, summary.json());
        stream = encoder(new BufferedOutputStream(exchange.getResponseBody(), 1 << 16));
      }
      copy(data, stream);
    }

    void finishStream() throws IOException {
      summaries.put(request.queryId, summary.json());
      if (stream == null) {
        sendHeaders(-1, summary.json());
      } else {
        stream.close();
      }
    }

    private void copy(NativeBytes data, OutputStream out) throws IOException {
      long size = data.size();
      for (long offset = 0; offset < size; offset += copy.length) {
        int n = (int) Math.min(copy.length, size - offset);
        data.read(offset, copy, 0, n);
        out.write(copy, 0, n);
      }
    }

    private OutputStream encoder(OutputStream out) throws IOException {
      OutputStream o = out;
      if ("gzip".equals(httpEncoding)) {
        o = new GZIPOutputStream(o, 1 << 16);
      } else if ("deflate".equals(httpEncoding)) {
        o = new DeflaterOutputStream(o);
      }
      return request.compress ? new CompressedBlocks.Writer(o) : o;
    }

    /**
     * After headers went out, an error can only be appended to the body (ClickHouse does the same).
     */
    boolean abortIfStreaming(ClickHouseError e) throws IOException {
      if (stream == null) {
        return false;
      }
      byte[] text =
          ("\n" + e.getMessage() + " (version " + version + ")\n").getBytes(StandardCharsets.UTF_8);
      stream.write(text, 0, text.length);
      stream.close();
      return true;
    }

    private void sendHeaders(long length, String summaryJson) throws IOException {
      Headers h = exchange.getResponseHeaders();
      commonHeaders(h, request);
      h.set("Content-Type", OutputFormats.contentType(format));
      h.set("X-ClickHouse-Format", format);
      h.set("X-ClickHouse-Summary", summaryJson);
      if (httpEncoding != null && length != -1) {
        h.set("Content-Encoding", httpEncoding);
      }
      exchange.sendResponseHeaders(200, length);
    }
  }

  /** gzip or deflate when the client enabled HTTP compression and accepts one; null otherwise. */
  private static String httpEncoding(Request request) {
    if (!"1".equals(request.params.get("enable_http_compression"))) {
      return null;
    }
    String accept = request.headers.getFirst("Accept-Encoding");
    String a = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
    return a.contains("gzip") ? "gzip" : a.contains("deflate") ? "deflate" : null;
  }

  private void commonHeaders(Headers h, Request request) {
    h.set("X-ClickHouse-Server-Display-Name", DISPLAY_NAME);
    h.set("X-ClickHouse-Query-Id", request.queryId);
    h.set("X-ClickHouse-Timezone", request.params.getOrDefault("session_timezone", "UTC"));
    h.set("Keep-Alive", "timeout=10");
  }

  private void sendError(HttpExchange exchange, Request request, ClickHouseError e)
      throws IOException {
    if (responseStarted(exchange)) {
      return;
    }
    // Read what is left of the request first: a response before the whole body is read makes the
    // HTTP server close the connection, which the client only notices on its next request.
    try {
      exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
    } catch (IOException ignored) {
      // the connection is gone anyway
    }
    String text = e.getMessage() + " (version " + version + ")\n";
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    Headers h = exchange.getResponseHeaders();
    commonHeaders(h, request);
    h.set("Content-Type", "text/plain; charset=UTF-8");
    h.set("X-ClickHouse-Exception-Code", String.valueOf(e.code));
    int status = httpStatus(e.code);
    // ClickHouse compresses the exception text too when the client asked for compress=1.
    if (request.compress && status != 401 && status != 403) {
      java.io.ByteArrayOutputStream framed = new java.io.ByteArrayOutputStream();
      try (CompressedBlocks.Writer w = new CompressedBlocks.Writer(framed)) {
        w.write(body, 0, body.length);
      }
      body = framed.toByteArray();
    }
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The HTTP status ClickHouse answers for an error code (the common cases). */
  static int httpStatus(int code) {
    switch (code) {
      case 516:
      case 194:
      case 195:
        return 401;
      case 497:
      case 164:
        return 403;
      case 62:
      case 27:
      case 6:
      case 36:
      case 41:
      case 42:
      case 43:
      case 44:
      case 47:
      case 53:
      case 69:
      case 70:
      case 72:
      case 115:
      case 117:
      case 125:
      case 130:
      case 131:
      case 135:
      case 159:
      case 394:
      case 456:
      case 457:
      case 26:
      case 38:
      case 33:
        return 400;
      case 60:
      case 81:
      case 46:
      case 290:
        return 404;
      case 48:
        return 501;
      case 202:
        return 503;
      default:
        return 500;
    }
  }

  private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=UTF-8");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Diagnostics

  /** JSON with heap figures and counters; {@code ?reset_peak=1} resets the heap peak first. */
  private String status(String rawQuery) {
    List<MemoryPoolMXBean> heapPools = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool);
      }
    }
    if ("1".equals(queryParameter(rawQuery, "reset_peak"))) {
      System.gc();
      heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
      resetResidentPeak();
    }
    long peak = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    Runtime rt = Runtime.getRuntime();
    return "{\"version\":\""
        + version
        + "\",\"heap_max_bytes\":"
        + rt.maxMemory()
        + ",\"heap_used_bytes\":"
        + (rt.totalMemory() - rt.freeMemory())
        + ",\"heap_peak_bytes\":"
        + peak
        + ",\"rss_bytes\":"
        + procStatus("VmRSS")
        + ",\"rss_peak_bytes\":"
        + procStatus("VmHWM")
        + ",\"queries\":"
        + queries.get()
        + ",\"signal_guard\":"
        + (guard != null)
        + ",\"signal_handlers_restored\":"
        + (guard == null ? 0 : guard.restoredTotal())
        + "}\n";
  }

  /** A memory figure of this process from /proc/self/status, in bytes (-1 if unavailable). */
  private static long procStatus(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** Resets the kernel's resident-set high-water mark (VmHWM) of this process. */
  private static void resetResidentPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException e) {
      // not permitted here: the peak then covers the whole process lifetime
    }
  }

  /**
   * Proves the signal trap is handled: while the engine runs a query on another thread, provokes
   * NullPointerExceptions in JIT-compiled code. With chDB's handlers in place the first one hangs
   * the process; with the JVM's handlers it finishes in milliseconds.
   */
  static final class NpeSelfTest {
    private NpeSelfTest() {}

    static String run(ChdbServer server, String rawQuery) {
      int iterations = 2_000_000;
      String requested = queryParameter(rawQuery, "iterations");
      if (requested != null) {
        iterations = Integer.parseInt(requested);
      }
      long[] queryRows = {-1};
      Thread query =
          new Thread(
              () -> {
                try (Chdb.Connection c = server.connect()) {
                  queryRows[0] =
                      Long.parseLong(
                          server.queryText(
                              c,
                              "SELECT count() FROM numbers(20000000) WHERE NOT ignore(cityHash64(number))"));
                }
              },
              "npe-selftest-query");
      long start = System.nanoTime();
      query.start();
      // Warm up with non-null values only, so the JIT compiles the dereference as an implicit
      // null check (a SIGSEGV-based one), then feed it nulls.
      String[] values = {"hogbeam", "chdb"};
      long sum = 0;
      for (int i = 0; i < 200_000; i++) {
        sum += lengthOrMinusOne(values[i & 1]);
      }
      String[] withNull = {"hogbeam", null};
      long npes = 0;
      for (int i = 0; i < iterations; i++) {
        if (lengthOrMinusOne(withNull[i & 1]) < 0) {
          npes++;
        }
      }
      try {
        query.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      return "{\"iterations\":"
          + iterations
          + ",\"npes\":"
          + npes
          + ",\"warmup_sum\":"
          + sum
          + ",\"query_rows\":"
          + queryRows[0]
          + ",\"millis\":"
          + millis
          + "}\n";
    }

    private static int lengthOrMinusOne(String s) {
      try {
        return s.length();
      } catch (NullPointerException e) {
        return -1;
      }
    }
  }
}
