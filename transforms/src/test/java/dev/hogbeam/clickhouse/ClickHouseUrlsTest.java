package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ClickHouseUrlsTest {

  @Test
  void httpAddressesBecomeJdbcUrlsWithExplicitPorts() {
    assertEquals(
        "jdbc:clickhouse:http://localhost:8123", ClickHouseUrls.toJdbcUrl("http://localhost:8123"));
    assertEquals(
        "jdbc:clickhouse:http://localhost:8123",
        ClickHouseUrls.toJdbcUrl("http://localhost:8123/"));
    assertEquals(
        "jdbc:clickhouse:https://ch.example.com:8443/posthog",
        ClickHouseUrls.toJdbcUrl("https://ch.example.com:8443/posthog"));
    assertEquals(
        "jdbc:clickhouse:http://ch:8123/posthog?compress=0",
        ClickHouseUrls.toJdbcUrl(" http://ch:8123/posthog?compress=0 "));
  }

  @Test
  void missingPortMeansTheHttpDefaultLikeAnyHttpClient() {
    // PostHog's script hands the URL to aiohttp: no port means 80 / 443, not the driver's 8123 /
    // 8443.
    assertEquals("jdbc:clickhouse:http://ch:80", ClickHouseUrls.toJdbcUrl("http://ch"));
    assertEquals("jdbc:clickhouse:https://ch:443/db", ClickHouseUrls.toJdbcUrl("HTTPS://ch/db"));
  }

  @Test
  void jdbcUrlsPassThrough() {
    assertEquals(
        "jdbc:clickhouse://h:8123/posthog",
        ClickHouseUrls.toJdbcUrl("jdbc:clickhouse://h:8123/posthog"));
    assertEquals("jdbc:ch:https://h:8443", ClickHouseUrls.toJdbcUrl("jdbc:ch:https://h:8443"));
  }

  @Test
  void credentialsInTheUrlAreRefusedWithoutEchoingThem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClickHouseUrls.toJdbcUrl("https://admin:s3cret@ch:8443/posthog"));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClickHouseUrls.toJdbcUrl("jdbc:clickhouse:http://admin:s3cret@ch:8123"));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
  }

  @Test
  void otherSchemesAndGarbageAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ClickHouseUrls.toJdbcUrl("tcp://ch:9000"));
    assertThrows(IllegalArgumentException.class, () -> ClickHouseUrls.toJdbcUrl(""));
    assertThrows(IllegalArgumentException.class, () -> ClickHouseUrls.toJdbcUrl("http://"));
  }

  @Test
  void redactMasksPasswordsAndUserInfo() {
    assertEquals(
        "jdbc:clickhouse:http://h:8123/db?password=***&compress=0",
        ClickHouseUrls.redact("jdbc:clickhouse:http://h:8123/db?password=hunter2&compress=0"));
    assertEquals("https://***@h:8443/db", ClickHouseUrls.redact("https://u:hunter2@h:8443/db"));
    assertEquals("http://h:8123", ClickHouseUrls.redact("http://h:8123"));
  }
}
