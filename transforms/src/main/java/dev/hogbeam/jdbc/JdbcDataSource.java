package dev.hogbeam.jdbc;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.secret.SecretRef;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.commons.dbcp2.BasicDataSource;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The connection settings of a JDBC source, as the pipeline carries them: driver class, URL, user,
 * driver properties and a {@link SecretRef} to the password, never the password itself. Each JVM
 * builds JdbcIO's {@link JdbcIO.DataSourceConfiguration} from them on first use (resolving the
 * password there) and keeps one pooled data source per settings, so the launcher's planning queries
 * and every worker's reads share one configuration path.
 *
 * <p>Two pools, one configuration:
 *
 * <ul>
 *   <li>by default {@link JdbcIO.PoolableDataSourceProvider}'s: connections with auto-commit off
 *       (what PostgreSQL needs to stream a result with a fetch size), at most 8 per JVM;
 *   <li>{@link #withoutTransactions()}, for databases without transactions (ClickHouse, whose
 *       driver refuses {@code setAutoCommit(false)}): the configuration's own DBCP pool ({@link
 *       JdbcIO.DataSourceProviderFromDataSourceConfiguration}) with no limit on connections (a
 *       caller never waits for another's), auto-commit left as the driver has it, no rollback and
 *       no auto-commit reset on return, no validation query per borrow, and no abandoned-connection
 *       removal (a long streamed read is not reclaimed). Closing a pooled connection still closes
 *       the statements and result sets opened on it (DBCP traces them), so a half-read result never
 *       reaches the connection's next user.
 * </ul>
 */
public final class JdbcDataSource implements SerializableFunction<Void, DataSource> {
  private static final long serialVersionUID = 2L;

  /** One pool per settings and JVM. */
  private static final Map<List<Object>, DataSource> POOLS = new ConcurrentHashMap<>();

  private final String driverClassName;
  private final String url;
  private final @Nullable String user;
  private final @Nullable SecretRef password;
  private final TreeMap<String, String> connectionProperties;
  private final boolean withoutTransactions;

  private JdbcDataSource(
      String driverClassName,
      String url,
      @Nullable String user,
      @Nullable SecretRef password,
      TreeMap<String, String> connectionProperties,
      boolean withoutTransactions) {
    this.driverClassName = Objects.requireNonNull(driverClassName, "driverClassName");
    this.url = Objects.requireNonNull(url, "url");
    this.user = user;
    this.password = password;
    this.connectionProperties = connectionProperties;
    this.withoutTransactions = withoutTransactions;
  }

  /**
   * @param password where the password is read, or null when the database needs none
   */
  public static JdbcDataSource of(
      String driverClassName, String url, @Nullable String user, @Nullable SecretRef password) {
    return new JdbcDataSource(driverClassName, url, user, password, new TreeMap<>(), false);
  }

  /**
   * These settings with driver properties (passed to the driver's {@code connect} with the user and
   * password, through {@link JdbcIO.DataSourceConfiguration#withConnectionProperties(String)}).
   * Names must not contain {@code ;} or {@code =}, values not {@code ;} (DBCP's {@code k=v;k2=v2}
   * format); user and password are set their own way, not here.
   */
  public JdbcDataSource withConnectionProperties(Map<String, String> properties) {
    TreeMap<String, String> all = new TreeMap<>(connectionProperties);
    for (Map.Entry<String, String> p : properties.entrySet()) {
      String name = p.getKey();
      String value = p.getValue();
      checkArgument(
          name != null && !name.isEmpty() && name.indexOf(';') < 0 && name.indexOf('=') < 0,
          "a JDBC connection property name must be non-empty without ';' or '=': %s",
          name);
      checkArgument(
          !name.equalsIgnoreCase("user") && !name.equalsIgnoreCase("password"),
          "the JDBC user and password are not connection properties: %s",
          name);
      checkArgument(
          value != null && value.indexOf(';') < 0,
          "the JDBC connection property %s must have a value without ';'",
          name);
      all.put(name, value);
    }
    return new JdbcDataSource(driverClassName, url, user, password, all, withoutTransactions);
  }

  /**
   * These settings for a database without transactions, pooled as the class comment says (no limit,
   * no auto-commit or rollback handling, no validation per borrow).
   */
  public JdbcDataSource withoutTransactions() {
    return new JdbcDataSource(driverClassName, url, user, password, connectionProperties, true);
  }

  public String driverClassName() {
    return driverClassName;
  }

  public String url() {
    return url;
  }

  /** The driver properties (without user and password). */
  public SortedMap<String, String> connectionProperties() {
    return Collections.unmodifiableSortedMap(connectionProperties);
  }

  /**
   * JdbcIO's configuration of these settings, with the password resolved in this JVM (so never log,
   * display or serialize it). The driver is loaded by the class loader that loads this class (on
   * Flink the job's user-code class loader), not DriverManager's.
   */
  public JdbcIO.DataSourceConfiguration configuration() {
    JdbcIO.DataSourceConfiguration c =
        JdbcIO.DataSourceConfiguration.create(driverClassName, url)
            .withDriverClassLoader(driverClassLoader());
    if (user != null && !user.isEmpty()) {
      c = c.withUsername(user);
    }
    if (password != null) {
      c = c.withPassword(password.resolve());
    }
    if (!connectionProperties.isEmpty()) {
      StringBuilder p = new StringBuilder();
      for (Map.Entry<String, String> e : connectionProperties.entrySet()) {
        p.append(p.length() == 0 ? "" : ";").append(e.getKey()).append('=').append(e.getValue());
      }
      c = c.withConnectionProperties(p.toString());
    }
    if (withoutTransactions) {
      c = c.withMaxConnections(-1); // DBCP: no limit, so no caller waits for a connection
    }
    return c;
  }

  private ClassLoader driverClassLoader() {
    ClassLoader own = JdbcDataSource.class.getClassLoader();
    try {
      ClassLoader loader = Class.forName(driverClassName, false, own).getClassLoader();
      return loader == null ? own : loader;
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("JDBC driver class not found: " + driverClassName, e);
    }
  }

  /** The pooled data source of these settings in this JVM. */
  @Override
  public DataSource apply(Void input) {
    // The password reference by identity (kind and name), never its value.
    List<Object> key =
        Arrays.asList(
            driverClassName, url, user, password, connectionProperties, withoutTransactions);
    return POOLS.computeIfAbsent(key, k -> withoutTransactions ? plainPool() : poolable());
  }

  private DataSource poolable() {
    return JdbcIO.PoolableDataSourceProvider.of(configuration()).apply(null);
  }

  private DataSource plainPool() {
    DataSource d =
        JdbcIO.DataSourceProviderFromDataSourceConfiguration.of(configuration()).apply(null);
    if (!(d instanceof BasicDataSource)) {
      throw new IllegalStateException(
          "JdbcIO's data source is a " + d.getClass().getName() + ", not DBCP's BasicDataSource");
    }
    BasicDataSource pool = (BasicDataSource) d;
    pool.setMaxTotal(-1);
    pool.setDefaultAutoCommit(null);
    pool.setRollbackOnReturn(false);
    pool.setAutoCommitOnReturn(false);
    pool.setTestOnBorrow(false);
    pool.setTestOnReturn(false);
    pool.setTestWhileIdle(false);
    pool.setRemoveAbandonedOnBorrow(false);
    pool.setRemoveAbandonedOnMaintenance(false);
    pool.setPoolPreparedStatements(false);
    pool.setAccessToUnderlyingConnectionAllowed(true);
    return pool;
  }

  @Override
  public String toString() {
    return "JDBC " + url + (user == null ? "" : " as " + user);
  }
}
