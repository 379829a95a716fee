package dev.hogbeam.jdbc;

import dev.hogbeam.secret.SecretRef;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The connection settings of a JDBC source, as the pipeline carries them: driver class, URL, user
 * and a {@link SecretRef} to the password, never the password itself. Each JVM builds JdbcIO's
 * {@link JdbcIO.DataSourceConfiguration} from them on first use (resolving the password there) and
 * takes one pooled data source per settings from {@link JdbcIO.PoolableDataSourceProvider}, so the
 * launcher's planning queries and every worker's reads share one configuration path.
 */
public final class JdbcDataSource implements SerializableFunction<Void, DataSource> {
  private static final long serialVersionUID = 1L;

  /** One pool per settings and JVM (PoolableDataSourceProvider keeps its own per configuration). */
  private static final Map<String, DataSource> POOLS = new ConcurrentHashMap<>();

  private final String driverClassName;
  private final String url;
  private final @Nullable String user;
  private final @Nullable SecretRef password;

  private JdbcDataSource(
      String driverClassName, String url, @Nullable String user, @Nullable SecretRef password) {
    this.driverClassName = Objects.requireNonNull(driverClassName, "driverClassName");
    this.url = Objects.requireNonNull(url, "url");
    this.user = user;
    this.password = password;
  }

  /**
   * @param password where the password is read, or null when the database needs none
   */
  public static JdbcDataSource of(
      String driverClassName, String url, @Nullable String user, @Nullable SecretRef password) {
    return new JdbcDataSource(driverClassName, url, user, password);
  }

  public String driverClassName() {
    return driverClassName;
  }

  public String url() {
    return url;
  }

  /** JdbcIO's configuration of these settings, with the password resolved in this JVM. */
  public JdbcIO.DataSourceConfiguration configuration() {
    JdbcIO.DataSourceConfiguration c = JdbcIO.DataSourceConfiguration.create(driverClassName, url);
    if (user != null && !user.isEmpty()) {
      c = c.withUsername(user);
    }
    if (password != null) {
      c = c.withPassword(password.resolve());
    }
    return c;
  }

  /** The pooled data source of these settings in this JVM. */
  @Override
  public DataSource apply(Void input) {
    String key = driverClassName + "\n" + url + "\n" + user + "\n" + password;
    return POOLS.computeIfAbsent(
        key, k -> JdbcIO.PoolableDataSourceProvider.of(configuration()).apply(null));
  }

  @Override
  public String toString() {
    return "JDBC " + url + (user == null ? "" : " as " + user);
  }
}
