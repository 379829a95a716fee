package dev.hogbeam.clickhouse;

import static dev.hogbeam.clickhouse.ClickHouseTestTables.exec;

import dev.hogbeam.clickhouse.ClickHouseTestTables.Layout;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic data set that stresses paging: few events, distinct_ids and timestamps (so
 * many rows share every key part), rows of another team at the same times, rows just outside
 * and just inside the range, and unmerged exact copies, one row copied 30 times.
 */
final class TestEvents {
  private TestEvents() {}

  static final long TEAM = 2;
  static final long OTHER_TEAM = 3;
  static final Instant START = Instant.parse("2024-05-01T06:00:00Z");
  static final Instant END = Instant.parse("2024-05-03T12:00:00Z");

  /** Rows of {@link #TEAM} generated (before edge rows and copies are added). */
  static final int ROWS = 1500;

  /** _offset of the row copied 30 more times. */
  static final int MANY_COPIES_OFFSET = 42;

  static void load(Connection c, String db, Layout layout) throws SQLException {
    ClickHouseTestTables.create(c, db, layout);
    String t = ClickHouseTestTables.dataTable(db, layout);
    boolean persons = layout != Layout.GEN1;
    insertGenerated(c, t, persons, TEAM, 0, ROWS);
    insertGenerated(c, t, persons, OTHER_TEAM, 100_000, 300);
    // Exactly at the range's edges: start and end - 1us are in, start - 1us and end are out.
    String[][] edges = {
      {"2024-05-01 05:59:59.999999", "900001"},
      {"2024-05-01 06:00:00.000000", "900002"},
      {"2024-05-03 11:59:59.999999", "900003"},
      {"2024-05-03 12:00:00.000000", "900004"},
    };
    for (String[] e : edges) {
      exec(c, "INSERT INTO " + t + " (uuid, event, properties, timestamp, team_id, distinct_id,"
          + " elements_chain, created_at, _timestamp, _offset) VALUES (generateUUIDv4(), 'edge',"
          + " '{}', toDateTime64('" + e[0] + "', 6, 'UTC'), " + TEAM + ", 'edge-user', '',"
          + " now64(), now(), " + e[1] + ")");
    }
    // Unmerged copies (ReplacingMergeTree keeps them until a merge): 2 more of every 100th row,
    // in separate inserts (separate parts), and 30 more of one row.
    copy(c, t, "team_id = " + TEAM + " AND _offset % 100 = 7", 1);
    copy(c, t, "team_id = " + TEAM + " AND _offset % 100 = 7", 1);
    copy(c, t, "team_id = " + TEAM + " AND _offset = " + MANY_COPIES_OFFSET, 30);
  }

  /**
   * {@code n} rows for {@code team}: 3 days, 40 timestamps a day (4 micro-second variants
   * each), 4 events, 23 distinct_ids, a chain on every 5th row.
   */
  static void insertGenerated(Connection c, String table, boolean persons, long team, long from, int n)
      throws SQLException {
    String cols = "uuid, event, properties, timestamp, team_id, distinct_id, elements_chain,"
        + " created_at, _timestamp, _offset";
    String values =
        "toUUID(concat(leftPad(hex(toUInt32(number)), 8, '0'), '-1111-4222-8333-',"
            + " substring(hex(cityHash64(number)), 1, 12))),"
            + " ['$pageview', '$autocapture', '$rageclick', 'signed up'][number % 4 + 1],"
            + " concat('{\"n\":', toString(number), ',\"$lib\":\"web\",\"$lib_version\":\"1.0\"}'),"
            + " toDateTime64('2024-05-01 00:00:00', 6, 'UTC') + toIntervalDay(number % 3)"
            + "   + toIntervalSecond(intDiv(number, 3) % 40 * 2000)"
            + "   + toIntervalMicrosecond(number % 4),"
            + " " + team + ","
            + " concat('user-', toString(number % 23)),"
            + " if(number % 5 = 0, concat('a:href=\"/p', toString(number), '\"'), ''),"
            + " now64(), now(), number";
    if (persons) {
      cols += ", person_id, person_properties, person_created_at, group0_properties";
      values += ", toUUID('00000000-0000-0000-0000-00000000000' || toString(number % 10)),"
          + " '{\"email\":\"u@example.com\"}', toDateTime64('2024-01-01 00:00:00', 3, 'UTC'),"
          + " if(number % 2 = 0, '{\"plan\":\"pro\"}', '')";
    }
    exec(c, "INSERT INTO " + table + " (" + cols + ") SELECT " + values
        + " FROM numbers(" + from + ", " + n + ")");
  }

  /** Inserts {@code times} exact copies of the rows matching {@code where}. */
  static void copy(Connection c, String table, String where, int times) throws SQLException {
    List<String> cols = new ArrayList<>();
    String[] dbAndTable = table.replace("`", "").split("\\.");
    for (List<String> r : ClickHouseTestTables.query(c,
        "SELECT name FROM system.columns WHERE database = '" + dbAndTable[0] + "' AND table = '"
            + dbAndTable[1] + "' AND default_kind IN ('', 'DEFAULT') ORDER BY position")) {
      cols.add("`" + r.get(0) + "`");
    }
    String list = String.join(", ", cols);
    exec(c, "INSERT INTO " + table + " (" + list + ") SELECT " + list + " FROM " + table
        + " CROSS JOIN numbers(" + times + ") WHERE " + where);
  }
}
