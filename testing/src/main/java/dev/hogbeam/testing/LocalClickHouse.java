package dev.hogbeam.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.CodeSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, current ClickHouse for tests, development, the demo and the benchmarks: the ClickHouse
 * 26.7 engine as a library (libchdb, from npm) behind a small HTTP front end that speaks
 * ClickHouse's HTTP interface, so the official JDBC driver talks to it exactly as to a server.
 *
 * <p>{@link #start()} installs the engine on first use into a cache directory ({@code
 * $HOGBEAM_CACHE}, default {@code ~/.cache/hogbeam}) and runs the front end ({@code
 * dev.hogbeam.testing.chdb.ChdbServer}, which calls libchdb through JNA) as a child process: the
 * same {@code java} as the caller, on a classpath of this module's classes and JNA, bound to
 * 127.0.0.1 on a free port. A native crash kills that process, never the caller's JVM.
 *
 * <p>If {@code HOGBEAM_CLICKHOUSE_URL} is set (a {@code jdbc:clickhouse://} or {@code http://} URL,
 * with {@code HOGBEAM_CLICKHOUSE_USER} / {@code HOGBEAM_CLICKHOUSE_PASSWORD}), that server is used
 * instead and nothing is started: the same tests then run against a real ClickHouse. Tests should
 * work in a database of their own ({@link #createDatabase(String)}) so runs never clash on a shared
 * server.
 *
 * <p>No JUnit dependency: the demo ({@code runners/}) and the benchmarks ({@code benchmarks/}) use
 * it at run time. Installing is guarded by a file lock plus an atomic rename, so concurrent JVMs
 * (parallel Maven modules) share one installation.
 */
public final class LocalClickHouse implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalClickHouse.class);

  /** The npm package holding libchdb.so, pinned: its {@code latest} tag is an older build. */
  public static final String ENGINE_PACKAGE = "@chdb/lib-linux-x64-gnu";

  public static final String ENGINE_VERSION = "26.7.3-stable.1";

  public static final String ENV_URL = "HOGBEAM_CLICKHOUSE_URL";
  public static final String ENV_USER = "HOGBEAM_CLICKHOUSE_USER";
  public static final String ENV_PASSWORD = "HOGBEAM_CLICKHOUSE_PASSWORD";
  public static final String ENV_CACHE = "HOGBEAM_CACHE";

  private static final String FRONT_END_MAIN = "dev.hogbeam.testing.chdb.ChdbServer";

  /** Classes whose jars (or class directories) make the front end's classpath. */
  private static final List<String> FRONT_END_CLASSPATH =
      List.of(FRONT_END_MAIN, "com.sun.jna.Native");

  private static final Pattern READY =
      Pattern.compile("^hogbeam-chdb ready port=(\\d+) version=(\\S+)");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(15);
  private static final String PID_FILE = "frontend.pid";

  private static LocalClickHouse shared;

  private final String jdbcUrl;
  private final String httpUrl;
  private final String user;
  private final String password;
  private final String version;
  private final Process process;
  private final Path instanceDirectory;
  private final boolean deleteInstanceDirectory;
  private final Thread shutdownHook;
  private volatile boolean closed;
  private volatile boolean sharedInstance;

  private LocalClickHouse(
      String jdbcUrl,
      String httpUrl,
      String user,
      String password,
      String version,
      Process process,
      Path instanceDirectory,
      boolean deleteInstanceDirectory) {
    this.jdbcUrl = jdbcUrl;
    this.httpUrl = httpUrl;
    this.user = user;
    this.password = password;
    this.version = version;
    this.process = process;
    this.instanceDirectory = instanceDirectory;
    this.deleteInstanceDirectory = deleteInstanceDirectory;
    this.shutdownHook =
        process == null ? null : new Thread(this::close, "local-clickhouse-shutdown");
    if (shutdownHook != null) {
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
  }

  /** The engine (or the server named by {@code HOGBEAM_CLICKHOUSE_URL}) with default settings. */
  public static LocalClickHouse start() {
    return builder().start();
  }

  /**
   * One instance per JVM, started on first use and stopped when the JVM exits: starting one per
   * test class wastes seconds. Tests sharing it should each use their own database. Its {@link
   * #close()} does nothing, so a test cannot stop it under the others.
   */
  public static synchronized LocalClickHouse shared() {
    if (shared == null || shared.closed) {
      shared = start();
      shared.sharedInstance = true;
    }
    return shared;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Options of the local engine; {@link #start()} ignores them when {@code HOGBEAM_CLICKHOUSE_URL}
   * is set.
   */
  public static final class Builder {
    private Path dataDirectory;
    private int port;
    private String frontEndHeap = "512m";
    private int memoryBufferBytes = 16 << 20;
    private String user = "default";
    private String password = "";
    private boolean keepEngineSignalHandlers;
    private boolean logRequests;
    private final Map<String, String> profileSettings = new LinkedHashMap<>();

    private Builder() {}

    /** Keep the data in this directory (persistent across starts); default: a temporary one. */
    public Builder dataDirectory(Path dataDirectory) {
      this.dataDirectory = dataDirectory;
      return this;
    }

    /** Listen on this port; default 0: a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /** Maximum heap of the front-end process (a -Xmx value), default 512m. */
    public Builder frontEndHeap(String xmx) {
      if (!xmx.matches("\\d+[kKmMgG]?")) {
        throw new IllegalArgumentException("frontEndHeap must look like 512m, but was " + xmx);
      }
      this.frontEndHeap = xmx;
      return this;
    }

    /**
     * Request-body bytes (INSERT data) the front end keeps in its heap before spilling to a
     * temporary file (16 MiB).
     */
    public Builder memoryBufferBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("memoryBufferBytes must be >= 1024, but was " + bytes);
      }
      this.memoryBufferBytes = bytes;
      return this;
    }

    /** The only credentials the front end accepts; default user {@code default}, empty password. */
    public Builder credentials(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    /**
     * Settings of the user's profile, as a ClickHouse server's {@code <profiles>} would give them:
     * applied to every statement unless the request or the statement's {@code SETTINGS} clause sets
     * them otherwise. E.g. {@code max_result_rows=100, result_overflow_mode=break} to see what a
     * client makes of results a server cuts short. Names and values must not contain commas.
     */
    public Builder profileSetting(String name, String value) {
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") || value.contains(",")) {
        throw new IllegalArgumentException("not a profile setting: " + name + "=" + value);
      }
      profileSettings.put(name, value);
      return this;
    }

    /** Logs every request (without passwords) to the front end's log file. */
    public Builder logRequests(boolean logRequests) {
      this.logRequests = logRequests;
      return this;
    }

    /**
     * Only for the test that demonstrates the signal trap: leaves chDB's signal handlers in place.
     */
    Builder keepEngineSignalHandlers() {
      this.keepEngineSignalHandlers = true;
      return this;
    }

    /** Connects to {@code HOGBEAM_CLICKHOUSE_URL} if set, else starts the local engine. */
    public LocalClickHouse start() {
      String external = System.getenv(ENV_URL);
      if (external != null && !external.isBlank()) {
        return external(external.trim());
      }
      return startLocal();
    }

    /** Always starts the local engine, whatever the environment says. */
    public LocalClickHouse startLocal() {
      try {
        return launch(this);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "could not start the local ClickHouse engine: " + e.getMessage(), e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Accessors

  /** {@code jdbc:clickhouse://127.0.0.1:PORT} (or the external server's JDBC URL). */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** The same server with {@code database} as the connection's database. */
  public String jdbcUrl(String database) {
    URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return "jdbc:" + uri.getScheme() + "://" + uri.getRawAuthority() + "/" + database + query;
  }

  /** {@code http://127.0.0.1:PORT}: ClickHouse's HTTP interface. */
  public String httpUrl() {
    return httpUrl;
  }

  public String user() {
    return user;
  }

  /** The password, empty for the local engine. Never log it. */
  public String password() {
    return password;
  }

  /** The ClickHouse version string of the engine (e.g. 26.7.2.1). */
  public String version() {
    return version;
  }

  /** True when this is the server from {@code HOGBEAM_CLICKHOUSE_URL}, not the local engine. */
  public boolean isExternal() {
    return process == null;
  }

  /** A JDBC connection as {@link #user()}, through the official driver. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, credentials());
  }

  /** A JDBC connection whose default database is {@code database}. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), credentials());
  }

  private Properties credentials() {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    return p;
  }

  /**
   * Creates a database named {@code prefix} plus a random suffix and returns its name, so tests
   * sharing a server (or the shared local engine) never collide.
   */
  public String createDatabase(String prefix) {
    if (!prefix.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("prefix must be a plain identifier, but was " + prefix);
    }
    String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute("CREATE DATABASE " + name);
    return name;
  }

  public void dropDatabase(String database) {
    execute("DROP DATABASE IF EXISTS `" + database.replace("`", "\\`") + "`");
  }

  /** Runs one statement through the JDBC driver. */
  public void execute(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("ClickHouse statement failed: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Read amplification

  /**
   * What ClickHouse reported for the query with this id: rows and bytes read from storage, rows
   * returned, rows written, elapsed time. Get the id of a JDBC statement's last query with {@link
   * QuerySummary#lastQueryId(Statement)}. The local engine answers from the summaries it sent in
   * {@code X-ClickHouse-Summary} (it keeps the last 100,000); a real server answers from {@code
   * system.query_log}.
   */
  public QuerySummary summaryOf(String queryId) {
    return isExternal() ? summaryFromQueryLog(queryId) : summaryFromFrontEnd(queryId);
  }

  /** {@link #summaryOf(String)} of the last query {@code statement} ran. */
  public QuerySummary summaryOfLastQuery(Statement statement) throws SQLException {
    return summaryOf(QuerySummary.lastQueryId(statement));
  }

  private QuerySummary summaryFromFrontEnd(String queryId) {
    String body =
        httpGet(
            "/hogbeam/query_summary?query_id="
                + URLEncoder.encode(queryId, StandardCharsets.UTF_8));
    return QuerySummary.fromSummaryJson(queryId, body);
  }

  private QuerySummary summaryFromQueryLog(String queryId) {
    try (Connection c = connect()) {
      try (Statement s = c.createStatement()) {
        s.execute("SYSTEM FLUSH LOGS");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT read_rows, read_bytes, result_rows, written_rows, query_duration_ms"
                  + " FROM system.query_log WHERE query_id = ? AND type = 'QueryFinish'"
                  + " ORDER BY event_time_microseconds DESC LIMIT 1")) {
        ps.setString(1, queryId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException(
                "system.query_log has no finished query with id " + queryId);
          }
          return new QuerySummary(
              queryId,
              rs.getLong(1),
              rs.getLong(2),
              rs.getLong(3),
              rs.getLong(4),
              rs.getLong(5) * 1_000_000L);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not read system.query_log: " + e.getMessage(), e);
    }
  }

  /** GET on the front end's own diagnostics ({@code /hogbeam/...}); local engine only. */
  String httpGet(String pathAndQuery) {
    if (isExternal()) {
      throw new IllegalStateException(
          "the front end's diagnostics exist only for the local engine");
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    try {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(httpUrl + pathAndQuery))
                  .timeout(Duration.ofMinutes(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "GET " + pathAndQuery + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      close(client);
    }
  }

  private static void close(HttpClient client) {
    // HttpClient is AutoCloseable only from Java 21 on; on 17 its threads end when it is collected.
    if (client instanceof AutoCloseable) {
      try {
        ((AutoCloseable) client).close();
      } catch (Exception e) {
        // nothing to do
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Stops the front end (and the engine in it) and deletes its temporary data. Idempotent; does
   * nothing for the {@link #shared()} instance, which stops when the JVM exits.
   */
  @Override
  public void close() {
    if (closed || (sharedInstance && Thread.currentThread() != shutdownHook)) {
      return;
    }
    closed = true;
    if (process == null) {
      return;
    }
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down
      }
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (deleteInstanceDirectory) {
      deleteRecursively(instanceDirectory);
    }
  }

  /** The front end's process id (local engine only). */
  long frontEndPid() {
    if (process == null) {
      throw new IllegalStateException("no front end: this is an external server");
    }
    return process.pid();
  }

  /** Kills the front end with SIGKILL at once (for a front end known to hang); then cleans up. */
  void killForcibly() {
    if (process != null) {
      process.destroyForcibly();
    }
    close();
  }

  /**
   * Runs the local engine until killed, for developers: {@code --port=N} (default 8123) and {@code
   * --path=DIR} (persistent data; default a temporary directory). Prints the URLs.
   */
  public static void main(String[] args) throws Exception {
    Builder builder = builder().port(8123);
    for (String arg : args) {
      if (arg.startsWith("--port=")) {
        builder.port(Integer.parseInt(arg.substring("--port=".length())));
      } else if (arg.startsWith("--path=")) {
        builder.dataDirectory(Path.of(arg.substring("--path=".length())));
      } else if (arg.equals("--log-requests")) {
        builder.logRequests(true);
      } else {
        System.err.println("usage: LocalClickHouse [--port=8123] [--path=DIR] [--log-requests]");
        System.exit(2);
      }
    }
    LocalClickHouse clickHouse = builder.startLocal();
    System.out.println("ClickHouse " + clickHouse.version() + " (local engine) is up:");
    System.out.println("  JDBC: " + clickHouse.jdbcUrl() + "   (user default, empty password)");
    System.out.println(
        "  HTTP: "
            + clickHouse.httpUrl()
            + "   e.g. curl '"
            + clickHouse.httpUrl()
            + "/?query=SELECT+version()'");
    System.out.println("  log:  " + clickHouse.instanceDirectory.resolve("frontend.log"));
    System.out.println("Stop it with Ctrl-C.");
    clickHouse.process.waitFor();
  }

  // ---------------------------------------------------------------------------------------------
  // External server

  private static LocalClickHouse external(String url) {
    String[] urls = serverUrls(url);
    String jdbc = urls[0];
    String http = urls[1];
    String user = Optional.ofNullable(System.getenv(ENV_USER)).orElse("default");
    String password = Optional.ofNullable(System.getenv(ENV_PASSWORD)).orElse("");
    LocalClickHouse server = new LocalClickHouse(jdbc, http, user, password, "", null, null, false);
    try (Connection c = server.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version()")) {
      rs.next();
      return new LocalClickHouse(jdbc, http, user, password, rs.getString(1), null, null, false);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach the ClickHouse server named by "
              + ENV_URL
              + " ("
              + http
              + "): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * {jdbc URL, http base URL} of a server named by a {@code jdbc:clickhouse:} ({@code jdbc:ch:}) or
   * {@code http(s)://} URL.
   */
  static String[] serverUrls(String url) {
    if (url.startsWith("jdbc:clickhouse:") || url.startsWith("jdbc:ch:")) {
      String rest = url.substring(url.indexOf(':', 5) + 1);
      URI uri = URI.create(rest.startsWith("//") ? "http:" + rest : rest);
      return new String[] {url, uri.getScheme() + "://" + uri.getRawAuthority()};
    } else if (url.startsWith("http://") || url.startsWith("https://")) {
      URI uri = URI.create(url);
      return new String[] {
        "jdbc:clickhouse:" + url, uri.getScheme() + "://" + uri.getRawAuthority()
      };
    }
    throw new IllegalArgumentException(
        ENV_URL
            + " must be a jdbc:clickhouse://host:port or http(s)://host:port URL, but was "
            + url);
  }

  // ---------------------------------------------------------------------------------------------
  // Local engine: install, compile, launch

  private static LocalClickHouse launch(Builder options) throws IOException {
    long startNanos = System.nanoTime();
    Path cache = cacheDirectory();
    Path library = installEngine(cache);

    deleteAbandonedInstances();
    boolean temporary = options.dataDirectory == null;
    Path instance =
        temporary
            ? Files.createTempDirectory("hogbeam-clickhouse-")
            : options.dataDirectory.toAbsolutePath();
    Files.createDirectories(instance);
    Path data = temporary ? instance.resolve("data") : instance;
    Path tmp =
        temporary ? instance.resolve("tmp") : Files.createTempDirectory("hogbeam-clickhouse-tmp-");
    Files.createDirectories(tmp);
    Path log = temporary ? instance.resolve("frontend.log") : tmp.resolve("frontend.log");

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.frontEndHeap);
    command.add("-XX:+UseSerialGC");
    command.add("-XX:ErrorFile=" + cache.resolve("chdb/hs_err_pid%p.log"));
    command.add("-Duser.timezone=UTC");
    // JNA unpacks its native part (libjnidispatch) under the cache, with the engine.
    command.add("-Djna.tmpdir=" + cache.resolve("jna"));
    command.add("-cp");
    command.add(frontEndClasspath());
    command.add(FRONT_END_MAIN);
    command.add("--lib=" + library);
    command.add("--path=" + data);
    command.add("--tmp=" + tmp);
    command.add("--port=" + options.port);
    command.add("--buffer-bytes=" + options.memoryBufferBytes);
    command.add("--user=" + options.user);
    if (!options.password.isEmpty()) {
      command.add("--password=" + options.password);
    }
    if (options.keepEngineSignalHandlers) {
      command.add("--keep-engine-signal-handlers");
    }
    if (options.logRequests) {
      command.add("--log-requests");
    }
    if (!options.profileSettings.isEmpty()) {
      StringBuilder profile = new StringBuilder();
      options.profileSettings.forEach(
          (k, v) ->
              profile.append(profile.length() == 0 ? "" : ",").append(k).append('=').append(v));
      command.add("--profile-settings=" + profile);
    }
    command.add("--exit-with-parent");
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("TZ", "UTC");
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    Process process = pb.start();
    if (temporary) {
      Files.writeString(instance.resolve(PID_FILE), process.pid() + "\n");
    }
    Matcher ready = awaitReady(process, log);
    int port = Integer.parseInt(ready.group(1));
    String host = "127.0.0.1:" + port;
    LOG.info(
        "Local ClickHouse engine {} ready at http://{} in {} ms (data {}, log {})",
        ready.group(2),
        host,
        (System.nanoTime() - startNanos) / 1_000_000,
        data,
        log);
    return new LocalClickHouse(
        "jdbc:clickhouse://" + host,
        "http://" + host,
        options.user,
        options.password,
        ready.group(2),
        process,
        temporary ? instance : tmp,
        true);
  }

  /** Waits for the ready line; drains stdout afterwards so the child never blocks on it. */
  private static Matcher awaitReady(Process process, Path log) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Matcher> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  Matcher m = READY.matcher(line);
                  if (!ready.isDone() && m.find()) {
                    ready.complete(m);
                  }
                }
                ready.completeExceptionally(
                    new IOException("the front end exited with code " + process.waitFor()));
              } catch (IOException | InterruptedException e) {
                ready.completeExceptionally(e);
              }
            },
            "local-clickhouse-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return ready.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IOException(
          "the ClickHouse front end did not become ready within "
              + READY_TIMEOUT.toSeconds()
              + " s ("
              + (e instanceof ExecutionException ? e.getCause().getMessage() : "timeout")
              + "); its log "
              + log
              + " ends with:\n"
              + tail(log, 40),
          e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the ClickHouse front end", e);
    }
  }

  /**
   * Deletes temporary instance directories whose front end is no longer running (left behind when a
   * test JVM was killed before its shutdown hook ran).
   */
  static void deleteAbandonedInstances() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> dirs = Files.list(tmp)) {
      dirs.filter(d -> d.getFileName().toString().startsWith("hogbeam-clickhouse-"))
          .filter(d -> Files.isRegularFile(d.resolve(PID_FILE)))
          .filter(d -> !processAlive(d.resolve(PID_FILE)))
          .forEach(LocalClickHouse::deleteRecursively);
    } catch (IOException e) {
      LOG.debug("could not look for abandoned instances in {}", tmp, e);
    }
  }

  private static boolean processAlive(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return true; // unsure: leave it
    }
  }

  static Path cacheDirectory() {
    String env = System.getenv(ENV_CACHE);
    Path cache =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "hogbeam");
    return cache.toAbsolutePath();
  }

  /**
   * {@code npm install}s the pinned engine package into {@code <cache>/chdb/<version>} once, safely
   * when several JVMs start at the same time (see {@link #buildOnce}). Returns the path of
   * libchdb.so.
   */
  static Path installEngine(Path cache) throws IOException {
    Path target = cache.resolve("chdb").resolve(ENGINE_VERSION);
    Path relative = Path.of("node_modules", ENGINE_PACKAGE, "libchdb.so");
    String spec = ENGINE_PACKAGE + "@" + ENGINE_VERSION;
    buildOnce(
        target,
        staging -> {
          long startNanos = System.nanoTime();
          LOG.info(
              "Installing the local ClickHouse engine ({}, about 170 MB) into {}", spec, target);
          Path npmLog = staging.resolve("npm.log");
          Process npm;
          try {
            npm =
                new ProcessBuilder(
                        "npm",
                        "install",
                        "--no-save",
                        "--no-package-lock",
                        "--no-audit",
                        "--no-fund",
                        "--loglevel=error",
                        "--prefix",
                        staging.toString(),
                        spec)
                    .redirectErrorStream(true)
                    .redirectOutput(npmLog.toFile())
                    .start();
          } catch (IOException e) {
            throw new IOException(
                "installing the local ClickHouse engine needs npm (it downloads "
                    + spec
                    + ", about"
                    + " 170 MB, once), but npm could not be run: "
                    + e.getMessage()
                    + ". Install Node.js"
                    + " and npm, or set "
                    + ENV_URL
                    + " to use a ClickHouse server instead.",
                e);
          }
          if (!npm.waitFor(INSTALL_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
            npm.destroyForcibly();
            throw new IOException(
                "npm install "
                    + spec
                    + " did not finish within "
                    + INSTALL_TIMEOUT.toMinutes()
                    + " minutes");
          }
          if (npm.exitValue() != 0 || !Files.isRegularFile(staging.resolve(relative))) {
            throw new IOException(
                "npm install "
                    + spec
                    + " failed (exit code "
                    + npm.exitValue()
                    + "); its output:\n"
                    + tail(npmLog, 40)
                    + "\nCheck network access to the npm registry, or set "
                    + ENV_URL
                    + " to use a ClickHouse server instead.");
          }
          LOG.info("Installed {} in {} ms", spec, (System.nanoTime() - startNanos) / 1_000_000);
        });
    return target.resolve(relative);
  }

  /** Fills a staging directory; {@link #buildOnce} renames it into place when this returns. */
  private interface StagingBuild {
    void fill(Path staging) throws IOException, InterruptedException;
  }

  /**
   * Makes {@code target} exist exactly once across threads and JVMs: under a file lock next to it,
   * unless a complete copy (marked with an {@code INSTALLED} file) is already there, {@code build}
   * fills a fresh staging directory which is then renamed to {@code target} atomically. A failed or
   * interrupted build leaves nothing behind.
   */
  private static synchronized void buildOnce(Path target, StagingBuild build) throws IOException {
    Path complete = target.resolve("INSTALLED");
    if (Files.isRegularFile(complete)) {
      return;
    }
    Path root = target.getParent();
    Files.createDirectories(root);
    try (FileChannel lockFile =
            FileChannel.open(
                root.resolve(target.getFileName() + ".lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock()) {
      if (Files.isRegularFile(complete)) {
        return;
      }
      Path staging = Files.createTempDirectory(root, "staging-" + target.getFileName() + "-");
      try {
        build.fill(staging);
        Files.writeString(staging.resolve("INSTALLED"), target.getFileName() + "\n");
        // A copy without the marker (a build interrupted by hand) is replaced.
        deleteRecursively(target);
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "the cache directory " + root + " does not support atomic renames", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while preparing " + target, e);
      } finally {
        deleteRecursively(staging);
      }
    }
  }

  /**
   * The front end's classpath: where this class loader found the front end's classes and JNA (a
   * class directory or a jar each, e.g. {@code testing/target/classes} and JNA's jar in a build, or
   * one {@code hogbeam-testing.jar} holding both).
   */
  static String frontEndClasspath() {
    Set<String> entries = new LinkedHashSet<>();
    for (String className : FRONT_END_CLASSPATH) {
      entries.add(codeSource(className).toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  private static Path codeSource(String className) {
    try {
      Class<?> type = Class.forName(className, false, LocalClickHouse.class.getClassLoader());
      CodeSource source = type.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        throw new IllegalStateException("cannot tell where " + className + " was loaded from");
      }
      return Path.of(source.getLocation().toURI()).toAbsolutePath();
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          className + " is not on the classpath: the local ClickHouse engine needs it", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot tell where " + className + " was loaded from", e);
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  static void deleteRecursively(Path path) {
    if (path == null || !Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: a leftover temporary file is harmless
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }

  @Override
  public String toString() {
    return "LocalClickHouse{"
        + (isExternal() ? "external " : "local engine ")
        + httpUrl
        + ", version "
        + version
        + "}";
  }
}
