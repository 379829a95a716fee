package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a migration of one team and range must deliver, computed from the table itself with a plain
 * query and Java: one event per stored uuid (copies dropped), properties as stored plus what
 * hogbeam adds. Rows that cannot be mapped are left out (they must be dead-lettered). Shared with
 * the runners' integration tests through the pipeline test jar.
 */
public final class SourceEvents {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** An expected event, as the capture server must receive it. */
  public record Expected(
      String uuid, String event, String distinctId, long timestampMicros, ObjectNode properties) {
    public String timestamp() {
      return Timestamps.toIso(timestampMicros);
    }
  }

  private SourceEvents() {}

  public static Map<String, Expected> expected(
      LocalClickHouse ch, String database, String table, long team, Instant start, Instant end)
      throws Exception {
    Map<String, Expected> out = new LinkedHashMap<>();
    String sql =
        "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties,"
            + " elements_chain FROM "
            + database
            + "."
            + table
            + " WHERE team_id = "
            + team
            + " AND toUnixTimestamp64Micro(timestamp) >= "
            + Timestamps.toMicros(start)
            + " AND toUnixTimestamp64Micro(timestamp) < "
            + Timestamps.toMicros(end);
    try (Connection c = ch.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        String uuid = rs.getString(1);
        String event = rs.getString(2);
        String distinctId = rs.getString(3);
        long micros = rs.getLong(4);
        ObjectNode properties;
        try {
          properties = (ObjectNode) JSON.readTree(rs.getString(5));
        } catch (Exception e) {
          continue;
        }
        if (event.isEmpty() || distinctId.isEmpty()) {
          continue;
        }
        properties.put("$geoip_disable", true);
        String chain = rs.getString(6);
        if (!chain.isEmpty()) {
          properties.put("$elements_chain", chain);
        }
        out.put(uuid, new Expected(uuid, event, distinctId, micros, properties));
      }
    }
    return out;
  }

  /** Each received event equals its source row, field by field; nothing else arrived. */
  public static void assertDelivered(
      Map<String, Expected> expected, List<ReceivedEvent> received, String apiKey) {
    Map<String, ReceivedEvent> byUuid = new HashMap<>();
    for (ReceivedEvent r : received) {
      byUuid.put(r.uuid(), r);
    }
    assertEquals(expected.keySet(), byUuid.keySet(), "the set of uuids delivered");
    for (Expected e : expected.values()) {
      ReceivedEvent r = byUuid.get(e.uuid());
      assertEquals(e.event(), r.event(), e.uuid());
      assertEquals(e.distinctId(), r.distinctId(), e.uuid());
      assertEquals(e.timestamp(), r.timestamp(), e.uuid());
      assertEquals(e.properties(), r.properties(), e.uuid());
      assertTrue(r.historicalMigration(), "historical_migration on " + r.request());
      assertEquals(apiKey, r.token());
      assertNull(r.sentAt());
    }
  }

  /** Events of each day arrive in send order, and no request mixes days. */
  public static void assertInOrderPerDay(List<ReceivedEvent> received) {
    Map<String, List<ReceivedEvent>> byDay = new TreeMap<>();
    Map<Integer, String> dayOfRequest = new HashMap<>();
    for (ReceivedEvent r : received) {
      String day = r.timestamp().substring(0, 10);
      byDay.computeIfAbsent(day, d -> new ArrayList<>()).add(r);
      String earlier = dayOfRequest.putIfAbsent(r.requestNumber(), day);
      assertTrue(
          earlier == null || earlier.equals(day), "request " + r.requestNumber() + " mixes days");
    }
    for (List<ReceivedEvent> day : byDay.values()) {
      for (int i = 1; i < day.size(); i++) {
        ReceivedEvent a = day.get(i - 1);
        ReceivedEvent b = day.get(i);
        long ta = Timestamps.toMicros(java.time.Instant.parse(a.timestamp()));
        long tb = Timestamps.toMicros(java.time.Instant.parse(b.timestamp()));
        assertTrue(EventOrder.compare(ta, a.uuid(), tb, b.uuid()) < 0, a + " then " + b);
      }
    }
  }
}
