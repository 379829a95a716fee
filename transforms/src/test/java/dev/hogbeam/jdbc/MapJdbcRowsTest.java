package dev.hogbeam.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hogbeam.order.KeyedEvents;
import org.junit.jupiter.api.Test;

/** A record becomes one event, or a dead letter with the reason; properties merge in order. */
class MapJdbcRowsTest {
  private static final String UUID = "0190a6b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b";

  @Test
  void propertiesJsonThenColumnsThenSet() {
    KeyedEvents.Outcome o =
        MapJdbcRows.map(
            "{\"event\":\"e\",\"distinct_id\":\"d\",\"timestamp\":1718668800000000,"
                + "\"properties\":\"{\\\"a\\\":1,\\\"url\\\":\\\"old\\\",\\\"$set\\\":{\\\"x\\\":1}}\","
                + "\"columns\":{\"url\":\"new\"},\"set\":{\"email\":\"e@x\"},\"uuid\":\""
                + UUID
                + "\"}");
    assertNull(o.deadLetter());
    assertEquals(
        "{\"a\":1,\"url\":\"new\",\"$set\":{\"x\":1,\"email\":\"e@x\"},\"$geoip_disable\":true}",
        o.event().propertiesJson());
    assertEquals("2024-06-18T00:00:00Z", o.event().timestamp().toString());
  }

  @Test
  void refusals() {
    assertEquals(
        "the properties column is not one JSON object",
        MapJdbcRows.map(
                "{\"event\":\"e\",\"distinct_id\":\"d\",\"timestamp\":1,\"properties\":\"[1]\","
                    + "\"uuid\":\""
                    + UUID
                    + "\"}")
            .deadLetter()
            .reason());
    assertEquals(
        "uuid is not a valid UUID",
        MapJdbcRows.map("{\"event\":\"e\",\"distinct_id\":\"d\",\"timestamp\":1,\"uuid\":\"42\"}")
            .deadLetter()
            .reason());
    assertEquals(
        "timestamp is NULL",
        MapJdbcRows.map(
                "{\"event\":\"e\",\"distinct_id\":\"d\",\"timestamp\":null,\"uuid\":\""
                    + UUID
                    + "\"}")
            .deadLetter()
            .reason());
  }
}
