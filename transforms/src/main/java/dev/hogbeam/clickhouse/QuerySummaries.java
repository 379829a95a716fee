package dev.hogbeam.clickhouse;

import com.clickhouse.client.api.query.QueryResponse;
import java.lang.reflect.Field;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClickHouse's own account of a query (rows and bytes it read, from the {@code
 * X-ClickHouse-Summary} response header), taken from a result set of the official driver (or a
 * pool's wrapper of one).
 *
 * <p>clickhouse-jdbc 0.11 parses that header into the {@link QueryResponse} behind each result set
 * ({@code getReadRows()}, {@code getReadBytes()}) but does not expose it through JDBC, so this
 * reads the result set's private {@code response} field. If a driver version moves it, the figures
 * become -1 (unknown) with one warning; reading data never depends on it.
 */
public final class QuerySummaries {
  private static final Logger LOG = LoggerFactory.getLogger(QuerySummaries.class);
  private static final @Nullable Field RESPONSE = responseField();

  private QuerySummaries() {}

  /**
   * {readRows, readBytes} of the query behind {@code rs}, or {-1, -1} when unavailable. Call it
   * before reading the last row: the driver releases the response when the result set ends.
   */
  public static long[] readRowsAndBytes(ResultSet rs) {
    if (RESPONSE == null) {
      return new long[] {-1, -1};
    }
    try {
      Class<?> driverResultSet = RESPONSE.getDeclaringClass();
      Object own = rs;
      if (!driverResultSet.isInstance(rs)) {
        // A pooled connection's result set (DBCP) wraps the driver's.
        if (!rs.isWrapperFor(driverResultSet)) {
          return new long[] {-1, -1};
        }
        own = rs.unwrap(driverResultSet);
      }
      Object response = RESPONSE.get(own);
      if (response instanceof QueryResponse) {
        QueryResponse r = (QueryResponse) response;
        return new long[] {r.getReadRows(), r.getReadBytes()};
      }
    } catch (IllegalAccessException | SQLException | RuntimeException e) {
      LOG.debug("query summary not available", e);
    }
    return new long[] {-1, -1};
  }

  private static @Nullable Field responseField() {
    try {
      Field f = Class.forName("com.clickhouse.jdbc.ResultSetImpl").getDeclaredField("response");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "This ClickHouse driver does not expose query summaries; rows read by ClickHouse will"
              + " be reported as unknown (-1): {}",
          e.toString());
      return null;
    }
  }
}
