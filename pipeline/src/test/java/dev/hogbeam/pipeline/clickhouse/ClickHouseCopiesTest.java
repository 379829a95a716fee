package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Copies are what the source table itself merges: on every layout, what arrives is exactly the
 * table's {@code FINAL} view. Rows sharing a uuid but differing in a sort-key column all arrive;
 * true copies arrive once, as the latest version by {@code _timestamp}, even when their timestamps
 * differ within the day and whatever order they were inserted in.
 */
class ClickHouseCopiesTest extends ClickHouseHarness {
  private static final String A = "0190a000-0000-7000-8000-00000000000a";
  private static final String B = "0190a000-0000-7000-8000-00000000000b";
  private static final String C = "0190a000-0000-7000-8000-00000000000c";
  private static final String D = "0190a000-0000-7000-8000-00000000000d";
  private static final String E = "0190a000-0000-7000-8000-00000000000e";
  private static final String F = "0190a000-0000-7000-8000-00000000000f";

  private static Instant at(String time) {
    return Instant.parse("2024-03-02T" + time + "Z");
  }

  private static EventRow row(
      String uuid, String event, String distinctId, String time, String version, String kafka) {
    return EventRow.builder()
        .teamId(2)
        .uuid(uuid)
        .event(event)
        .distinctId(distinctId)
        .timestamp(at(time))
        .properties("{\"v\":\"" + version + "\"}")
        .kafkaTimestamp(at(kafka))
        .build();
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void whatArrivesIsTheSourceTablesFinalView(Layout layout) throws Exception {
    String db = load(layout, 200);
    PostHogDataGenerator table = PostHogDataGenerator.existingTable(ch, db, "events", layout);
    // Each insert is a part of its own: the copies stay unmerged side by side.
    // A: same uuid and time, another event (a sort-key column on the hashed layouts; on the 2021
    //    layout, whose key is (distinct_id, uuid), these are copies and the later version wins).
    table.insert(row(A, "$pageview", "d-a", "10:00:00.123456", "a1", "11:00:00"));
    table.insert(row(A, "signed_up", "d-a", "10:00:00.123456", "a2", "11:00:05"));
    // B: same uuid and time, another distinct_id: a sort-key column on every layout.
    table.insert(row(B, "$pageview", "d-b1", "10:30:00.000001", "b1", "11:00:00"));
    table.insert(row(B, "$pageview", "d-b2", "10:30:00.000001", "b2", "11:00:00"));
    // C: true copies, the later version inserted first.
    table.insert(row(C, "$pageview", "d-c", "12:00:00.5", "c-new", "13:00:00"));
    table.insert(row(C, "$pageview", "d-c", "12:00:00.5", "c-old", "12:00:01"));
    // D and E: true copies whose timestamps differ within the day (the key has the day only).
    table.insert(row(D, "$pageview", "d-d", "10:00:00", "d-old", "10:00:01"));
    table.insert(row(D, "$pageview", "d-d", "15:30:00", "d-new", "16:00:00"));
    table.insert(row(E, "$pageview", "d-e", "08:00:00", "e-new", "20:00:00"));
    table.insert(row(E, "$pageview", "d-e", "18:00:00", "e-old", "18:00:01"));
    // F: true copies of one version: ReplacingMergeTree keeps the last inserted.
    table.insert(row(F, "$pageview", "d-f", "09:00:00", "f-1", "09:00:01"));
    table.insert(row(F, "$pageview", "d-f", "09:00:00", "f-2", "09:00:01"));
    server = FakeCaptureServer.start();
    List<String> finalView = signatures(db, " FINAL");
    List<String> stored = signatures(db, "");

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    List<String> arrived = new ArrayList<>();
    for (ReceivedEvent e : server.events()) {
      arrived.add(
          signature(
              e.uuid(),
              e.event(),
              e.distinctId(),
              Timestamps.toMicros(Instant.parse(e.timestamp())),
              e.properties().get("v")));
    }
    List<String> missing = new ArrayList<>(finalView);
    arrived.forEach(missing::remove);
    List<String> extra = new ArrayList<>(arrived);
    finalView.forEach(extra::remove);
    assertEquals(List.of(), missing, "rows of the FINAL view that did not arrive");
    assertEquals(List.of(), extra, "arrivals that are not rows of the FINAL view");
    assertEquals(sorted(finalView), sorted(arrived), "exactly the FINAL view, each row once");
    // The hand-made cases, spelled out.
    boolean hashedKey = layout != Layout.GEN1;
    assertEquals(
        hashedKey ? List.of("$pageview a1", "signed_up a2") : List.of("signed_up a2"),
        versionsOf(A));
    assertEquals(List.of("$pageview b1", "$pageview b2"), versionsOf(B));
    assertEquals(List.of("$pageview c-new"), versionsOf(C));
    assertEquals(List.of("2024-03-02T15:30:00.000000Z d-new"), timesOf(D));
    assertEquals(List.of("2024-03-02T08:00:00.000000Z e-new"), timesOf(E));
    assertEquals(List.of("$pageview f-2"), versionsOf(F));
    RunReport report = report(tmp.resolve("checkpoints"));
    assertEquals(finalView.size(), report.total(RunReport.SHARDS, "rowsRead"));
    assertEquals(finalView.size(), report.total(RunReport.SHARDS, "expectedRows"));
    assertEquals(stored.size() - finalView.size(), report.total(RunReport.SHARDS, "copiesMerged"));
    assertEquals(0, report.total(RunReport.GROUPS, "duplicatesDropped"));
  }

  private List<String> versionsOf(String uuid) {
    return server.events().stream()
        .filter(e -> e.uuid().equals(uuid))
        .map(e -> e.event() + " " + e.properties().get("v").asText())
        .sorted()
        .collect(Collectors.toList());
  }

  private List<String> timesOf(String uuid) {
    return server.events().stream()
        .filter(e -> e.uuid().equals(uuid))
        .map(e -> e.timestamp() + " " + e.properties().get("v").asText())
        .sorted()
        .collect(Collectors.toList());
  }

  /** Team 2's rows in the range, {@code modifier} after the table name. */
  private static List<String> signatures(String db, String modifier) throws Exception {
    String sql =
        "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties"
            + " FROM "
            + db
            + ".events"
            + modifier
            + " WHERE team_id = 2 AND timestamp >= '2024-03-01' AND timestamp < '2024-03-04'";
    List<String> out = new ArrayList<>();
    try (Connection c = ch.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(
            signature(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getLong(4),
                JSON.readTree(rs.getString(5)).get("v")));
      }
    }
    return out;
  }

  private static String signature(
      String uuid, String event, String distinctId, long micros, JsonNode version) {
    return String.join(
        "|",
        uuid,
        event,
        distinctId,
        Long.toString(micros),
        version == null ? "-" : version.asText());
  }

  private static List<String> sorted(List<String> rows) {
    List<String> out = new ArrayList<>(rows);
    out.sort(null);
    return out;
  }
}
