package dev.hogbeam.clickhouse;

import static dev.hogbeam.clickhouse.TestEvents.END;
import static dev.hogbeam.clickhouse.TestEvents.START;
import static dev.hogbeam.clickhouse.TestEvents.TEAM;
import static dev.hogbeam.clickhouse.TestEvents.query;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.clickhouse.TestEvents.Schema;
import dev.hogbeam.testing.LocalClickHouse;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Resuming after a cursor printed by PostHog's migrate.py skips exactly the rows that script had
 * sent. The script's own query (its WHERE and ORDER BY, with its {@code toInt64(timestamp) AS
 * timestamp} alias) runs against the same table to say which rows those are.
 */
@ExtendWith(TestPipelineExtension.class)
class ReferenceCursorReadTest {

  /** The shape of migrate.py's page query, without LIMIT: the rows it sends, in its order. */
  static String scriptQuery(String db, long startSeconds, long endSeconds, String cursorCondition) {
    return "SELECT toString(uuid) AS u, toInt64(timestamp) AS timestamp,"
        + " uuid FROM `"
        + db
        + "`.events WHERE team_id = "
        + TEAM
        + " AND timestamp >= toDateTime64("
        + startSeconds
        + ", 6)"
        + " AND timestamp < toDateTime64("
        + endSeconds
        + ", 6)"
        + cursorCondition
        + " ORDER BY timestamp, uuid";
  }

  /**
   * Whether row k's second holds a sent row with a later time and an unsent one with an earlier.
   */
  static boolean straddles(List<List<String>> sent, Map<String, Long> micros, int k) {
    String second = sent.get(k).get(1);
    long at = micros.get(sent.get(k).get(0));
    boolean laterButSent = false;
    boolean earlierButUnsent = false;
    for (int i = 0; i < sent.size(); i++) {
      if (!sent.get(i).get(1).equals(second) || sent.get(i).get(0).equals(sent.get(k).get(0))) {
        continue;
      }
      long m = micros.get(sent.get(i).get(0));
      laterButSent |= i < k && m > at;
      earlierButUnsent |= i > k && m < at;
    }
    return laterButSent && earlierButUnsent;
  }

  @Test
  void resumesExactlyWhereTheScriptStopped(TestPipeline p) throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = TestEvents.load(ch, "chread_refcursor", Schema.GEN3);
    long s = START.getEpochSecond();
    long e = END.getEpochSecond();
    try (Connection c = ch.connect()) {
      List<List<String>> sent = query(c, scriptQuery(db, s, e, ""));
      Map<String, Long> micros = new HashMap<>();
      for (List<String> r :
          query(
              c,
              "SELECT toString(uuid), toUnixTimestamp64Micro(timestamp) FROM `"
                  + db
                  + "`.events WHERE team_id = "
                  + TEAM)) {
        micros.put(r.get(0), Long.parseLong(r.get(1)));
      }
      // A cursor as the script prints it after a batch (the last row's toInt64(timestamp) and
      // uuid), in a second whose rows lie on both sides of it in a way only ClickHouse's order
      // explains: a row sent before it with a later microsecond timestamp, and a row not yet sent
      // with an earlier one.
      int k = sent.size() / 2;
      while (!straddles(sent, micros, k)) {
        k++;
      }
      String uuid = sent.get(k).get(0);
      long seconds = Long.parseLong(sent.get(k).get(1));
      String pythonInt = new BigInteger(uuid.replace("-", ""), 16).toString();
      String printed =
          "Cursor:  "
              + Base64.getEncoder()
                  .encodeToString(
                      ("{\"timestamp\": " + seconds + ", \"uuid\": " + pythonInt + "}")
                          .getBytes(StandardCharsets.UTF_8));

      // What the script sends next when given that cursor: its own resume condition.
      List<String> expected = new ArrayList<>();
      for (List<String> r :
          query(
              c,
              scriptQuery(
                  db,
                  s,
                  e,
                  " AND (timestamp, uuid) > (toDateTime64("
                      + seconds
                      + ", 6), toUUID('"
                      + uuid
                      + "'))"))) {
        expected.add(r.get(0));
      }
      assertEquals(
          sent.subList(k + 1, sent.size()).stream()
              .map(r -> r.get(0))
              .filter(u -> !u.equals(uuid))
              .collect(Collectors.toList()),
          expected);

      // The reader sends each of those once: the table's FINAL view of them (copies merged).
      List<String> once = expected.stream().distinct().collect(Collectors.toList());

      ClickHouseEventsIO.Read read =
          ClickHouseEventsIO.read()
              .withUrl(ch.jdbcUrl())
              .withUser(ch.user())
              .withPassword(ch.password())
              .withDatabase(db)
              .withTeamId(TEAM)
              .withRange(START, END)
              .withFetchSize(13)
              .withResumeAfterReferenceCursor(printed);
      PAssert.that(
              p.apply("Read", read)
                  .getRows()
                  .apply(
                      MapElements.into(TypeDescriptors.strings()).via(kv -> kv.getValue().uuid())))
          .containsInAnyOrder(once);
      p.run().waitUntilFinish();
    }
  }
}
