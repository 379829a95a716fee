package dev.hogbeam.clickhouse;

import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic data set that stresses paging, in any schema of PostHog's events table: few
 * events, distinct_ids and timestamps (so many rows share every part of the key), rows of another
 * team at the same times, rows just outside and just inside the range, and unmerged exact copies,
 * one row copied 30 times.
 */
final class TestEvents {
  private TestEvents() {}

  /**
   * The events table as PostHog shipped it: three single-node layouts and the replicated naming.
   */
  enum Schema {
    GEN1(Layout.GEN1),
    GEN2(Layout.GEN2),
    GEN3(Layout.GEN3),
    /** Data in sharded_events (GEN3), read through events. */
    SHARDED_GEN3(Layout.GEN3);

    final Layout layout;

    Schema(Layout layout) {
      this.layout = layout;
    }

    PostHogDataGenerator create(LocalClickHouse ch, String db) {
      PostHogDataGenerator g =
          this == SHARDED_GEN3
              ? PostHogDataGenerator.createShardedEvents(ch, db, layout)
              : PostHogDataGenerator.createEvents(ch, db, layout);
      // Copies stay unmerged, as in a PostHog instance between merges.
      ch.execute("SYSTEM STOP MERGES " + g.qualifiedTable());
      return g;
    }
  }

  static final long TEAM = 2;
  static final long OTHER_TEAM = 3;
  static final Instant START = Instant.parse("2024-05-01T06:00:00Z");
  static final Instant END = Instant.parse("2024-05-03T12:00:00Z");

  /** Rows of {@link #TEAM} generated (before edge rows and copies are added). */
  static final int ROWS = 1500;

  /** _offset of the row copied 30 more times. */
  static final int MANY_COPIES_OFFSET = 42;

  /** Creates the schema in a new database and loads the data set; returns the database. */
  static String load(LocalClickHouse ch, String prefix, Schema schema) {
    String db = ch.createDatabase(prefix);
    PostHogDataGenerator g = schema.create(ch, db);
    String t = g.qualifiedTable();
    boolean persons = schema.layout.hasPersonColumns();
    ch.execute(generated(t, persons, TEAM, 0, ROWS));
    ch.execute(generated(t, persons, OTHER_TEAM, 100_000, 300));
    // Exactly at the range's edges: start and end - 1us are in, start - 1us and end are out.
    String[] edges = {
      "2024-05-01T05:59:59.999999Z",
      "2024-05-01T06:00:00Z",
      "2024-05-03T11:59:59.999999Z",
      "2024-05-03T12:00:00Z"
    };
    for (int i = 0; i < edges.length; i++) {
      g.insert(
          EventRow.builder()
              .event("edge")
              .teamId(TEAM)
              .distinctId("edge-user")
              .timestamp(Instant.parse(edges[i]))
              .offset(900_001 + i)
              .build());
    }
    // Unmerged copies: 2 more of every 100th row, in separate inserts (separate parts), and 30
    // more of one row.
    copy(ch, g, "team_id = " + TEAM + " AND _offset % 100 = 7", 1);
    copy(ch, g, "team_id = " + TEAM + " AND _offset % 100 = 7", 1);
    copy(ch, g, "team_id = " + TEAM + " AND _offset = " + MANY_COPIES_OFFSET, 30);
    return db;
  }

  /**
   * {@code n} rows for {@code team}: 3 days, 40 timestamps a day (4 micro-second variants each), 4
   * events, 23 distinct_ids, a chain on every 5th row.
   */
  static String generated(String table, boolean persons, long team, long from, int n) {
    String cols =
        "uuid, event, properties, timestamp, team_id, distinct_id, elements_chain,"
            + " created_at, _timestamp, _offset";
    String values =
        "toUUID(concat(leftPad(hex(toUInt32(number)), 8, '0'), '-1111-4222-8333-',"
            + " substring(hex(cityHash64(number)), 1, 12))),"
            + " ['$pageview', '$autocapture', '$rageclick', 'signed up'][number % 4 + 1],"
            + " concat('{\"n\":', toString(number), ',\"$lib\":\"web\",\"$lib_version\":\"1.0\"}'),"
            + " toDateTime64('2024-05-01 00:00:00', 6, 'UTC') + toIntervalDay(number % 3)"
            + "   + toIntervalSecond(intDiv(number, 3) % 40 * 2000)"
            + "   + toIntervalMicrosecond(intDiv(number, 120) % 4),"
            + " "
            + team
            + ","
            + " concat('user-', toString(number % 23)),"
            + " if(number % 5 = 0, concat('a:href=\"/p', toString(number), '\"'), ''),"
            + " now64(), now(), number";
    if (persons) {
      cols += ", person_id, person_properties, person_created_at, group0_properties";
      values +=
          ", toUUID('00000000-0000-0000-0000-00000000000' || toString(number % 10)),"
              + " '{\"email\":\"u@example.com\"}', toDateTime64('2024-01-01 00:00:00', 3, 'UTC'),"
              + " if(number % 2 = 0, '{\"plan\":\"pro\"}', '')";
    }
    return "INSERT INTO "
        + table
        + " ("
        + cols
        + ") SELECT "
        + values
        + " FROM numbers("
        + from
        + ", "
        + n
        + ")";
  }

  /**
   * Inserts {@code times} exact copies of the rows matching {@code where}, in one part ({@code
   * optimize_on_insert = 0}: otherwise ReplacingMergeTree collapses copies inside one insert).
   */
  static void copy(LocalClickHouse ch, PostHogDataGenerator g, String where, int times) {
    String cols = String.join(", ", g.layout().insertColumns());
    ch.execute(
        "INSERT INTO "
            + g.qualifiedTable()
            + " ("
            + cols
            + ") SETTINGS optimize_on_insert = 0"
            + " SELECT "
            + cols
            + " FROM "
            + g.qualifiedTable()
            + " CROSS JOIN numbers("
            + times
            + ") AS copies WHERE "
            + where);
  }

  /** Every row of a query, each as a list of strings. */
  static List<List<String>> query(Connection c, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
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
