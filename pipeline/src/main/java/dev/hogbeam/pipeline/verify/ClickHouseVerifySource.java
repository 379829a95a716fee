package dev.hogbeam.pipeline.verify;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.event.Timestamps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The source side of {@code verify} for {@code hogbeam clickhouse}: aggregate queries on the
 * source's events table (never a re-read of the rows). A row counts as an event when {@code
 * MapPostHogEvents} would make one of it (event name and distinct_id not empty, properties one JSON
 * object); the other rows are its dead letters. Copies are counted once ({@code uniqExact(uuid)}),
 * as the migration drops them.
 */
final class ClickHouseVerifySource implements VerifySource {
  /** The SQL form of "this row becomes an event" (see {@code MapPostHogEvents.map}). */
  static final String MAPS_TO_EVENT =
      "(event != '' AND distinct_id != '' AND isValidJSON(properties)"
          + " AND JSONType(properties) = 'Object')";

  private static final String DAY = "toString(toDate(timestamp, 'UTC'))";

  private final ClickHouseConnectionConfig connection;
  private final ReadPlan plan;
  private @Nullable Connection conn;
  private int queries;

  ClickHouseVerifySource(ClickHouseConnectionConfig connection, ReadPlan plan) {
    this.connection = connection;
    this.plan = plan;
  }

  @Override
  public Instant start() {
    return Timestamps.toInstant(plan.startMicros());
  }

  @Override
  public Instant end() {
    return Timestamps.toInstant(plan.endMicros());
  }

  @Override
  public String describe() {
    return "ClickHouse "
        + connection.redactedUrl()
        + ", "
        + PageQueries.qualifiedTable(plan)
        + ", team "
        + plan.teamId();
  }

  /** The WHERE of every query: team and range, bound as in the reader. */
  private String rangeFilter(List<Object> params) {
    params.add(plan.teamId());
    params.add(PageQueries.clickHouseTime(plan.startMicros()));
    params.add(PageQueries.clickHouseTime(plan.endMicros()));
    return " WHERE team_id = ? AND timestamp >= toDateTime64(?, 6, 'UTC')"
        + " AND timestamp < toDateTime64(?, 6, 'UTC')";
  }

  /** The aggregate query of {@link #counts()}. */
  String countsSql(List<Object> params) {
    return "SELECT "
        + DAY
        + " AS day, event, uniqExactIf(uuid, "
        + MAPS_TO_EVENT
        + ") AS events, countIf(NOT "
        + MAPS_TO_EVENT
        + ") AS dead FROM "
        + PageQueries.qualifiedTable(plan)
        + rangeFilter(params)
        + " GROUP BY day, event ORDER BY day, event";
  }

  @Override
  public SortedMap<DayEvent, Count> counts() throws SQLException {
    List<Object> params = new ArrayList<>();
    String sql = countsSql(params);
    SortedMap<DayEvent, Count> out = new TreeMap<>();
    try (PreparedStatement ps = connection().prepareStatement(sql)) {
      PageQueries.bind(ps, params);
      queries++;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              new DayEvent(rs.getString(1), rs.getString(2)),
              new Count(rs.getLong(3), rs.getLong(4)));
        }
      }
    }
    return out;
  }

  @Override
  public List<String> uuidsAfter(DayEvent cell, String after, int limit) throws SQLException {
    List<Object> params = new ArrayList<>();
    String sql =
        "SELECT DISTINCT toString(uuid) AS u FROM "
            + PageQueries.qualifiedTable(plan)
            + rangeFilter(params)
            + " AND toDate(timestamp, 'UTC') = toDate(?) AND event = ? AND "
            + MAPS_TO_EVENT
            + " AND toString(uuid) > ? ORDER BY u LIMIT "
            + limit;
    params.add(cell.day());
    params.add(cell.event());
    params.add(after);
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = connection().prepareStatement(sql)) {
      PageQueries.bind(ps, params);
      queries++;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  @Override
  public int queries() {
    return queries;
  }

  private Connection connection() throws SQLException {
    if (conn == null) {
      conn = connection.open();
    }
    return conn;
  }

  @Override
  public void close() throws SQLException {
    if (conn != null) {
      conn.close();
      conn = null;
    }
  }
}
