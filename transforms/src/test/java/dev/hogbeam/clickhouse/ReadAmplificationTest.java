package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.QuerySummary;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * ClickHouse reads each row of a 1.2M-row team-day about once with sort-key keyset pages, by
 * ClickHouse's own figures (X-ClickHouse-Summary), where time-ordered pages re-read the rest of
 * the day on every page.
 */
class ReadAmplificationTest {

  @Test
  void sortKeyPagesReadEachRowAboutOnce() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("chread_amplification");
    PostHogDataGenerator.Generated generated =
        PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
            .generate(PostHogDataGenerator.spec().teams(2).startDay(LocalDate.of(2024, 6, 1)).days(1)
                .eventsPerTeamDay(1_200_000).duplicateFraction(0.01).seed(3).build());
    try {
      ClickHouseConnectionConfig config = ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password());
      ReadPlan plan = ClickHouseEventsIO.read()
          .withUrl(ch.jdbcUrl()).withUser(ch.user()).withPassword(ch.password())
          .withDatabase(db).withTeamId(2)
          .withRange(Instant.parse("2024-06-01T00:00:00Z"), Instant.parse("2024-06-02T00:00:00Z"))
          .plan();
      assertEquals(1, plan.shards().size());
      Shard day = plan.shards().get(0);

      long[] count = {0};
      ShardReadStats stats;
      try (ShardReader reader =
          new ShardReader(config, plan, ClickHouseEventsIO.DEFAULT_FETCH_SIZE, 0, Duration.ZERO)) {
        stats = reader.read(day, r -> count[0]++);
      }
      System.out.printf("sort-key keyset, default pages: %s, %.3f rows read per row%n", stats, stats.readAmplification());
      assertEquals(generated.rows(), count[0]);
      assertEquals(generated.rows(), stats.rowsReturned());
      assertTrue(stats.readAmplification() <= 1.5, stats.toString());

      // For comparison, printed: small pages, and migrate.py's time-ordered page at a few places.
      try (ShardReader reader = new ShardReader(config, plan, 10_000, 0, Duration.ZERO)) {
        ShardReadStats small = reader.read(day, r -> {});
        System.out.printf("sort-key keyset, 10000-row pages: %s, %.3f rows read per row%n", small, small.readAmplification());
      }
      try (Connection c = ch.connect(); Statement s = c.createStatement()) {
        for (int hour : new int[] {0, 6, 12, 18}) {
          long cursor = Instant.parse("2024-06-01T00:00:00Z").getEpochSecond() + hour * 3600L;
          String sql = "SELECT uuid, event, properties, toInt64(timestamp) AS timestamp, team_id, distinct_id,"
              + " elements_chain FROM " + db + ".events WHERE team_id = 2"
              + " AND timestamp >= toDateTime64(1717200000, 6) AND timestamp < toDateTime64(1717286400, 6)"
              + " AND (timestamp, uuid) > (toDateTime64(" + cursor + ", 6), toUUID('00000000-0000-0000-0000-000000000000'))"
              + " ORDER BY timestamp, uuid LIMIT 10000";
          try (ResultSet rs = s.executeQuery(sql)) {
            long fromDriver = QuerySummaries.readRowsAndBytes(rs)[0];
            int n = 0;
            while (rs.next()) {
              n++;
            }
            // Our figure (the driver's parsed X-ClickHouse-Summary) is the engine's own record.
            assertEquals(ch.summaryOf(QuerySummary.lastQueryId(s)).readRows(), fromDriver);
            System.out.printf("time-ordered page of %d rows from %02d:00: ClickHouse read %,d rows%n", n, hour, fromDriver);
          }
        }
      }
    } finally {
      ch.dropDatabase(db);
    }
  }
}
