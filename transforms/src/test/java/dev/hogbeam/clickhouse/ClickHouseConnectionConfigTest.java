package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClickHouseConnectionConfigTest {

  @Test
  void summariesAreExactOnlyWhenTheUrlAsksForTheEndOfEachQuery() {
    assertFalse(ClickHouseConnectionConfig.of("http://h:8123", "u", "").exactSummaries());
    assertFalse(
        ClickHouseConnectionConfig.of(
                "jdbc:clickhouse://h:8123/db?clickhouse_setting_wait_end_of_query=0", "u", "")
            .exactSummaries());
    assertTrue(
        ClickHouseConnectionConfig.of(
                "jdbc:clickhouse://h:8123/db?compress=0&clickhouse_setting_wait_end_of_query=1",
                "u",
                "")
            .exactSummaries());
    assertTrue(
        ClickHouseConnectionConfig.of(
                "jdbc:clickhouse://h:8123?clickhouse_setting_http_wait_end_of_query=true", "u", "")
            .exactSummaries());
    ClickHouseConnectionConfig exact =
        ClickHouseConnectionConfig.of("http://h:8123", "u", "").withExactSummaries();
    assertTrue(exact.exactSummaries());
    assertTrue(
        ClickHouseConnectionConfig.of(
                "jdbc:clickhouse://h:8123/db?clickhouse_setting_wait_end_of_query=0", "u", "")
            .withExactSummaries()
            .exactSummaries(),
        "the last one counts");
  }
}
