package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.jdbc.JdbcDataSource;
import dev.hogbeam.secret.SecretRef;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where and as whom to connect: a JDBC URL for the official ClickHouse driver, a user, where the
 * password is read ({@link SecretRef}: the password itself is never serialized), and the timeouts.
 * Serializable so workers can open their own connections. The password is never part of {@link
 * #toString()}, display data or error messages; the URL is shown redacted.
 *
 * <p>Every query of a connection runs with {@link #COMPLETE_RESULTS}: a server limit (a user
 * profile's {@code max_result_rows}, {@code max_rows_to_read}, {@code max_execution_time}...) then
 * fails the query instead of cutting its result short, which would look like the end of the data.
 * The settings go with every request, so they override the user's profile (as any query setting
 * does); a user whose profile forbids changing settings ({@code readonly = 1}) cannot run the
 * migration.
 *
 * <p>Results are streamed ({@code wait_end_of_query=0}, ClickHouse's own default over HTTP, sent
 * explicitly because the local engine's front end otherwise runs a query to completion first): the
 * first rows arrive while ClickHouse still reads. The {@code X-ClickHouse-Summary} header then goes
 * out with the first block, so its rows-read figure is partial, and the reader reports rows read as
 * unknown ({@link #exactSummaries()}). A URL that asks for {@code wait_end_of_query=1} (e.g. {@code
 * ?clickhouse_setting_wait_end_of_query=1}) gets exact figures instead: every query runs to
 * completion before its first byte is sent, which is slower and holds the whole result on the
 * server.
 */
public final class ClickHouseConnectionConfig implements Serializable {
  private static final long serialVersionUID = 2L;

  /** The driver's prefix of properties that are sent as ClickHouse settings with every query. */
  private static final String SERVER_SETTING = "clickhouse_setting_";

  /** Seconds without a byte from ClickHouse before a connection is given up (and retried). */
  public static final int DEFAULT_SOCKET_TIMEOUT_SECONDS = 300;

  /** Seconds a query may run ({@code max_execution_time}); it then fails (and is retried). */
  public static final int DEFAULT_QUERY_TIMEOUT_SECONDS = 1800;

  /** Settings of every query: server limits throw instead of returning part of a result. */
  public static final Map<String, String> COMPLETE_RESULTS =
      Map.of(
          "result_overflow_mode", "throw",
          "read_overflow_mode", "throw",
          "timeout_overflow_mode", "throw");

  /** {@code wait_end_of_query} (or {@code http_wait_end_of_query}) in a URL, and its value. */
  private static final Pattern WAIT_END_OF_QUERY =
      Pattern.compile("[?&](?:" + SERVER_SETTING + ")?(?:http_)?wait_end_of_query=([^&]*)");

  private final String jdbcUrl;
  private final String user;
  private final @Nullable SecretRef password;
  private final int socketTimeoutSeconds;
  private final int queryTimeoutSeconds;

  private ClickHouseConnectionConfig(
      String jdbcUrl,
      String user,
      @Nullable SecretRef password,
      int socketTimeoutSeconds,
      int queryTimeoutSeconds) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.socketTimeoutSeconds = socketTimeoutSeconds;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
  }

  /**
   * @param url a {@code jdbc:clickhouse:} URL or an {@code http(s)://host[:port][/db]} address (see
   *     {@link ClickHouseUrls#toJdbcUrl(String)})
   */
  public static ClickHouseConnectionConfig of(String url, String user, @Nullable String password) {
    return of(
        url,
        user,
        password == null || password.isEmpty() ? null : SecretRef.inMemory(password, ""));
  }

  /**
   * As {@link #of(String, String, String)}, with the password read where {@code password} says when
   * a connection is opened (so the password never travels with the pipeline).
   */
  public static ClickHouseConnectionConfig of(
      String url, String user, @Nullable SecretRef password) {
    checkArgument(user != null && !user.isEmpty(), "ClickHouse user must not be empty");
    return new ClickHouseConnectionConfig(
        ClickHouseUrls.toJdbcUrl(url),
        user,
        password,
        DEFAULT_SOCKET_TIMEOUT_SECONDS,
        DEFAULT_QUERY_TIMEOUT_SECONDS);
  }

  /**
   * These timeouts instead of the defaults ({@value #DEFAULT_SOCKET_TIMEOUT_SECONDS} s, {@value
   * #DEFAULT_QUERY_TIMEOUT_SECONDS} s). A query timeout of 0 leaves {@code max_execution_time} to
   * the server.
   */
  public ClickHouseConnectionConfig withTimeouts(
      int socketTimeoutSeconds, int queryTimeoutSeconds) {
    checkArgument(
        socketTimeoutSeconds > 0,
        "the ClickHouse socket timeout must be > 0 seconds, but was %s",
        socketTimeoutSeconds);
    checkArgument(
        queryTimeoutSeconds >= 0,
        "the ClickHouse query timeout must be >= 0 seconds, but was %s",
        queryTimeoutSeconds);
    return new ClickHouseConnectionConfig(
        jdbcUrl, user, password, socketTimeoutSeconds, queryTimeoutSeconds);
  }

  public int socketTimeoutSeconds() {
    return socketTimeoutSeconds;
  }

  public int queryTimeoutSeconds() {
    return queryTimeoutSeconds;
  }

  public String jdbcUrl() {
    return jdbcUrl;
  }

  public String user() {
    return user;
  }

  /**
   * This connection with every query run to completion before its first byte is sent ({@code
   * wait_end_of_query=1}), so that ClickHouse's summaries are exact: for measurements (slower, and
   * the server holds each whole result).
   */
  public ClickHouseConnectionConfig withExactSummaries() {
    return new ClickHouseConnectionConfig(
        jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + SERVER_SETTING + "wait_end_of_query=1",
        user,
        password,
        socketTimeoutSeconds,
        queryTimeoutSeconds);
  }

  /**
   * True when every query runs to completion before ClickHouse sends its first byte (the URL asks
   * for {@code wait_end_of_query=1}), so that the {@code X-ClickHouse-Summary} of a query holds its
   * final rows and bytes read. False by default: results are streamed and the summary, sent with
   * the first block, is partial.
   */
  public boolean exactSummaries() {
    Matcher m = WAIT_END_OF_QUERY.matcher(jdbcUrl);
    boolean exact = false;
    while (m.find()) {
      exact = m.group(1).equals("1") || m.group(1).equalsIgnoreCase("true");
    }
    return exact;
  }

  /** The URL with anything secret masked, for logs and display data. */
  public String redactedUrl() {
    return ClickHouseUrls.redact(jdbcUrl);
  }

  /**
   * The connection settings as the JDBC sources carry them: the official driver, the URL, the user,
   * the password's reference, and as driver properties the socket timeout and the server settings
   * of every query ({@link #COMPLETE_RESULTS}, {@code max_execution_time}, streaming unless the URL
   * sets {@code wait_end_of_query}). ClickHouse has no transactions, so the pool is {@link
   * JdbcDataSource#withoutTransactions()}'s.
   */
  public JdbcDataSource dataSource() {
    Map<String, String> props = new TreeMap<>();
    props.put("socket_timeout", Long.toString(socketTimeoutSeconds * 1000L));
    for (Map.Entry<String, String> s : COMPLETE_RESULTS.entrySet()) {
      props.put(SERVER_SETTING + s.getKey(), s.getValue());
    }
    if (!WAIT_END_OF_QUERY.matcher(jdbcUrl).find()) {
      props.put(SERVER_SETTING + "wait_end_of_query", "0"); // stream (see the class doc)
    }
    if (queryTimeoutSeconds > 0) {
      props.put(SERVER_SETTING + "max_execution_time", Integer.toString(queryTimeoutSeconds));
    }
    return JdbcDataSource.of(com.clickhouse.jdbc.Driver.class.getName(), jdbcUrl, user, password)
        .withConnectionProperties(props)
        .withoutTransactions();
  }

  /**
   * A connection from this JVM's pool of these settings ({@link #dataSource()}, JdbcIO's {@code
   * DataSourceConfiguration}). Closing it returns it to the pool and closes its statements and
   * result sets.
   */
  public Connection open() throws SQLException {
    return dataSource().apply(null).getConnection();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClickHouseConnectionConfig
        && ((ClickHouseConnectionConfig) o).jdbcUrl.equals(jdbcUrl)
        && ((ClickHouseConnectionConfig) o).user.equals(user)
        && Objects.equals(((ClickHouseConnectionConfig) o).password, password)
        && ((ClickHouseConnectionConfig) o).socketTimeoutSeconds == socketTimeoutSeconds
        && ((ClickHouseConnectionConfig) o).queryTimeoutSeconds == queryTimeoutSeconds;
  }

  @Override
  public int hashCode() {
    return Objects.hash(jdbcUrl, user);
  }

  @Override
  public String toString() {
    return "ClickHouse{"
        + redactedUrl()
        + ", user="
        + user
        + (password == null ? "" : ", password from " + password)
        + ", socketTimeout="
        + socketTimeoutSeconds
        + "s, queryTimeout="
        + queryTimeoutSeconds
        + "s}";
  }
}
