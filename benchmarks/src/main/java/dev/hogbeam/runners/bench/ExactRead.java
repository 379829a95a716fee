package dev.hogbeam.runners.bench;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import dev.hogbeam.clickhouse.EventColumns;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.clickhouse.QuerySummaries;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.clickhouse.Shard;
import dev.hogbeam.clickhouse.ShardReader;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.joda.time.Duration;

/**
 * What ClickHouse reads for the pipeline's reader, exactly, measured apart from the timed run (the
 * pipeline streams, and a streamed query's summary is partial: its report says "not known").
 *
 * <p>Two steps, in this JVM: the reader ({@link ShardReader}, the pipeline's own code, the same
 * plan and page size) reads every shard streamed, as the pipeline does, and records each query
 * (that read is timed: the reader's own wall time); then each recorded query runs once more inside
 * {@code SELECT count(), sum(cityHash64(*)) FROM (...)}, which keeps the query's reading plan but
 * returns one row, so the front end runs it to completion and its {@code X-ClickHouse-Summary}
 * holds the final rows and bytes read (the way {@code ReadAmplificationTest} measures).
 */
final class ExactRead {
  /**
   * The read's figures: rows the reader passed on, ClickHouse's rows and bytes read (all queries;
   * of them, the shards' counts before their first page), queries, the streamed read's time.
   */
  record Result(
      List<String> columns,
      long rowsReturned,
      long readRows,
      long readBytes,
      long countReadRows,
      long queries,
      double streamedSeconds) {
    double rowsReadPerRow() {
      return (double) readRows / rowsReturned;
    }

    /** Rows read per row returned by the queries that return rows: the pages (and tie groups). */
    double pageRowsReadPerRow() {
      return (double) (readRows - countReadRows) / rowsReturned;
    }
  }

  private ExactRead() {}

  /**
   * The pipeline's plan of {@code data}; with {@code personColumns}, selecting the person and group
   * columns too (what the reader read before it read only what is sent).
   */
  static ReadPlan plan(LocalClickHouse ch, BenchData data, int fetchSize, boolean personColumns)
      throws SQLException {
    ReadPlan plan =
        ClickHouseEventsIO.read()
            .withUrl(ch.jdbcUrl())
            .withUser(ch.user())
            .withPassword(ch.password())
            .withDatabase(data.database())
            .withTeamId(data.teamId())
            .withFetchSize(fetchSize)
            .withRange(
                Instant.parse(data.startDate() + "T00:00:00Z"),
                Instant.parse(data.endDate() + "T00:00:00Z"))
            .plan();
    if (!personColumns) {
      return plan;
    }
    Set<String> present = new HashSet<>();
    try (Connection c = ch.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT name FROM system.columns WHERE database = '"
                    + data.database()
                    + "' AND table = 'events'")) {
      while (rs.next()) {
        present.add(rs.getString(1));
      }
    }
    List<String> columns = new ArrayList<>(plan.optionalColumns());
    EventColumns.NOT_READ.stream().filter(present::contains).forEach(columns::add);
    return plan.withOptionalColumns(columns);
  }

  static Result measure(LocalClickHouse ch, ReadPlan plan, int fetchSize) throws SQLException {
    ClickHouseConnectionConfig streamed =
        ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password());
    List<PageQueries.Query> queries = new ArrayList<>();
    long[] rows = {0};
    long t0 = System.nanoTime();
    try (ShardReader reader =
        new ShardReader(streamed, plan, fetchSize, 3, Duration.millis(100), queries::add)) {
      for (Shard shard : plan.shards()) {
        reader.read(shard, r -> rows[0]++);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long readRows = 0;
    long readBytes = 0;
    long countReadRows = 0;
    try (Connection c = streamed.withExactSummaries().open()) {
      for (PageQueries.Query q : queries) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT count(), sum(cityHash64(*)) FROM (" + q.sql() + ")")) {
          PageQueries.bind(ps, q.params());
          try (ResultSet rs = ps.executeQuery()) {
            long[] summary = QuerySummaries.readRowsAndBytes(rs);
            if (summary[0] < 0) {
              throw new IllegalStateException("no exact summary for " + q.sql());
            }
            readRows += summary[0];
            if (q.sql().startsWith("SELECT count() FROM")) {
              countReadRows += summary[0];
            }
            readBytes += summary[1];
            rs.next();
          }
        }
      }
    }
    return new Result(
        plan.optionalColumns(),
        rows[0],
        readRows,
        readBytes,
        countReadRows,
        queries.size(),
        seconds);
  }
}
