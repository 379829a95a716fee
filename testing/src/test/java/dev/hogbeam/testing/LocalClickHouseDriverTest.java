package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.jdbc.ConnectionImpl;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The official JDBC driver (clickhouse-jdbc 0.11, default settings: LZ4 response compression on)
 * against the local engine: PostHog's three table layouts, keyset paging with bound parameters,
 * exact types, errors with ClickHouse's codes, read_rows figures, concurrency.
 *
 * <p>Runs unchanged against a real server when {@code HOGBEAM_CLICKHOUSE_URL} is set.
 */
class LocalClickHouseDriverTest {
  private static LocalClickHouse clickHouse;
  private static String database;

  @BeforeAll
  static void start() {
    clickHouse = LocalClickHouse.shared();
    database = clickHouse.createDatabase("driver_test");
  }

  @AfterAll
  static void dropDatabase() {
    clickHouse.dropDatabase(database);
  }

  @Test
  void connectsWithDefaultSettingsAndReportsTheEngine() throws SQLException {
    try (Connection c = clickHouse.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version(), timezone(), currentDatabase()")) {
      assertTrue(rs.next());
      assertTrue(
          rs.getString(1).startsWith(clickHouse.isExternal() ? "" : "26.7."), rs.getString(1));
      assertEquals(clickHouse.version(), rs.getString(1));
      if (!clickHouse.isExternal()) {
        assertEquals("UTC", rs.getString(2));
      }
      assertEquals(database, rs.getString(3));
      assertEquals(clickHouse.version(), c.getMetaData().getDatabaseProductVersion());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // PostHog's layouts, keyset paging along the sort key, read_rows per page

  @ParameterizedTest
  @EnumSource(Layout.class)
  void pagesAlongTheSortKeyWithBoundParametersReadingEveryRowOnce(Layout layout)
      throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(
            clickHouse, database, "paging_" + layout.name().toLowerCase(), layout);
    LocalDate day = LocalDate.of(2024, 4, 2);
    events.generate(
        PostHogDataGenerator.spec()
            .teams(5)
            .startDay(day)
            .days(1)
            .eventsPerTeamDay(40_000)
            .propertyBytes(200)
            .seed(21)
            .build());
    String t = events.qualifiedTable();

    // The table's own order, computed by ClickHouse in one query, is what paging must reproduce.
    String keys =
        layout == Layout.GEN1
            ? "distinct_id, uuid"
            : "event, cityHash64(distinct_id), cityHash64(uuid)";
    List<String> expected = new ArrayList<>();
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT toString(uuid) FROM " + t + " ORDER BY " + keys)) {
      while (rs.next()) {
        expected.add(rs.getString(1));
      }
    }
    assertEquals(40_000, expected.size());

    String cursor =
        layout == Layout.GEN1
            ? "(distinct_id > ? OR (distinct_id = ? AND uuid > ?))"
            : "(event > ? OR (event = ? AND (cityHash64(distinct_id) > ? OR (cityHash64(distinct_id) = ? AND cityHash64(uuid) > ?))))";
    String select =
        "SELECT toString(uuid), event, distinct_id, cityHash64(distinct_id), cityHash64(uuid) FROM "
            + t
            + " WHERE team_id = ? AND toDate(timestamp) = ? AND %s ORDER BY "
            + keys
            + " LIMIT ?";
    List<String> paged = new ArrayList<>();
    List<Long> readRowsPerPage = new ArrayList<>();
    try (Connection c = clickHouse.connect();
        PreparedStatement first = c.prepareStatement(String.format(select, "1"));
        PreparedStatement next = c.prepareStatement(String.format(select, cursor))) {
      Object[] last = null;
      while (true) {
        PreparedStatement ps = last == null ? first : next;
        int i = 1;
        ps.setLong(i++, 5);
        ps.setObject(i++, day);
        if (last != null) {
          if (layout == Layout.GEN1) {
            ps.setString(i++, (String) last[2]);
            ps.setString(i++, (String) last[2]);
            ps.setObject(i++, UUID.fromString((String) last[0]));
          } else {
            ps.setString(i++, (String) last[1]);
            ps.setString(i++, (String) last[1]);
            ps.setObject(i++, last[3]);
            ps.setObject(i++, last[3]);
            ps.setObject(i++, last[4]);
          }
        }
        ps.setInt(i, 1_000);
        int rows = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            paged.add(rs.getString(1));
            last =
                new Object[] {
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getObject(4),
                  rs.getObject(5)
                };
            rows++;
          }
        }
        readRowsPerPage.add(clickHouse.summaryOfLastQuery(ps).readRows());
        if (rows < 1_000) {
          break;
        }
      }
      assertTrue(
          last[3] instanceof BigInteger, "UInt64 arrives as BigInteger: " + last[3].getClass());
    }
    assertEquals(expected, paged, "every row once, in sort-key order");
    assertEquals(41, readRowsPerPage.size());
    // The figures come back per query. The primary index keeps every page inside the team-day's
    // five granules (never the 200,000-row table) and a typical page within two of them.
    List<Long> sorted = readRowsPerPage.stream().sorted().toList();
    assertTrue(sorted.get(sorted.size() - 1) <= 5 * 8192, "read_rows per page " + readRowsPerPage);
    assertTrue(
        sorted.get(sorted.size() / 2) <= 2 * 8192, "median read_rows per page " + readRowsPerPage);
    assertTrue(
        readRowsPerPage.subList(0, 40).stream().allMatch(r -> r >= 1_000),
        "a full page reads at least the rows it returns: " + readRowsPerPage);
    System.out.println(layout + " read_rows per 1,000-row page: " + readRowsPerPage);
  }

  // ---------------------------------------------------------------------------------------------
  // Types

  @Test
  void dateTime64RoundTripsToTheMicrosecondAsInstantAndOffsetDateTime() throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "timestamps", Layout.GEN3);
    Instant[] instants = {
      Instant.parse("2024-01-01T00:00:00.000001Z"),
      Instant.parse("2024-06-30T23:59:59.999999Z"),
      Instant.parse("2021-03-04T05:06:07.654321Z"),
      Instant.parse("1999-12-31T23:59:59.123456Z"),
    };
    for (int i = 0; i < instants.length; i++) {
      events.insert(
          EventRow.builder().uuid(new UUID(0, i + 1).toString()).timestamp(instants[i]).build());
    }
    try (Connection c = clickHouse.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT timestamp, timestamp, toUnixTimestamp64Micro(timestamp) FROM "
                    + events.qualifiedTable()
                    + " WHERE timestamp = ?")) {
      for (Instant instant : instants) {
        ps.setObject(1, instant);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next(), "bound Instant " + instant + " found");
          assertEquals(instant, rs.getObject(1, Instant.class));
          assertEquals(instant.atOffset(ZoneOffset.UTC), rs.getObject(2, OffsetDateTime.class));
          assertEquals(
              instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000, rs.getLong(3));
          assertFalse(rs.next());
        }
      }
    }
  }

  /**
   * The trap the reader must avoid: the driver renders a bound LocalDateTime in the JVM's time
   * zone, so the same wall-clock value selects different rows when the JVM is not on UTC. Instant
   * and OffsetDateTime are unaffected.
   */
  @Test
  void aBoundLocalDateTimeIsRenderedInTheJvmZoneButAnInstantIsNot() throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "zones", Layout.GEN1);
    Instant instant = Instant.parse("2024-03-10T12:00:00.123456Z");
    events.insert(EventRow.builder().timestamp(instant).build());
    TimeZone original = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
    try (Connection c = clickHouse.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count() FROM " + events.qualifiedTable() + " WHERE timestamp = ?")) {
      ps.setObject(1, instant);
      assertEquals(1, single(ps));
      ps.setObject(1, instant.atOffset(ZoneOffset.ofHours(-5)));
      assertEquals(1, single(ps));
      ps.setObject(1, LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
      assertEquals(0, single(ps), "12:00 Berlin time is 11:00 UTC");
    } finally {
      TimeZone.setDefault(original);
    }
  }

  @Test
  void uuidsUnicodeAndMegabyteStringsRoundTrip() throws SQLException {
    String table = database + ".strings";
    clickHouse.execute(
        "CREATE TABLE "
            + table
            + " (id UInt32, u UUID, s String) ENGINE = ReplacingMergeTree ORDER BY id");
    StringBuilder big = new StringBuilder();
    while (big.length() < 1_500_000) {
      big.append("Zoë 東京 🚀 \"quoted\" 'single' \\ back\ttab\nnewline ")
          .append(big.length())
          .append(' ');
    }
    String[] values = {
      "Zoë Smith",
      "Łukasz Nowak — 東京 — Москва — مرحبا — 🙂🚀",
      "tab\there, newline\nthere, 'quote' \"double\" \\backslash",
      "",
      big.toString()
    };
    UUID[] uuids = {
      UUID.fromString("0190b1c2-3d4e-7f00-8a9b-0c1d2e3f4a5b"),
      UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"),
      new UUID(0, 0),
      UUID.fromString("00000000-0000-0001-8000-000000000000"),
      UUID.randomUUID()
    };
    try (Connection c = clickHouse.connect();
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO " + table + " (id, u, s) VALUES (?, ?, ?)")) {
      for (int i = 0; i < values.length; i++) {
        ps.setInt(1, i);
        ps.setObject(2, uuids[i]);
        ps.setString(3, values[i]);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (Connection c = clickHouse.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT u, toString(u), s, length(s) FROM " + table + " WHERE u = ?")) {
      for (int i = 0; i < values.length; i++) {
        ps.setObject(1, uuids[i]);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(uuids[i], rs.getObject(1, UUID.class));
          assertEquals(uuids[i].toString(), rs.getString(2));
          assertEquals(values[i], rs.getString(3));
          assertEquals(
              values[i].getBytes(java.nio.charset.StandardCharsets.UTF_8).length, rs.getLong(4));
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

  @Test
  void engineErrorsArriveAsSqlExceptionsWithClickHouseCodes() throws SQLException {
    try (Connection c = clickHouse.connect(database);
        Statement s = c.createStatement()) {
      SQLException unknownTable =
          assertThrows(SQLException.class, () -> s.executeQuery("SELECT * FROM no_such_table"));
      assertEquals(60, unknownTable.getErrorCode(), unknownTable.getMessage());
      assertTrue(unknownTable.getMessage().contains("no_such_table"), unknownTable.getMessage());

      SQLException syntax = assertThrows(SQLException.class, () -> s.executeQuery("SELEC 1"));
      assertEquals(62, syntax.getErrorCode(), syntax.getMessage());

      SQLException unknownDatabase =
          assertThrows(SQLException.class, () -> s.executeQuery("SELECT * FROM no_such_db.t"));
      assertEquals(81, unknownDatabase.getErrorCode(), unknownDatabase.getMessage());

      SQLException thrown =
          assertThrows(
              SQLException.class,
              () ->
                  drain(
                      s.executeQuery(
                          "SELECT throwIf(number = 150000, 'boom mid-stream') FROM numbers(300000)")));
      assertEquals(395, thrown.getErrorCode(), thrown.getMessage());
      assertTrue(thrown.getMessage().contains("boom mid-stream"), thrown.getMessage());

      // The connection stays usable.
      try (ResultSet rs = s.executeQuery("SELECT 42")) {
        assertTrue(rs.next());
        assertEquals(42, rs.getInt(1));
      }
    }
  }

  @Test
  void urlSettingsReachTheEngineAndUnknownOnesFailLoudly() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", clickHouse.user());
    p.setProperty("password", clickHouse.password());
    try (Connection c =
            java.sql.DriverManager.getConnection(
                clickHouse.jdbcUrl()
                    + "?clickhouse_setting_max_block_size=1234&clickhouse_setting_max_result_rows=5",
                p);
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT getSetting('max_block_size')")) {
        assertTrue(rs.next());
        assertEquals("1234", rs.getString(1));
      }
      SQLException tooMany =
          assertThrows(
              SQLException.class, () -> drain(s.executeQuery("SELECT number FROM numbers(100)")));
      assertEquals(396, tooMany.getErrorCode(), tooMany.getMessage());
    }
    try (Connection c =
            java.sql.DriverManager.getConnection(
                clickHouse.jdbcUrl() + "?clickhouse_setting_no_such_setting=1", p);
        Statement s = c.createStatement()) {
      SQLException unknown = assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
      assertEquals(115, unknown.getErrorCode(), unknown.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // read_rows

  @Test
  void readRowsOfAJdbcQueryComeFromTheSummary() throws Exception {
    String table = database + ".summary";
    clickHouse.execute(
        "CREATE TABLE "
            + table
            + " (k UInt64, v String) ENGINE = MergeTree ORDER BY k"
            + " SETTINGS index_granularity = 1000");
    clickHouse.execute(
        "INSERT INTO " + table + " SELECT number, toString(number) FROM numbers(100000)");

    String query = "SELECT k, v FROM " + table + " WHERE k >= 50000 AND k < 50010";
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement()) {
      assertEquals(10, drain(s.executeQuery(query)));
      QuerySummary summary = clickHouse.summaryOfLastQuery(s);
      assertTrue(
          summary.readRows() >= 1000 && summary.readRows() <= 2000,
          "one or two 1,000-row granules of the primary index, not the table: "
              + summary.readRows());
      assertEquals(10, summary.resultRows());
      assertTrue(summary.readBytes() > 0);

      assertEquals(40_951, drainCount(s, "SELECT count() FROM " + table + " WHERE v LIKE '%7%'"));
      assertEquals(
          100_000, clickHouse.summaryOfLastQuery(s).readRows(), "no index use: a full scan");

      // The same figure through client-v2, the API under the JDBC driver.
      Client client = c.unwrap(ConnectionImpl.class).getClient();
      try (QueryResponse response = client.query(query).get(30, TimeUnit.SECONDS)) {
        assertEquals(summary.readRows(), response.getReadRows());
        assertEquals(10, response.getResultRows());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency

  @Test
  void concurrentQueriesFromManyConnectionsDoNotInterfere() throws Exception {
    int threads = 8;
    List<String> databases = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      String db = clickHouse.createDatabase("concurrent");
      databases.add(db);
      clickHouse.execute("CREATE TABLE " + db + ".t (k UInt64) ENGINE = MergeTree ORDER BY k");
      clickHouse.execute(
          "INSERT INTO " + db + ".t SELECT number * " + (i + 1) + " FROM numbers(200000)");
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int index = i;
        Callable<Integer> work =
            () -> {
              int checked = 0;
              Properties p = new Properties();
              p.setProperty("user", clickHouse.user());
              p.setProperty("password", clickHouse.password());
              p.setProperty("clickhouse_setting_max_block_size", Integer.toString(10_000 + index));
              try (Connection c =
                      java.sql.DriverManager.getConnection(
                          clickHouse.jdbcUrl(databases.get(index)), p);
                  Statement s = c.createStatement()) {
                for (int round = 0; round < 15; round++) {
                  try (ResultSet rs =
                      s.executeQuery(
                          "SELECT currentDatabase(), getSetting('max_block_size'), sum(k), count() FROM t")) {
                    rs.next();
                    assertEquals(databases.get(index), rs.getString(1));
                    assertEquals(Integer.toString(10_000 + index), rs.getString(2));
                    assertEquals(
                        BigInteger.valueOf(199_999L * 200_000 / 2 * (index + 1)),
                        rs.getObject(3, BigInteger.class));
                    assertEquals(200_000, rs.getLong(4));
                    checked++;
                  }
                }
              }
              return checked;
            };
        results.add(pool.submit(work));
      }
      for (Future<Integer> f : results) {
        assertEquals(15, f.get(120, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      databases.forEach(clickHouse::dropDatabase);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Request compression (response compression is on in every test: the driver's default)

  @Test
  void lz4CompressedRequestBodiesFromTheDriverAreAccepted() throws SQLException {
    String table = database + ".compressed_requests";
    clickHouse.execute(
        "CREATE TABLE " + table + " (id UInt32, s String) ENGINE = MergeTree ORDER BY id");
    Properties p = new Properties();
    p.setProperty("user", clickHouse.user());
    p.setProperty("password", clickHouse.password());
    p.setProperty("decompress", "true");
    p.setProperty("compression.method", "LZ4");
    try (Connection c = java.sql.DriverManager.getConnection(clickHouse.jdbcUrl(), p);
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO " + table + " (id, s) VALUES (?, ?)")) {
      for (int i = 0; i < 2_000; i++) {
        ps.setInt(1, i);
        ps.setString(2, "row " + i + " ünïcödé " + "x".repeat(i % 300));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(), sum(length(s)), any(s) FROM "
                    + table
                    + " WHERE id = 7 OR id < 2000")) {
      rs.next();
      assertEquals(2_000, rs.getLong(1));
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static long single(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      assertTrue(rs.next());
      return rs.getLong(1);
    }
  }

  private static long drainCount(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int drain(ResultSet rs) throws SQLException {
    try (rs) {
      int n = 0;
      while (rs.next()) {
        assertNotNull(rs.getString(1));
        n++;
      }
      return n;
    }
  }
}
