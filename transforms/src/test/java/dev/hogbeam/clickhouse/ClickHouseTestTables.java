package dev.hogbeam.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Test databases holding PostHog's events table in its layouts, and a SQL helper. */
final class ClickHouseTestTables {
  private ClickHouseTestTables() {}

  /** The events table's layouts, as PostHog shipped them (single-node form). */
  enum Layout {
    /** 2021: sort key (team_id, toDate(timestamp), distinct_id, uuid), no person columns. */
    GEN1,
    /** 2022: current sort key, person and group columns. */
    GEN2,
    /** 2024 on: adds person_mode, inserted_at, ZSTD codecs and materialized chain columns. */
    GEN3,
    /** Replicated schema: data in sharded_events (gen3), events reads through it. */
    REPLICATED
  }

  static final String COMMON_COLUMNS =
      "uuid UUID, event VARCHAR, properties VARCHAR, timestamp DateTime64(6, 'UTC'),"
          + " team_id Int64, distinct_id VARCHAR, elements_chain VARCHAR,"
          + " created_at DateTime64(6, 'UTC')";

  static final String PERSON_COLUMNS =
      ", person_id UUID, person_created_at DateTime64, person_properties VARCHAR CODEC(ZSTD(3)),"
          + " group0_properties VARCHAR CODEC(ZSTD(3)), group1_properties VARCHAR CODEC(ZSTD(3)),"
          + " group2_properties VARCHAR CODEC(ZSTD(3)), group3_properties VARCHAR CODEC(ZSTD(3)),"
          + " group4_properties VARCHAR CODEC(ZSTD(3)), group0_created_at DateTime64,"
          + " group1_created_at DateTime64, group2_created_at DateTime64,"
          + " group3_created_at DateTime64, group4_created_at DateTime64";

  static final String CURRENT_KEY =
      " ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp)"
          + " ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))"
          + " SAMPLE BY cityHash64(distinct_id)";

  /** CREATE TABLE statements for {@code layout} in {@code db}; the data table comes first. */
  static List<String> ddl(String db, Layout layout) {
    String gen1 =
        "CREATE TABLE `" + db + "`.events (" + COMMON_COLUMNS + ", _timestamp DateTime, _offset UInt64)"
            + " ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp)"
            + " ORDER BY (team_id, toDate(timestamp), distinct_id, uuid)";
    String gen2 =
        "CREATE TABLE `" + db + "`.events (" + COMMON_COLUMNS + PERSON_COLUMNS
            + ", `$group_0` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$group_0'), '^\"|\"$', '')"
            + ", `$session_id` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$session_id'), '^\"|\"$', '')"
            + ", _timestamp DateTime, _offset UInt64)" + CURRENT_KEY;
    String gen3Columns =
        COMMON_COLUMNS.replace("properties VARCHAR", "properties VARCHAR CODEC(ZSTD(3))") + PERSON_COLUMNS
            + ", person_mode Enum8('full' = 0, 'propertyless' = 1, 'force_upgrade' = 2)"
            + ", `$group_0` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$group_0'), '^\"|\"$', '')"
            + ", elements_chain_href String MATERIALIZED extract(elements_chain, '(?::|\")href=\"(.*?)\"')"
            + ", _timestamp DateTime, _offset UInt64"
            + ", inserted_at Nullable(DateTime64(6, 'UTC')) DEFAULT NOW64()"
            + ", INDEX kafka_timestamp_minmax_events _timestamp TYPE minmax GRANULARITY 3";
    switch (layout) {
      case GEN1:
        return List.of(gen1);
      case GEN2:
        return List.of(gen2);
      case GEN3:
        return List.of("CREATE TABLE `" + db + "`.events (" + gen3Columns + ")" + CURRENT_KEY);
      default:
        return List.of(
            "CREATE TABLE `" + db + "`.sharded_events (" + gen3Columns + ")" + CURRENT_KEY,
            // Distributed needs a cluster; a Merge table over the one local data table stands in.
            "CREATE TABLE `" + db + "`.events AS `" + db + "`.sharded_events"
                + " ENGINE = Merge('" + db + "', '^sharded_events$')");
    }
  }

  /** The table rows are inserted into. */
  static String dataTable(String db, Layout layout) {
    return "`" + db + "`." + (layout == Layout.REPLICATED ? "sharded_events" : "events");
  }

  /** Creates {@code db} afresh with the layout's tables; merges stay off so copies stay. */
  static void create(Connection c, String db, Layout layout) throws SQLException {
    exec(c, "DROP DATABASE IF EXISTS `" + db + "`");
    exec(c, "CREATE DATABASE `" + db + "`");
    for (String ddl : ddl(db, layout)) {
      exec(c, ddl);
    }
    exec(c, "SYSTEM STOP MERGES " + dataTable(db, layout));
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Every row of a query, each as a list of strings. */
  static List<List<String>> query(Connection c, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }
}
