package dev.hogbeam.clickhouse;

import dev.hogbeam.event.Timestamps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Finds out, with a few cheap queries, what a read of PostHog's events table should do, and returns
 * it as a {@link ReadPlan}: which table holds the data, its sort key and the types of the key
 * expressions, which columns exist, which query settings the server knows, how many rows each day
 * has, and where heavy days split.
 */
final class SourceDiscovery {
  private SourceDiscovery() {}

  static final String EVENTS = "events";
  static final String SHARDED_EVENTS = "sharded_events";
  static final KeyColumn HASH_SPLIT = KeyColumn.of("cityHash64(distinct_id)", "UInt64");

  /** Builds the plan for one team and [start, end). */
  static ReadPlan discover(
      Connection c,
      String database,
      long teamId,
      Instant start,
      Instant end,
      long splitThreshold,
      @Nullable ReferenceCursor referenceCursor)
      throws SQLException {
    Instant from = referenceCursor == null ? start : referenceCursor.earliestUnsent(start);
    ReadPlan layout = layout(c, database, teamId, from, end, referenceCursor);
    return shards(c, layout, from, end, splitThreshold);
  }

  /**
   * The table's layout as ClickHouse describes it now: which table, its sort key, the paging keys
   * with their types, the column heavy days would split on ({@link ReadPlan#splitColumn()}), the
   * optional columns and the query settings; no shards. Every SQL fragment a read uses comes from
   * here, never from a saved plan.
   */
  static ReadPlan layout(
      Connection c,
      String database,
      long teamId,
      Instant from,
      Instant end,
      @Nullable ReferenceCursor referenceCursor)
      throws SQLException {
    List<String> warnings = new ArrayList<>();

    // 1. Which table: the data sits in sharded_events when the schema is replicated (events is
    //    then Distributed over it, and querying events fans out to every shard).
    Map<String, String> sortingKeys = new HashMap<>();
    Map<String, TableEngine> engines = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT name, sorting_key, engine, engine_full FROM system.tables"
                + " WHERE database = ? AND name IN (?, ?)")) {
      ps.setString(1, database);
      ps.setString(2, EVENTS);
      ps.setString(3, SHARDED_EVENTS);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sortingKeys.put(rs.getString(1), rs.getString(2));
          engines.put(rs.getString(1), TableEngine.parse(rs.getString(3), rs.getString(4)));
        }
      }
    }
    if (sortingKeys.isEmpty()) {
      throw new IllegalArgumentException(
          "ClickHouse database '"
              + database
              + "' has no events table (looked for events and sharded_events); check the"
              + " database setting");
    }
    String queryTable = sortingKeys.containsKey(EVENTS) ? EVENTS : SHARDED_EVENTS;
    String dataTable = sortingKeys.containsKey(SHARDED_EVENTS) ? SHARDED_EVENTS : EVENTS;
    String sortingKey = sortingKeys.get(dataTable) == null ? "" : sortingKeys.get(dataTable);

    // 2. Columns.
    Map<String, String> columnTypes = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT name, type FROM system.columns WHERE database = ? AND table = ?")) {
      ps.setString(1, database);
      ps.setString(2, queryTable);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columnTypes.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    List<String> missing = EventColumns.missingRequired(columnTypes.keySet());
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "ClickHouse table "
              + database
              + "."
              + queryTable
              + " lacks the columns hogbeam needs: "
              + String.join(", ", missing));
    }
    List<String> optional = EventColumns.optionalPresent(columnTypes.keySet());
    if (!optional.contains("elements_chain")) {
      warnings.add("the table has no elements_chain column: events go out without $elements_chain");
    }

    // 3. Paging key: the sort key after (team_id, toDate(timestamp)), with the types ClickHouse
    //    gives those expressions.
    String table =
        PageQueries.quoteIdentifier(database) + "." + PageQueries.quoteIdentifier(queryTable);
    List<String> suffix = SortKeys.afterTeamAndDay(SortKeys.split(sortingKey));
    ReadPlan.PagingMode mode;
    List<String> keyExpressions;
    if (suffix == null || suffix.isEmpty()) {
      mode = ReadPlan.PagingMode.TIME_ORDER;
      keyExpressions = List.of("timestamp", "uuid");
      warnings.add(
          "the sort key of "
              + database
              + "."
              + dataTable
              + " is ("
              + sortingKey
              + "), not (team_id, toDate(timestamp), ...): paging by (timestamp, uuid) instead,"
              + " which makes ClickHouse sort the rest of the day for every page (slow on big"
              + " days; lower the split threshold to keep shards small)");
    } else {
      mode = ReadPlan.PagingMode.SORT_KEY;
      keyExpressions = suffix;
    }
    List<KeyColumn> keys = describe(c, table, keyExpressions);

    // 3b. Copies: what the data table's engine merges (see CopyRule).
    TableEngine engine = engines.get(dataTable);
    CopyRule copyRule;
    KeyColumn version = null;
    if (!engine.replacing()) {
      copyRule = CopyRule.KEEP_ALL;
      warnings.add(
          database
              + "."
              + dataTable
              + " is a "
              + engine.name()
              + ", not a ReplacingMergeTree: every stored row is sent, none is merged as a copy");
    } else if (mode == ReadPlan.PagingMode.TIME_ORDER || engine.isDeleted() != null) {
      copyRule = CopyRule.FINAL;
    } else {
      copyRule = CopyRule.LATEST_VERSION;
      if (engine.versionColumn() != null) {
        String type = columnTypes.get(engine.versionColumn());
        if (type == null) {
          throw new IllegalArgumentException(
              "ClickHouse table "
                  + database
                  + "."
                  + queryTable
                  + " has no column "
                  + engine.versionColumn()
                  + ", the version column of "
                  + database
                  + "."
                  + dataTable);
        }
        version = KeyColumn.of(engine.versionColumn(), type);
      }
    }

    // 4. What heavy days split on: a function of distinct_id, so a person's day stays together.
    KeyColumn split;
    if (mode == ReadPlan.PagingMode.SORT_KEY
        && SortKeys.normalize(keyExpressions.get(0)).equals("distinct_id")) {
      split = keys.get(0); // the 2021 key: distinct_id ranges are index ranges
    } else {
      split = HASH_SPLIT;
    }

    // 5. Settings that keep read-in-order pages from reading ahead, if the server knows them.
    String settings = mode == ReadPlan.PagingMode.SORT_KEY ? pageSettings(c) : "";

    return new ReadPlan(
        database,
        queryTable,
        dataTable,
        sortingKey,
        mode,
        keys,
        split,
        optional,
        settings,
        teamId,
        Timestamps.toMicros(from),
        Timestamps.toMicros(end),
        referenceCursor,
        List.of(),
        warnings,
        copyRule,
        version);
  }

  /** 6. Rows per day, then the shards of {@code draft}'s layout. */
  private static ReadPlan shards(
      Connection c, ReadPlan draft, Instant from, Instant end, long splitThreshold)
      throws SQLException {
    KeyColumn split = draft.splitColumn();
    long teamId = draft.teamId();
    List<String> warnings = new ArrayList<>(draft.warnings());
    List<String> keyExpressions = new ArrayList<>();
    draft.keys().forEach(k -> keyExpressions.add(k.expression()));
    Map<LocalDate, Long> perDay = rowsPerDay(c, draft, from, end);
    List<Shard> shards =
        ShardPlanner.plan(
            teamId,
            from,
            end,
            perDay,
            splitThreshold,
            (day, rows, parts) ->
                HASH_SPLIT.equals(split)
                    ? ShardPlanner.hashBoundaries(parts)
                    : rangeBoundaries(c, draft, day, rows, parts));
    boolean anySplit = shards.stream().anyMatch(s -> s.parts() > 1);
    boolean keyHasHash =
        keyExpressions.stream()
            .anyMatch(e -> SortKeys.normalize(e).equals(HASH_SPLIT.expression()));
    if (anySplit && HASH_SPLIT.equals(split) && !keyHasHash) {
      warnings.add(
          "split days are filtered on cityHash64(distinct_id), which this sort key cannot use:"
              + " each part of a split day reads the whole day");
    }
    return new ReadPlan(
        draft.database(),
        draft.queryTable(),
        draft.dataTable(),
        draft.sortingKey(),
        draft.pagingMode(),
        draft.keys(),
        anySplit ? split : null,
        draft.optionalColumns(),
        draft.querySettings(),
        teamId,
        draft.startMicros(),
        draft.endMicros(),
        draft.referenceCursor(),
        shards,
        warnings,
        draft.copyRule(),
        draft.versionColumn());
  }

  /** The ClickHouse types of {@code expressions} over {@code table}, from DESCRIBE (SELECT ...). */
  private static List<KeyColumn> describe(Connection c, String table, List<String> expressions)
      throws SQLException {
    List<KeyColumn> out = new ArrayList<>();
    String sql =
        "DESCRIBE TABLE (SELECT " + String.join(", ", expressions) + " FROM " + table + ")";
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      int i = 0;
      while (rs.next() && i < expressions.size()) {
        out.add(KeyColumn.of(expressions.get(i++), rs.getString(2)));
      }
    }
    if (out.size() != expressions.size()) {
      throw new IllegalStateException("ClickHouse did not describe the sort key " + expressions);
    }
    return out;
  }

  private static String pageSettings(Connection c) throws SQLException {
    Set<String> known = new HashSet<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT name FROM system.settings WHERE name IN"
                    + " ('max_threads', 'read_in_order_use_buffering')");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        known.add(rs.getString(1));
      }
    }
    List<String> s = new ArrayList<>();
    if (known.contains("max_threads")) {
      s.add("max_threads = 1");
    }
    if (known.contains("read_in_order_use_buffering")) {
      s.add("read_in_order_use_buffering = 0");
    }
    return String.join(", ", s);
  }

  private static Map<LocalDate, Long> rowsPerDay(
      Connection c, ReadPlan draft, Instant from, Instant end) throws SQLException {
    Map<LocalDate, Long> out = new HashMap<>();
    if (!from.isBefore(end)) {
      return out;
    }
    StringBuilder sql =
        new StringBuilder("SELECT toString(toDate(timestamp)) AS d, count() FROM ")
            .append(PageQueries.qualifiedTable(draft))
            .append(" WHERE team_id = ? AND timestamp >= toDateTime64(?, 6, 'UTC')")
            .append(" AND timestamp < toDateTime64(?, 6, 'UTC')");
    if (draft.referenceCursor() != null) {
      sql.append(" AND ").append(ReferenceCursor.PREDICATE);
    }
    sql.append(" GROUP BY d");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      ps.setLong(1, draft.teamId());
      ps.setString(2, PageQueries.clickHouseTime(Timestamps.toMicros(from)));
      ps.setString(3, PageQueries.clickHouseTime(Timestamps.toMicros(end)));
      if (draft.referenceCursor() != null) {
        ps.setLong(4, draft.referenceCursor().epochSeconds());
        ps.setString(5, draft.referenceCursor().uuid());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(LocalDate.parse(rs.getString(1)), rs.getLong(2));
        }
      }
    }
    return out;
  }

  /**
   * Split points on the 2021 key's distinct_id: the distinct_id at row offsets i * rows / parts of
   * the day in key order, found by ClickHouse (its byte order, never Java's).
   */
  private static List<String> rangeBoundaries(
      Connection c, ReadPlan draft, ShardPlanner.DaySlice day, long rows, int parts) {
    Shard whole =
        Shard.of(
            "boundaries",
            draft.teamId(),
            day.day().toString(),
            Timestamps.toMicros(day.start()),
            Timestamps.toMicros(day.end()),
            1,
            1,
            null,
            null,
            rows);
    List<String> out = new ArrayList<>();
    for (int i = 1; i < parts; i++) {
      long offset = rows * i / parts;
      List<Object> params = new ArrayList<>();
      StringBuilder sql =
          new StringBuilder("SELECT ")
              .append(draft.keys().get(0).selectExpression())
              .append(" FROM ")
              .append(PageQueries.qualifiedTable(draft));
      PageQueries.appendShardFilter(draft, whole, sql, params);
      sql.append(" ORDER BY ").append(PageQueries.orderBy(draft));
      sql.append(" LIMIT 1 OFFSET ").append(offset);
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        PageQueries.bind(ps, params);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException("finding split points of " + day.day() + " failed", e);
      }
    }
    return out;
  }
}
