package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PageQueriesTest {
  static final List<KeyColumn> GEN2_KEYS =
      List.of(
          KeyColumn.of("event", "String"),
          KeyColumn.of("cityHash64(distinct_id)", "UInt64"),
          KeyColumn.of("cityHash64(uuid)", "UInt64"));

  static ReadPlan plan(ReferenceCursor rc, List<Shard> shards) {
    return new ReadPlan(
        "posthog",
        "events",
        "sharded_events",
        "team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid)",
        ReadPlan.PagingMode.SORT_KEY,
        GEN2_KEYS,
        SourceDiscovery.HASH_SPLIT,
        List.of("elements_chain", "person_id"),
        "max_threads = 1",
        2,
        Timestamps.toMicros(Instant.parse("2024-05-01T00:00:00Z")),
        Timestamps.toMicros(Instant.parse("2024-05-02T00:00:00Z")),
        rc,
        shards,
        List.of(),
        CopyRule.LATEST_VERSION,
        null);
  }

  static final Shard DAY =
      Shard.of(
          "team2-2024-05-01",
          2,
          "2024-05-01",
          Timestamps.toMicros(Instant.parse("2024-05-01T06:30:00.000001Z")),
          Timestamps.toMicros(Instant.parse("2024-05-02T00:00:00Z")),
          1,
          1,
          null,
          null,
          10);

  static final Shard PART =
      Shard.of(
          "team2-2024-05-01-p2of3",
          2,
          "2024-05-01",
          Timestamps.toMicros(Instant.parse("2024-05-01T00:00:00Z")),
          Timestamps.toMicros(Instant.parse("2024-05-02T00:00:00Z")),
          2,
          3,
          "6148914691236517205",
          "12297829382473034410",
          10);

  static final String SELECT =
      "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties,"
          + " elements_chain, toString(person_id), hex(event), toString(cityHash64(distinct_id)),"
          + " toString(cityHash64(uuid)), _part, _part_offset FROM `posthog`.`events`";
  static final String SHARD =
      " WHERE team_id = ? AND toDate(timestamp) = toDate(?) AND timestamp >= toDateTime64(?, 6, 'UTC')"
          + " AND timestamp < toDateTime64(?, 6, 'UTC')";

  @Test
  void firstPageHasNoCursor() {
    PageQueries.Query q = PageQueries.page(plan(null, List.of(DAY)), DAY, null, 1000);
    assertEquals(
        SELECT
            + SHARD
            + " ORDER BY team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid)"
            + " LIMIT 1000 SETTINGS max_threads = 1",
        q.sql());
    assertEquals(
        List.of(2L, "2024-05-01", "2024-05-01 06:30:00.000001", "2024-05-02 00:00:00.000000"),
        q.params());
  }

  @Test
  void laterPagesBindTheCursorInTheExpandedForm() {
    List<String> cursor = List.of("24706167656576696577", "18446744073709551615", "0");
    PageQueries.Query q = PageQueries.page(plan(null, List.of(PART)), PART, cursor, 500);
    assertEquals(
        SELECT
            + SHARD
            + " AND cityHash64(distinct_id) >= CAST(? AS UInt64) AND cityHash64(distinct_id) < CAST(? AS UInt64)"
            + " AND "
            + SortKeys.after(GEN2_KEYS)
            + " ORDER BY team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid)"
            + " LIMIT 500 SETTINGS max_threads = 1",
        q.sql());
    assertEquals(
        List.of(
            2L,
            "2024-05-01",
            "2024-05-01 00:00:00.000000",
            "2024-05-02 00:00:00.000000",
            "6148914691236517205",
            "12297829382473034410",
            "24706167656576696577",
            "24706167656576696577",
            "18446744073709551615",
            "18446744073709551615",
            "0"),
        q.params());
  }

  @Test
  void tieGroupsSelectEveryRowWithTheKey() {
    ReferenceCursor rc =
        ReferenceCursor.of(1714545000L, UUID.fromString("00000000-0000-0000-0000-0000000000ff"));
    PageQueries.Query q =
        PageQueries.tieGroup(plan(rc, List.of(DAY)), DAY, List.of("61", "1", "2"));
    assertEquals(
        SELECT
            + SHARD
            + " AND (toInt64(timestamp), uuid) > (toInt64(?), toUUID(?))"
            + " AND event = unhex(?) AND cityHash64(distinct_id) = CAST(? AS UInt64)"
            + " AND cityHash64(uuid) = CAST(? AS UInt64) SETTINGS max_threads = 1",
        q.sql());
    assertEquals(
        List.of(
            2L,
            "2024-05-01",
            "2024-05-01 06:30:00.000001",
            "2024-05-02 00:00:00.000000",
            1714545000L,
            "00000000-0000-0000-0000-0000000000ff",
            "61",
            "1",
            "2"),
        q.params());
  }

  @Test
  void cursorMustMatchTheKey() {
    assertThrows(
        IllegalArgumentException.class,
        () -> PageQueries.page(plan(null, List.of(DAY)), DAY, List.of("1"), 10));
    assertThrows(
        IllegalArgumentException.class,
        () -> PageQueries.page(plan(null, List.of(DAY)), DAY, null, 0));
  }

  @Test
  void clickHouseTimeIsExplicitUtcText() {
    assertEquals("1970-01-01 00:00:00.000000", PageQueries.clickHouseTime(0));
    assertEquals(
        "2024-02-29 23:59:59.999999",
        PageQueries.clickHouseTime(
            Timestamps.toMicros(Instant.parse("2024-02-29T23:59:59.999999Z"))));
    assertEquals("`we\\`ird`", PageQueries.quoteIdentifier("we`ird"));
  }

  @Test
  void planDescribesItselfForTheLog() {
    String d = plan(null, List.of(DAY, PART)).describe();
    assertTrue(d.contains("table posthog.events (data in posthog.sharded_events)"), d);
    assertTrue(
        d.contains(
            "paging SORT_KEY by [event String, cityHash64(distinct_id) UInt64, cityHash64(uuid) UInt64]"),
        d);
    assertTrue(d.contains("2 shards, about 20 rows"), d);
    assertTrue(
        d.contains(
            "team2-2024-05-01-p2of3[2024-05-01T00:00:00.000000Z, 2024-05-02T00:00:00.000000Z)"),
        d);
    List<Shard> many = new java.util.ArrayList<>();
    for (int i = 0; i < 45; i++) {
      many.add(DAY);
    }
    assertTrue(plan(null, many).describe().endsWith("... and 5 more"));
  }

  @Test
  void planRoundTripsThroughJson() {
    ReadPlan p =
        plan(
            ReferenceCursor.of(5, UUID.fromString("0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5b")),
            List.of(DAY, PART));
    assertEquals(p, ReadPlan.fromJson(p.toJson()));
    ReadPlan q = plan(null, List.of(PART));
    assertEquals(q, ReadPlan.fromJson(q.toJson()));
    assertEquals(20, p.estimatedRows());
    assertEquals(PART, p.shard("team2-2024-05-01-p2of3"));
    assertThrows(IllegalArgumentException.class, () -> ReadPlan.fromJson("{}"));
  }

  @Test
  void theCopyRuleDecidesWhatIsSelectedAndCounted() {
    ReadPlan latest =
        plan(null, List.of(DAY))
            .withCopyRule(CopyRule.LATEST_VERSION, KeyColumn.of("_timestamp", "DateTime"));
    assertTrue(
        PageQueries.page(latest, DAY, null, 5)
            .sql()
            .contains(
                " toString(cityHash64(uuid)),"
                    + " toUnixTimestamp64Nano(toDateTime64(_timestamp, 9, 'UTC')), _part,"
                    + " _part_offset FROM `posthog`.`events` WHERE"));
    assertEquals(
        "SELECT count() FROM `posthog`.`events` FINAL" + SHARD + " SETTINGS max_threads = 1",
        PageQueries.shardCount(latest, DAY).sql());
    ReadPlan fin = latest.withCopyRule(CopyRule.FINAL, null);
    assertEquals(null, fin.versionColumn());
    assertTrue(
        PageQueries.page(fin, DAY, null, 5)
            .sql()
            .contains(" toString(cityHash64(uuid)) FROM `posthog`.`events` FINAL WHERE"));
    ReadPlan all = latest.withCopyRule(CopyRule.KEEP_ALL, null);
    assertEquals(
        "SELECT count() FROM `posthog`.`events`" + SHARD + " SETTINGS max_threads = 1",
        PageQueries.shardCount(all, DAY).sql());
    // A plan saved without a version column counts the distinct paging keys.
    assertEquals(
        "SELECT count() FROM (SELECT 1 FROM `posthog`.`events`"
            + SHARD
            + " GROUP BY event, cityHash64(distinct_id), cityHash64(uuid)) SETTINGS max_threads = 1",
        PageQueries.shardCount(plan(null, List.of(DAY)), DAY).sql());
    assertEquals(latest, ReadPlan.fromJson(latest.toJson()));
    assertEquals(fin, ReadPlan.fromJson(fin.toJson()));
  }
}
