package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.QuerySummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * ClickHouse reads each row of a 1.2M-row team-day about once with sort-key keyset pages, by
 * ClickHouse's own figures, where the reference script's time-ordered pages read the whole day for
 * every page.
 *
 * <p>Each query is measured by running it again inside {@code SELECT count(), sum(cityHash64(*))
 * FROM (...)}: the same reading plan, but a one-row result. The local engine's front end sums
 * per-chunk figures of streamed results and was seen to under-count big streamed results
 * (reported); a one-row result is exact.
 */
class ReadAmplificationTest {

  /** Rows ClickHouse read to answer {@code q}, measured as described above. */
  static long readRows(Connection c, LocalClickHouse ch, PageQueries.Query q) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT count(), sum(cityHash64(*)) FROM (" + q.sql() + ")")) {
      PageQueries.bind(ps, q.params());
      try (ResultSet rs = ps.executeQuery()) {
        long fromDriver = QuerySummaries.readRowsAndBytes(rs)[0];
        rs.next();
        // The figure the production reader takes from the driver is the engine's own record.
        assertEquals(ch.summaryOf(QuerySummary.lastQueryId(ps)).readRows(), fromDriver);
        return fromDriver;
      }
    }
  }

  @Test
  void sortKeyPagesReadEachRowAboutOnce() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("chread_amplification");
    PostHogDataGenerator.Generated generated =
        PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
            .generate(
                PostHogDataGenerator.spec()
                    .teams(2)
                    .startDay(LocalDate.of(2024, 6, 1))
                    .days(1)
                    .eventsPerTeamDay(1_200_000)
                    .duplicateFraction(0.01)
                    .seed(3)
                    .build());
    try (Connection c = ch.connect()) {
      ClickHouseConnectionConfig config =
          ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password());
      ReadPlan plan =
          ClickHouseEventsIO.read()
              .withUrl(ch.jdbcUrl())
              .withUser(ch.user())
              .withPassword(ch.password())
              .withDatabase(db)
              .withTeamId(2)
              .withRange(
                  Instant.parse("2024-06-01T00:00:00Z"), Instant.parse("2024-06-02T00:00:00Z"))
              .plan();
      assertEquals(1, plan.shards().size());
      Shard day = plan.shards().get(0);

      // Read the day with the reader; then measure each query it ran.
      for (int pageSize : new int[] {ClickHouseEventsIO.DEFAULT_FETCH_SIZE, 10_000}) {
        List<PageQueries.Query> queries = new ArrayList<>();
        long[] count = {0};
        ShardReadStats stats;
        try (ShardReader reader =
            new ShardReader(config, plan, pageSize, 0, Duration.ZERO, queries::add)) {
          stats = reader.read(day, r -> count[0]++);
        }
        // One row per event: the unmerged copies are merged as the table would merge them.
        assertEquals(generated.events(), count[0]);
        assertEquals(generated.events(), stats.rowsReturned());
        assertEquals(generated.duplicates(), stats.copiesMerged());
        assertEquals(stats.queries(), queries.size());
        // Every query the reader ran: pages only. The day is whole and every stored row was seen,
        // so the plan's count of them stood in for counting the shard again.
        for (PageQueries.Query q : queries) {
          assertTrue(!q.sql().startsWith("SELECT count()"), q.sql());
        }
        assertEquals(day.estimatedRows(), stats.rowsReturned() + stats.copiesMerged());
        long read = 0;
        for (PageQueries.Query q : queries) {
          read += readRows(c, ch, q);
        }
        double amplification = (double) read / generated.rows();
        System.out.printf(
            "sort-key keyset, pages of %,d: %d queries, ClickHouse read %,d rows for %,d, %.3f per row (%d ms)%n",
            pageSize, queries.size(), read, generated.rows(), amplification, stats.elapsedMillis());
        if (pageSize == ClickHouseEventsIO.DEFAULT_FETCH_SIZE) {
          assertTrue(read >= generated.rows(), "every row is read at least once: " + read);
          assertTrue(amplification <= 1.5, "rows read per row returned: " + amplification);
        }
      }

      // For comparison, printed: migrate.py's time-ordered page of 10,000 rows at a few places.
      for (int hour : new int[] {0, 6, 12, 18}) {
        long from = Instant.parse("2024-06-01T00:00:00Z").getEpochSecond() + hour * 3600L;
        PageQueries.Query q =
            new PageQueries.Query(
                "SELECT uuid, event, properties, toInt64(timestamp) AS timestamp, team_id, distinct_id,"
                    + " elements_chain FROM "
                    + db
                    + ".events WHERE team_id = 2"
                    + " AND timestamp >= toDateTime64(1717200000, 6) AND timestamp < toDateTime64(1717286400, 6)"
                    + " AND (timestamp, uuid) > (toDateTime64(?, 6), toUUID('00000000-0000-0000-0000-000000000000'))"
                    + " ORDER BY timestamp, uuid LIMIT 10000",
                List.of(from));
        System.out.printf(
            "time-ordered page of 10,000 rows from %02d:00: ClickHouse read %,d rows%n",
            hour, readRows(c, ch, q));
      }
    } finally {
      ch.dropDatabase(db);
    }
  }
}
