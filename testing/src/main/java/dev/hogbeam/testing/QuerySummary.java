package dev.hogbeam.testing;

import com.clickhouse.jdbc.StatementImpl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What ClickHouse reported for one query: its {@code X-ClickHouse-Summary} (or, on a real server,
 * its {@code system.query_log} row). {@code readRows} is the read amplification measure: rows
 * ClickHouse read from storage to answer the query.
 *
 * <p>Through JDBC: run the statement, take {@link #lastQueryId(Statement)}, then ask {@link
 * LocalClickHouse#summaryOf(String)}. Through client-v2 directly, {@code
 * QueryResponse.getReadRows()} carries the same figure.
 */
public record QuerySummary(
    String queryId,
    long readRows,
    long readBytes,
    long resultRows,
    long writtenRows,
    long elapsedNanos) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The id of the last query the driver (jdbc-v2) sent for this statement. */
  public static String lastQueryId(Statement statement) throws SQLException {
    String id = statement.unwrap(StatementImpl.class).getLastQueryId();
    if (id == null) {
      throw new IllegalStateException("the statement has not run a query yet");
    }
    return id;
  }

  /** Parses ClickHouse's summary JSON (numbers as strings, as the server sends them). */
  static QuerySummary fromSummaryJson(String queryId, String json) {
    try {
      JsonNode n = JSON.readTree(json);
      return new QuerySummary(
          queryId,
          n.path("read_rows").asLong(),
          n.path("read_bytes").asLong(),
          n.path("result_rows").asLong(),
          n.path("written_rows").asLong(),
          n.path("elapsed_ns").asLong());
    } catch (IOException e) {
      throw new UncheckedIOException("not a ClickHouse summary: " + json, e);
    }
  }
}
