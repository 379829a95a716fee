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
 * <p>Persons: one page of a shard ({@code cityHash64(id) % shards}) in ClickHouse's own order of
 * {@code id}; then the distinct ids whose latest row points into the page's id range (a
 * page-bounded lookup, no whole-table join).
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
    params.add(teamId);
    params.add(PageQueries.clickHouseTime(startMicros));
    params.add(PageQueries.clickHouseTime(endMicros));
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

  /** One page of live persons of a shard: id, latest properties, latest version. */
  Query personPage(int shard, int shards, @Nullable String afterId, int limit) {
    List<Object> params = new ArrayList<>();
    params.add(teamId);
    params.add((long) shards);
    params.add((long) shard);
    StringBuilder sql =
        new StringBuilder(
            "SELECT toString(id), argMax(properties, version), max(version) FROM "
                + table("person")
                + " WHERE team_id = ? AND cityHash64(id) % ? = ?");
    if (afterId != null) {
      sql.append(" AND id > toUUID(?)");
      params.add(afterId);
    }
    sql.append(" GROUP BY id HAVING argMax(is_deleted, version) = 0 ORDER BY id LIMIT ?");
    params.add((long) limit);
    sql.append(" SETTINGS optimize_aggregation_in_order = 1");
    return new Query(sql.toString(), params);
  }

  /**
   * The live distinct ids of persons {@code firstId..lastId} (ClickHouse order): person id, its
   * distinct ids, and whether one of them occurs in the range's events (1) or not (0); {@code seen}
   * false skips that look-up (always 1).
   */
  Query distinctIds(String firstId, String lastId, boolean seen) {
    List<Object> params = new ArrayList<>();
    StringBuilder sql = new StringBuilder("SELECT toString(pid), groupArray(distinct_id), ");
    if (seen) {
      sql.append("max(distinct_id IN (SELECT distinct_id").append(rangeEvents(params)).append("))");
    } else {
      sql.append("1");
    }
    sql.append(" FROM (SELECT distinct_id, argMax(person_id, version) AS pid FROM ")
        .append(table("person_distinct_id2"))
        .append(" WHERE team_id = ? AND distinct_id IN (SELECT distinct_id FROM ")
        .append(table("person_distinct_id2"))
        .append(" WHERE team_id = ? AND person_id >= toUUID(?) AND person_id <= toUUID(?))")
        .append(" GROUP BY distinct_id HAVING argMax(is_deleted, version) = 0")
        .append(" AND pid >= toUUID(?) AND pid <= toUUID(?)) GROUP BY pid");
    params.add(teamId);
    params.add(teamId);
    params.add(firstId);
    params.add(lastId);
    params.add(firstId);
    params.add(lastId);
    return new Query(sql.toString(), params);
  }

  /** One page of groups (latest properties by {@code _timestamp}) after {@code (index, key)}. */
  Query groupPage(int afterIndex, @Nullable String afterKey, boolean seenOnly, int limit) {
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
    if (seenOnly) {
      sql.append(" AND (group_type_index, group_key) IN (SELECT g.1, g.2 FROM (SELECT arrayJoin(")
          .append(groupColumns())
          .append(") AS g")
          .append(rangeEvents(params))
          .append(") WHERE g.2 != '')");
    }
    sql.append(
        " GROUP BY group_type_index, group_key ORDER BY group_type_index, group_key LIMIT ?");
    params.add((long) limit);
    return new Query(sql.toString(), params);
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
