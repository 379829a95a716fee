package dev.hogbeam.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.order.KeyedEvents;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The PostHog event-file shape, line by line: each form of timestamp, uuids, refusals. */
class PostHogLinesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory N = JsonNodeFactory.instance;

  private static long micros(String iso) {
    return Timestamps.toMicros(Instant.parse(iso));
  }

  @Test
  void timestampsInEveryDocumentedForm() {
    assertEquals(
        micros("2024-05-01T12:00:00.123456Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01T12:00:00.123456Z")));
    assertEquals(
        micros("2024-05-01T12:00:00.123456Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01T12:00:00.123456789Z")),
        "nanoseconds truncated to the microsecond");
    assertEquals(
        micros("2024-05-01T10:00:00Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01T12:00:00+02:00")));
    assertEquals(
        micros("2024-05-01T10:00:00Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01T12:00:00+0200")));
    assertEquals(
        micros("2024-05-01T12:00:00.500Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01 12:00:00.5")),
        "ClickHouse's form, no zone: UTC");
    assertEquals(
        micros("2024-05-01T12:00:00Z"),
        PostHogLines.timestampMicros(N.textNode("2024-05-01T12:00")));
    assertEquals(
        micros("2024-03-01T12:00:00Z"), PostHogLines.timestampMicros(N.numberNode(1709294400)));
    assertEquals(
        micros("2024-03-01T12:00:00.250Z"),
        PostHogLines.timestampMicros(N.numberNode(new java.math.BigDecimal("1709294400.25"))),
        "seconds with a fraction");
    assertEquals(
        micros("2024-03-01T12:00:00.123Z"),
        PostHogLines.timestampMicros(N.numberNode(1709294400123L)),
        "milliseconds");
    assertEquals(
        micros("2024-03-01T12:00:00.123456Z"),
        PostHogLines.timestampMicros(N.numberNode(1709294400123456L)),
        "microseconds");
    assertEquals(
        micros("2024-03-01T12:00:00Z"), PostHogLines.timestampMicros(N.textNode("1709294400")));
    for (JsonNode bad :
        new JsonNode[] {
          null, N.nullNode(), N.textNode(""), N.textNode("yesterday"), N.booleanNode(true)
        }) {
      assertThrows(IllegalArgumentException.class, () -> PostHogLines.timestampMicros(bad));
    }
  }

  @Test
  void aLineWithoutUuidGetsTheSameNameBasedUuidEveryTime() throws Exception {
    String line = "{\"event\":\"x\",\"distinct_id\":\"d\",\"timestamp\":\"2024-05-01T00:00:00Z\"}";
    CaptureEvent a = PostHogLines.map("file f, line 1", line).event();
    CaptureEvent b = PostHogLines.map("file g, line 9", line).event();
    assertEquals(a.uuid(), b.uuid());
    assertEquals('5', a.uuid().charAt(14), "a version 5 uuid");
    CaptureEvent other = PostHogLines.map("file f, line 2", line.replace("\"d\"", "\"e\"")).event();
    assertEquals(false, a.uuid().equals(other.uuid()));
    assertEquals(
        JSON.readTree("{\"$geoip_disable\":true}"), JSON.readTree(a.toJson()).get("properties"));
  }

  @Test
  void refusedLinesNameTheirOriginAndReason() {
    String[][] cases = {
      {"[1,2]", "the line is not a JSON object"},
      {
        "{\"event\":\"x\",\"distinct_id\":\"d\",\"timestamp\":\"2024-05-01T00:00:00Z\",\"uuid\":\"nope\"}",
        "uuid \"nope\" is not a UUID"
      },
      {"{\"event\":\"\",\"distinct_id\":\"d\",\"timestamp\":1}", "event is missing or empty"},
      {"{\"event\":\"x\",\"distinct_id\":null,\"timestamp\":1}", "distinct_id is missing or empty"},
      {
        "{\"event\":\"x\",\"distinct_id\":\"d\"}",
        "timestamp is missing (a historical event needs the time it happened)"
      },
      {
        "{\"event\":\"x\",\"distinct_id\":\"d\",\"timestamp\":1,\"properties\":[]}",
        "properties is not a JSON object"
      },
    };
    for (String[] c : cases) {
      KeyedEvents.Outcome o = PostHogLines.map("file s3://b/k.jsonl, line 7", c[0]);
      assertNull(o.event(), c[0]);
      DeadLetter d = o.deadLetter();
      assertEquals("map", d.stage());
      assertEquals("file s3://b/k.jsonl, line 7", d.source());
      assertEquals(c[0], d.payload());
      assertEquals(c[1], d.reason());
    }
  }
}
