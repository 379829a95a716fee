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

  /** The URL with anything secret masked, for logs and display data. */
  public String redactedUrl() {
    return ClickHouseUrls.redact(jdbcUrl);
  }

  /**
   * The connection settings as the JDBC sources carry them: the official driver, the URL, the user,
   * the password's reference, and as driver properties the socket timeout and the server settings
   * of every query ({@link #COMPLETE_RESULTS}, {@code max_execution_time}). ClickHouse has no
   * transactions, so the pool is {@link JdbcDataSource#withoutTransactions()}'s.
   */
  public JdbcDataSource dataSource() {
    Map<String, String> props = new TreeMap<>();
    props.put("socket_timeout", Long.toString(socketTimeoutSeconds * 1000L));
    for (Map.Entry<String, String> s : COMPLETE_RESULTS.entrySet()) {
      props.put(SERVER_SETTING + s.getKey(), s.getValue());
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
