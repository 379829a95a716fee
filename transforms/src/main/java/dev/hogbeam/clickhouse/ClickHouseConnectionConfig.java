package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.secret.SecretRef;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where and as whom to connect: a JDBC URL for the official ClickHouse driver, a user and where the
 * password is read ({@link SecretRef}: the password itself is never serialized). Serializable so
 * workers can open their own connections. The password is never part of {@link #toString()},
 * display data or error messages; the URL is shown redacted.
 */
public final class ClickHouseConnectionConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String jdbcUrl;
  private final String user;
  private final @Nullable SecretRef password;

  private ClickHouseConnectionConfig(String jdbcUrl, String user, @Nullable SecretRef password) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
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
    return new ClickHouseConnectionConfig(ClickHouseUrls.toJdbcUrl(url), user, password);
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

  /** Opens a connection with the official driver (not through DriverManager's class loader). */
  public Connection open() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    if (password != null) {
      props.setProperty("password", password.resolve());
    }
    Connection c = new com.clickhouse.jdbc.Driver().connect(jdbcUrl, props);
    if (c == null) {
      throw new SQLException("the ClickHouse driver does not accept " + redactedUrl());
    }
    return c;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClickHouseConnectionConfig
        && ((ClickHouseConnectionConfig) o).jdbcUrl.equals(jdbcUrl)
        && ((ClickHouseConnectionConfig) o).user.equals(user)
        && Objects.equals(((ClickHouseConnectionConfig) o).password, password);
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
        + "}";
  }
}
