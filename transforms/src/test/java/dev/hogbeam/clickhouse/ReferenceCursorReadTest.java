package dev.hogbeam.clickhouse;

import static dev.hogbeam.clickhouse.TestEvents.query;
import static dev.hogbeam.clickhouse.TestEvents.END;
import static dev.hogbeam.clickhouse.TestEvents.START;
import static dev.hogbeam.clickhouse.TestEvents.TEAM;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.clickhouse.TestEvents.Schema;
import dev.hogbeam.testing.LocalClickHouse;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
    return "SELECT toString(uuid) AS u, toInt64(timestamp) AS timestamp, toUnixTimestamp64Micro(created_at) AS c,"
        + " uuid FROM `" + db + "`.events WHERE team_id = " + TEAM
        + " AND timestamp >= toDateTime64(" + startSeconds + ", 6)"
        + " AND timestamp < toDateTime64(" + endSeconds + ", 6)"
        + cursorCondition
        + " ORDER BY timestamp, uuid";
  }

  @Test
  void resumesExactlyWhereTheScriptStopped(TestPipeline p) throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = TestEvents.load(ch, "chread_refcursor", Schema.GEN3);
    long s = START.getEpochSecond();
    long e = END.getEpochSecond();
    try (Connection c = ch.connect()) {
      List<List<String>> sent = query(c, scriptQuery(db, s, e, ""));
      // A cursor in the middle of a second that many rows share, as the script prints it
      // after a batch: the last row's toInt64(timestamp) and uuid.
      int k = sent.size() / 2;
      while (!sent.get(k).get(1).equals(sent.get(k + 1).get(1)) || !sent.get(k).get(1).equals(sent.get(k - 1).get(1))) {
        k++;
      }
      String uuid = sent.get(k).get(0);
      long seconds = Long.parseLong(sent.get(k).get(1));
      String pythonInt = new BigInteger(uuid.replace("-", ""), 16).toString();
      String printed = "Cursor:  " + Base64.getEncoder().encodeToString(
          ("{\"timestamp\": " + seconds + ", \"uuid\": " + pythonInt + "}").getBytes(StandardCharsets.UTF_8));

      // What the script sends next when given that cursor: its own resume condition.
      List<String> expected = new ArrayList<>();
      for (List<String> r : query(c, scriptQuery(db, s, e,
          " AND (timestamp, uuid) > (toDateTime64(" + seconds + ", 6), toUUID('" + uuid + "'))"))) {
        expected.add(r.get(0));
      }
      // The case that needs ClickHouse's own order: rows of the cursor's second on both sides.
      List<List<String>> sameSecond = query(c,
          "SELECT toString(uuid), toUnixTimestamp64Micro(timestamp) FROM `" + db + "`.events WHERE team_id = "
              + TEAM + " AND toInt64(timestamp) = " + seconds);
      long cursorMicros = Long.parseLong(query(c, "SELECT toUnixTimestamp64Micro(timestamp) FROM `" + db
          + "`.events WHERE uuid = '" + uuid + "' LIMIT 1").get(0).get(0));
      boolean laterButSent = false;
      boolean earlierButUnsent = false;
      for (List<String> r : sameSecond) {
        long micros = Long.parseLong(r.get(1));
        boolean unsent = expected.contains(r.get(0));
        laterButSent |= micros > cursorMicros && !unsent;
        earlierButUnsent |= micros < cursorMicros && unsent;
      }
      assertTrue(laterButSent && earlierButUnsent, "the cursor's second must exercise both cases");
      assertTrue(expected.size() > 0 && expected.size() < sent.size() - 1);

      ClickHouseEventsIO.Read read = ClickHouseEventsIO.read()
          .withUrl(ch.jdbcUrl()).withUser(ch.user()).withPassword(ch.password())
          .withDatabase(db).withTeamId(TEAM).withRange(START, END)
          .withFetchSize(13)
          .withResumeAfterReferenceCursor(printed);
      PAssert.that(
              p.apply("Read", read).rows()
                  .apply(MapElements.into(TypeDescriptors.strings()).via(kv -> kv.getValue().uuid())))
          .containsInAnyOrder(expected);
      p.run().waitUntilFinish();
    }
  }
}
