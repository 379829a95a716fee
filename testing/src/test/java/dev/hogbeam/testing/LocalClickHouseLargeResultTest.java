package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A million-row, gigabyte-sized result through the driver from a front end whose heap is capped at
 * 128 MB: results never pass through the front end's heap as a whole (they wait in the engine's
 * native memory, see the resident figures printed). Both ways of running a SELECT are measured: to
 * completion (the default; exact read_rows) and streamed (wait_end_of_query=0).
 */
class LocalClickHouseLargeResultTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aGigabyteResultPassesThroughAFrontEndWith128MbOfHeap() throws Exception {
    assumeFalse(LocalClickHouse.shared().isExternal(), "measures the local engine's front end");
    try (LocalClickHouse clickHouse = LocalClickHouse.builder().frontEndHeap("128m").startLocal()) {
      String database = clickHouse.createDatabase("large");
      PostHogDataGenerator events =
          PostHogDataGenerator.createEvents(clickHouse, database, Layout.GEN3);
      events.generate(
          PostHogDataGenerator.spec()
              .teams(1)
              .startDay(LocalDate.of(2024, 1, 1))
              .days(4)
              .eventsPerTeamDay(250_000)
              .propertyBytes(950)
              .seed(5)
              .build());
      String select =
          "SELECT uuid, event, properties, timestamp, distinct_id, elements_chain FROM "
              + events.qualifiedTable();
      for (String mode : new String[] {"complete", "streamed"}) {
        JSON.readTree(clickHouse.httpGet("/hogbeam/status?reset_peak=1"));
        Properties p = new Properties();
        p.setProperty("user", clickHouse.user());
        p.setProperty("password", clickHouse.password());
        if (mode.equals("streamed")) {
          p.setProperty("clickhouse_setting_wait_end_of_query", "0");
        }
        long rows = 0;
        long bytes = 0;
        long start = System.nanoTime();
        String queryId;
        try (Connection c = DriverManager.getConnection(clickHouse.jdbcUrl(), p);
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery(select)) {
          while (rs.next()) {
            bytes +=
                16
                    + rs.getString(2).length()
                    + rs.getString(3).length()
                    + 8
                    + rs.getString(5).length()
                    + rs.getString(6).length();
            Instant ts = rs.getObject(4, Instant.class);
            assertTrue(ts.getEpochSecond() >= 1_704_067_200L);
            rows++;
          }
          queryId = QuerySummary.lastQueryId(s);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(1_000_000, rows);
        assertTrue(bytes > 1_000_000_000L, "a gigabyte of result: " + bytes);
        QuerySummary summary = clickHouse.summaryOf(queryId);
        assertEquals(1_000_000, summary.resultRows());
        if (mode.equals("complete")) {
          assertEquals(1_000_000, summary.readRows(), "exact when the statement ran to completion");
        }
        JsonNode status = JSON.readTree(clickHouse.httpGet("/hogbeam/status"));
        System.out.printf(
            "%s: %,d rows (%,d MB) through the driver in %.1f s: %,.0f rows/s, %,.0f MB/s;"
                + " read_rows %,d; front end heap peak %,d MB of %,d MB, resident peak %,d MB%n",
            mode,
            rows,
            bytes >> 20,
            seconds,
            rows / seconds,
            (bytes >> 20) / seconds,
            summary.readRows(),
            status.path("heap_peak_bytes").asLong() >> 20,
            status.path("heap_max_bytes").asLong() >> 20,
            status.path("rss_peak_bytes").asLong() >> 20);
        long heapMax = status.path("heap_max_bytes").asLong();
        assertTrue(heapMax <= 140L << 20, "front end runs with -Xmx128m: " + heapMax);
        assertTrue(status.path("heap_peak_bytes").asLong() <= heapMax);
      }
      clickHouse.dropDatabase(database);
    }
  }
}
