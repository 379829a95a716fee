package dev.hogbeam.pipeline.clickhouse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a migration of one team and range must deliver, computed from the table itself with a plain
 * query and Java: one event per stored uuid (copies dropped), properties as stored plus what
 * hogbeam adds. Rows that cannot be mapped are left out (they must be dead-lettered).
 */
final class SourceEvents {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** An expected event, as the capture server must receive it. */
  record Expected(String uuid, String event, String distinctId, long timestampMicros, ObjectNode properties) {
    String timestamp() {
      return Timestamps.toIso(timestampMicros);
    }
  }

  private SourceEvents() {}

  static Map<String, Expected> expected(
      LocalClickHouse ch, String database, String table, long team, Instant start, Instant end)
      throws Exception {
    Map<String, Expected> out = new LinkedHashMap<>();
    String sql =
        "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties,"
            + " elements_chain FROM " + database + "." + table
            + " WHERE team_id = " + team
            + " AND toUnixTimestamp64Micro(timestamp) >= " + Timestamps.toMicros(start)
            + " AND toUnixTimestamp64Micro(timestamp) < " + Timestamps.toMicros(end);
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
}
