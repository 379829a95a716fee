package dev.hogbeam.pipeline.clickhouse;

import dev.hogbeam.clickhouse.PageQueries;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The SQL of the final-state stage: PostHog's latest-state reads ({@code argMax} by {@code
 * version}, deleted rows left out) of {@code person}, {@code person_distinct_id2} and {@code
 * groups}, paged by keyset along each table's own sort key, so that neither ClickHouse nor hogbeam
 * holds more than a page.
 *
 * <p>Persons ({@code cityHash64(id) % shards}) and distinct ids ({@code cityHash64(distinct_id) %
 * shards}) are each read in pages along their own table's order, every row once; the distinct ids
 * seen in the range come from one {@code DISTINCT} query per UTC day. The pipeline joins the three
 * ({@link FinalStateRead}), so no query depends on the size of another table.
 */
final class FinalStateQueries implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A statement and its parameters. */
  record Query(String sql, List<Object> params) {}

  private final String database;
  private final String eventsTable;
  private final long teamId;
  private final long startMicros;
  private final long endMicros;

  FinalStateQueries(
      String database, String eventsTable, long teamId, long startMicros, long endMicros) {
    this.database = PageQueries.quoteIdentifier(database);
    this.eventsTable = eventsTable;
    this.teamId = teamId;
    this.startMicros = startMicros;
    this.endMicros = endMicros;
  }

  private String table(String name) {
    return database + "." + name;
  }

  /** The range's events of the team (a sub-query's FROM and WHERE). */
  private String rangeEvents(List<Object> params) {
    return events(params, startMicros, endMicros);
  }

  /** The team's events in {@code [fromMicros, toMicros)} within the range. */
  private String events(List<Object> params, long fromMicros, long toMicros) {
    params.add(teamId);
    params.add(PageQueries.clickHouseTime(Math.max(fromMicros, startMicros)));
    params.add(PageQueries.clickHouseTime(Math.min(toMicros, endMicros)));
    return " FROM "
        + eventsTable
        + " WHERE team_id = ? AND timestamp >= toDateTime64(?, 6, 'UTC')"
        + " AND timestamp < toDateTime64(?, 6, 'UTC')";
  }

  /** Tables of the stage that exist in the database. */
  Query existingTables() {
    List<Object> params = new ArrayList<>();
    params.add(database.replace("`", ""));
    return new Query(
        "SELECT name FROM system.tables WHERE database = ?"
            + " AND name IN ('person', 'person_distinct_id2', 'groups')",
        params);
  }

  /**
   * One page of persons of a shard: id, latest properties, latest version, whether that version is
   * deleted (the caller drops deleted persons; see {@link #latestPage}).
   */
  Query personPage(int shard, int shards, @Nullable String afterId, int limit) {
    return latestPage(
        "toString(id), argMax(properties, version), max(version), argMax(is_deleted, version)",
        "person",
        "id",
        "toUUID(?)",
        shard,
        shards,
        afterId,
        limit);
  }

  /**
   * One page of the distinct ids of a hash shard of them: distinct id, the person its latest
   * version points to, whether that version is deleted (the caller drops those).
   */
  Query distinctIdPage(int shard, int shards, @Nullable String afterDistinctId, int limit) {
    return latestPage(
        "distinct_id, toString(argMax(person_id, version)), argMax(is_deleted, version)",
        "person_distinct_id2",
        "distinct_id",
        "?",
        shard,
        shards,
        afterDistinctId,
        limit);
  }

  /**
   * One page of {@code table}'s rows grouped by {@code key} (the table's sort key after {@code
   * team_id}), of the hash shard {@code cityHash64(key) % shards = shard}, after {@code after} in
   * the table's own order. ClickHouse aggregates in order and stops at the {@code LIMIT}; there is
   * no {@code HAVING} (e.g. on {@code is_deleted}), which would make it read the rest of the table
   * for every page, so deleted rows come back as a column for the caller to drop.
   */
  private Query latestPage(
      String select,
      String table,
      String key,
      String afterValue,
      int shard,
      int shards,
      @Nullable String after,
      int limit) {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    params.add((long) shards);
    params.add((long) shard);
    StringBuilder sql =
        new StringBuilder("SELECT " + select + " FROM " + table(table))
            .append(" WHERE team_id = ? AND cityHash64(" + key + ") % ? = ?");
    if (after != null) {
      sql.append(" AND ").append(key).append(" > ").append(afterValue);
      params.add(after);
    }
    sql.append(" GROUP BY ").append(key).append(" ORDER BY ").append(key).append(" LIMIT ?");
    params.add((long) limit);
    sql.append(" SETTINGS optimize_aggregation_in_order = 1");
    return new Query(sql.toString(), params);
  }

  /** The distinct ids of the team's events in {@code [fromMicros, toMicros)}, each once. */
  Query seenDistinctIds(long fromMicros, long toMicros) {
    List<Object> params = new ArrayList<>();
    return new Query("SELECT DISTINCT distinct_id" + events(params, fromMicros, toMicros), params);
  }

  long startMicros() {
    return startMicros;
  }

  long endMicros() {
    return endMicros;
  }

  /**
   * One page of groups (latest properties by {@code _timestamp}) after {@code (index, key)}, in the
   * table's own order (aggregated in order, so ClickHouse stops at the {@code LIMIT}).
   */
  Query groupPage(int afterIndex, @Nullable String afterKey, int limit) {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    StringBuilder sql =
        new StringBuilder(
            "SELECT group_type_index, group_key, argMax(group_properties, _timestamp) FROM "
                + table("groups")
                + " WHERE team_id = ?");
    if (afterKey != null) {
      sql.append(" AND (group_type_index, group_key) > (toUInt8(?), ?)");
      params.add((long) afterIndex);
      params.add(afterKey);
    }
    sql.append(
        " GROUP BY group_type_index, group_key ORDER BY group_type_index, group_key LIMIT ?"
            + " SETTINGS optimize_aggregation_in_order = 1");
    params.add((long) limit);
    return new Query(sql.toString(), params);
  }

  /**
   * The groups the team's events in {@code [fromMicros, toMicros)} belong to, each once: group type
   * index, group key.
   */
  Query seenGroups(long fromMicros, long toMicros) {
    List<Object> params = new ArrayList<>();
    return new Query(
        "SELECT DISTINCT g.1, g.2 FROM (SELECT arrayJoin("
            + groupColumns()
            + ") AS g"
            + events(params, fromMicros, toMicros)
            + ") WHERE g.2 != ''",
        params);
  }

  /** {@code [(0, $group_0), ..., (4, $group_4)]} of an event, from its properties. */
  private static String groupColumns() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      parts.add("(toUInt8(" + i + "), JSONExtractString(properties, '$group_" + i + "'))");
    }
    return "[" + String.join(", ", parts) + "]";
  }

  /**
   * How the range's events name their groups: group type index, type name, events; from {@code
   * $groups} (name to key) against {@code $group_N} (index to key).
   */
  Query groupTypeEvidence() {
    List<Object> params = new ArrayList<>();
    String sql =
        "SELECT g.1 AS idx, kv.1 AS name, count() FROM (SELECT arrayJoin(arrayFilter(x -> x.2 !="
            + " '', "
            + groupColumns()
            + ")) AS g, JSONExtractKeysAndValues(properties, '$groups', 'String') AS kvs"
            + rangeEvents(params)
            + ") ARRAY JOIN kvs AS kv WHERE kv.2 = g.2 GROUP BY idx, name ORDER BY idx, name";
    return new Query(sql, params);
  }

  /** Group type indexes present in the groups table. */
  Query groupTypeIndexes() {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    return new Query(
        "SELECT DISTINCT group_type_index FROM "
            + table("groups")
            + " WHERE team_id = ? ORDER BY group_type_index",
        params);
  }

  /** Persons deleted, person versions superseded (older versions and rows of deleted persons). */
  Query personSkips() {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    return new Query(
        "SELECT countIf(del = 1), sum(versions) - count() FROM (SELECT argMax(is_deleted,"
            + " version) AS del, uniqExact(version) AS versions FROM "
            + table("person")
            + " WHERE team_id = ? GROUP BY id)",
        params);
  }

  /** Distinct ids deleted, distinct-id mappings superseded (re-pointed or older versions). */
  Query distinctIdSkips() {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    return new Query(
        "SELECT countIf(del = 1), sum(versions) - count() FROM (SELECT argMax(is_deleted,"
            + " version) AS del, uniqExact(version) AS versions FROM "
            + table("person_distinct_id2")
            + " WHERE team_id = ? GROUP BY distinct_id)",
        params);
  }
}
