package dev.hogbeam.clickhouse;

import static dev.hogbeam.clickhouse.TestEvents.TEAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.clickhouse.FlakyClickHouseProxy.Fault;
import dev.hogbeam.clickhouse.TestEvents.Schema;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A query refused as overloaded, or a page whose response breaks off halfway, is repeated from the
 * last complete key: the shard still comes out exactly once. Failures that persist, or that are not
 * transient, fail the shard with its id.
 */
class ShardReaderRetryTest {
  static LocalClickHouse ch;
  static String db;
  static FlakyClickHouseProxy proxy;
  static ReadPlan plan;
  static Shard day;

  @BeforeAll
  static void setUp() throws Exception {
    ch = LocalClickHouse.shared();
    db = TestEvents.load(ch, "chread_retry", Schema.GEN3);
    proxy = new FlakyClickHouseProxy(ch.httpUrl());
    plan =
        ClickHouseEventsIO.read()
            .withUrl(ch.jdbcUrl())
            .withUser(ch.user())
            .withPassword(ch.password())
            .withDatabase(db)
            .withTeamId(TEAM)
            .withRange(Instant.parse("2024-05-02T00:00:00Z"), Instant.parse("2024-05-03T00:00:00Z"))
            .plan();
    day = plan.shards().get(0);
    // Each JVM's pool of a connection's settings checks its first connection once when it starts
    // (DBCP: one SELECT 1); start the pools of the URLs used here before requests are counted.
    for (String url :
        List.of(
            proxy.jdbcUrl(),
            proxy.jdbcUrl() + "?compress=0",
            proxy.jdbcUrl() + "?clickhouse_setting_max_result_rows=10")) {
      try (Connection c = ClickHouseConnectionConfig.of(url, ch.user(), ch.password()).open()) {
        assertTrue(c.isValid(10));
      }
    }
  }

  @AfterAll
  static void tearDown() {
    proxy.close();
  }

  static ShardReader reader(int maxRetries) {
    return reader(proxy.jdbcUrl(), maxRetries);
  }

  static ShardReader reader(String url, int maxRetries) {
    return new ShardReader(
        ClickHouseConnectionConfig.of(url, ch.user(), ch.password()),
        plan,
        40,
        maxRetries,
        Duration.millis(1));
  }

  /** The day's rows in the table's FINAL view as uuid|microseconds, sorted: a multiset. */
  static List<String> truth() throws Exception {
    try (Connection c = ch.connect()) {
      return TestEvents.query(
              c,
              "SELECT toString(uuid), toUnixTimestamp64Micro(timestamp) FROM "
                  + db
                  + ".events FINAL WHERE team_id = "
                  + TEAM
                  + " AND toDate(timestamp) = '2024-05-02'")
          .stream()
          .map(r -> r.get(0) + "|" + r.get(1))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  @Test
  void pagesCutOffHalfwayAreRepeatedFromTheLastCompleteKey() throws Exception {
    List<String> read = new ArrayList<>();
    // Three responses break off halfway through their rows, two of them in a row. Uncompressed
    // (a page of 40 rows is one compressed block: cut, it yields no row at all), so each broken
    // page has passed some rows on; the repeat starts after the last complete key, and that
    // progress renews the retry budget (1), which is why two failures in a row do not end it.
    // Request 1 is the first page: the day is whole, so the plan's count stands in for a count.
    proxy.arm(Map.of(3, Fault.CUT_OFF_BODY, 5, Fault.CUT_OFF_BODY, 6, Fault.CUT_OFF_BODY));
    ShardReadStats stats;
    try (ShardReader r = reader(proxy.jdbcUrl() + "?compress=0", 1)) {
      stats = r.read(day, row -> read.add(row.uuid() + "|" + row.timestampMicros()));
    }
    read.sort(null);
    assertEquals(truth(), read);
    assertEquals(3, stats.retries(), stats.toString());
    assertEquals(stats.pages() + 3, stats.queries(), stats.toString());
    assertEquals(proxy.requests(), stats.queries(), stats.toString());
  }

  @Test
  void everyQueryAsksForAnErrorInsteadOfAShortResult() throws Exception {
    // The engine behind the proxy applies what the request asks: with the reader's settings a
    // result limit is an error (TOO_MANY_ROWS_OR_BYTES, not worth repeating), never a short page.
    try (ShardReader r = reader(proxy.jdbcUrl() + "?clickhouse_setting_max_result_rows=10", 3)) {
      proxy.arm(Map.of());
      ShardReader.ShardReadException e =
          assertThrows(ShardReader.ShardReadException.class, () -> r.read(day, row -> {}));
      assertTrue(e.getMessage().contains("team2-2024-05-02"), e.getMessage());
      assertTrue(e.getMessage().contains("TOO_MANY_ROWS_OR_BYTES"), e.getMessage());
      assertEquals(1, proxy.requests(), "one page; no repeat");
    }
  }

  @Test
  void aPageCutShortIsReadOnFromTheLastRowPassedOn() throws Exception {
    List<String> read = new ArrayList<>();
    // Request 1 is the first page, request 2 the second: it comes back with 10 of 40 rows and no
    // error, as if it were the last. The rows then fall short of the plan's count, so the shard is
    // counted (request 3), and the count says more rows are due: the reader reads on after its
    // cursor.
    proxy.arm(Map.of(2, Fault.SHORT_RESULT));
    ShardReadStats stats;
    try (ShardReader r = reader(3)) {
      stats = r.read(day, row -> read.add(row.uuid() + "|" + row.timestampMicros()));
    }
    read.sort(null);
    assertEquals(truth(), read);
    assertEquals(1, stats.retries(), stats.toString());
    assertEquals(truth().size(), stats.expectedRows(), stats.toString());
    assertEquals(stats.expectedRows(), stats.rowsReturned(), stats.toString());
  }

  @Test
  void aShardThatStaysShortFailsNamingItAndItsCount() {
    Map<Integer, Fault> always = new java.util.HashMap<>();
    for (int i = 1; i <= 100; i++) {
      always.put(i, Fault.SHORT_RESULT);
    }
    proxy.arm(always);
    List<String> read = new ArrayList<>();
    ShardReader.ShardReadException e =
        assertThrows(
            ShardReader.ShardReadException.class,
            () -> {
              try (ShardReader r = reader(2)) {
                r.read(day, row -> read.add(row.uuid()));
              }
            });
    assertTrue(
        e.getMessage().startsWith("Reading ClickHouse shard team2-2024-05-02 came up short"),
        e.getMessage());
    assertTrue(e.getMessage().contains("returned " + read.size() + " rows"), e.getMessage());
    assertTrue(e.getMessage().contains("max_result_rows"), e.getMessage());
    // The first page (short), the count (the rows differ from the plan's), then a page after each
    // of the 2 allowed shortfalls.
    assertEquals(4, proxy.requests(), e.getMessage());
    assertTrue(read.size() > 0 && read.size() <= 3 * 10, "rows passed on: " + read.size());
  }

  @Test
  void theDaysPlannedCountStandsInForACountWhenEveryStoredRowWasSeen() throws Exception {
    proxy.arm(Map.of());
    List<String> read = new ArrayList<>();
    ShardReadStats stats;
    try (ShardReader r = reader(3)) {
      stats = r.read(day, row -> read.add(row.uuid() + "|" + row.timestampMicros()));
    }
    read.sort(null);
    assertEquals(truth(), read);
    // Only pages: no count query.
    assertEquals(stats.pages(), proxy.requests(), stats.toString());
    assertEquals(
        day.estimatedRows(), stats.rowsReturned() + stats.copiesMerged(), stats.toString());
    assertEquals(truth().size(), stats.expectedRows(), stats.toString());
  }

  @Test
  void aPlannedCountThatNoLongerMatchesIsCheckedByCountingAfterThePages() throws Exception {
    // The plan counted one row fewer than the table holds now (a row inserted since): the pages
    // read every row, then the shard is counted once, and the count agrees with what was read.
    Shard stale =
        Shard.of(
            day.id(),
            day.teamId(),
            day.day(),
            day.startMicros(),
            day.endMicros(),
            1,
            1,
            null,
            null,
            day.estimatedRows() - 1);
    proxy.arm(Map.of());
    List<String> read = new ArrayList<>();
    ShardReadStats stats;
    try (ShardReader r = reader(3)) {
      stats = r.read(stale, row -> read.add(row.uuid() + "|" + row.timestampMicros()));
    }
    read.sort(null);
    assertEquals(truth(), read);
    assertEquals(stats.pages() + 1, proxy.requests(), stats.toString());
    assertEquals(truth().size(), stats.expectedRows(), stats.toString());
    assertEquals(0, stats.retries(), stats.toString());
  }

  @Test
  void theDriverRepeatsAnOverloadedAnswerItself() throws Exception {
    List<String> read = new ArrayList<>();
    proxy.arm(Map.of(2, Fault.TOO_MANY_QUERIES));
    ShardReadStats stats;
    try (ShardReader r = reader(0)) {
      stats = r.read(day, row -> read.add(row.uuid() + "|" + row.timestampMicros()));
    }
    read.sort(null);
    assertEquals(truth(), read);
    assertEquals(0, stats.retries(), stats.toString());
    assertEquals(stats.queries() + 1, proxy.requests(), stats.toString());
  }

  @Test
  void persistentOrNonTransientFailuresFailTheShardByName() {
    Map<Integer, Fault> always = new java.util.HashMap<>();
    for (int i = 1; i <= 100; i++) {
      always.put(i, Fault.TOO_MANY_QUERIES);
    }
    proxy.arm(always);
    ShardReader.ShardReadException e =
        assertThrows(
            ShardReader.ShardReadException.class,
            () -> {
              try (ShardReader r = reader(1)) {
                r.read(day, row -> {});
              }
            });
    assertTrue(
        e.getMessage().startsWith("Reading ClickHouse shard team2-2024-05-02 failed after 0 rows"),
        e.getMessage());
    assertTrue(proxy.requests() >= 2 && proxy.requests() < 100, "requests: " + proxy.requests());

    proxy.arm(Map.of());
    ReadPlan broken =
        ReadPlan.fromJson(
            plan.toJson()
                .replace("\"queryTable\" : \"events\"", "\"queryTable\" : \"no_such_table\""));
    e =
        assertThrows(
            ShardReader.ShardReadException.class,
            () -> {
              try (ShardReader r =
                  new ShardReader(
                      ClickHouseConnectionConfig.of(proxy.jdbcUrl(), ch.user(), ch.password()),
                      broken,
                      40,
                      3,
                      Duration.millis(1))) {
                r.read(day, row -> {});
              }
            });
    assertTrue(e.getMessage().contains("team2-2024-05-02"), e.getMessage());
    assertEquals(1, proxy.requests(), "an unknown table is not worth repeating");
  }
}
