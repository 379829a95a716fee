package dev.hogbeam.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.Timestamps;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Identifiers from flags reach SQL only quoted; day shards cut to the range. */
class JdbcTableTest {

  @Test
  void tableNamesArePlainIdentifiersQuotedWithTheDatabasesQuote() {
    assertEquals("\"public\".\"Events\"", JdbcTable.table("public.Events").fromItem("\""));
    assertEquals("`app`.`événements`", JdbcTable.table("app.événements").fromItem("`"));
    for (String bad :
        List.of("events; DROP TABLE events", "events--", "\"events\"", "a.b.c.d", "1events", "")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> JdbcTable.table(bad));
      assertTrue(e.getMessage().startsWith("--table="), e.getMessage());
    }
  }

  @Test
  void quotesInsideAColumnNameAreDoubled() {
    assertEquals("\"we\"\"ird\"", JdbcTable.quote("we\"ird", "\""));
    assertEquals("`a``b`", JdbcTable.quote("a`b", "`"));
    assertEquals("\"x\"", JdbcTable.quote("x", " "));
  }

  @Test
  void aQueryIsASubqueryWithoutItsTrailingSemicolon() {
    assertEquals(
        "(SELECT 1 AS x) AS hogbeam_source", JdbcTable.query(" SELECT 1 AS x ;; ").fromItem("\""));
    assertThrows(IllegalArgumentException.class, () -> JdbcTable.query(" ; "));
  }

  @Test
  void daysAreUtcDaysCutToTheRange() {
    List<DayRange> days =
        DayRange.of(Instant.parse("2024-06-18T12:00:00Z"), Instant.parse("2024-06-20T06:00:00Z"));
    assertEquals(
        List.of(
            new DayRange(
                "2024-06-18",
                Timestamps.toMicros(Instant.parse("2024-06-18T12:00:00Z")),
                Timestamps.toMicros(Instant.parse("2024-06-19T00:00:00Z"))),
            new DayRange(
                "2024-06-19",
                Timestamps.toMicros(Instant.parse("2024-06-19T00:00:00Z")),
                Timestamps.toMicros(Instant.parse("2024-06-20T00:00:00Z"))),
            new DayRange(
                "2024-06-20",
                Timestamps.toMicros(Instant.parse("2024-06-20T00:00:00Z")),
                Timestamps.toMicros(Instant.parse("2024-06-20T06:00:00Z")))),
        days);
    assertEquals(days.get(1), DayRange.parse(days.get(1).text()));
  }

  @Test
  void aRecordsDayComesFromItsTimestamp() {
    assertEquals(
        "2024-06-19",
        RecordDay.of(
            "{\"event\":\"\\\"timestamp\\\":1\",\"timestamp\":"
                + Timestamps.toMicros(Instant.parse("2024-06-19T23:59:59.999999Z"))
                + "}"));
    assertEquals("none", RecordDay.of("{\"event\":\"x\",\"timestamp\":null}"));
  }
}
