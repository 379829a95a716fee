package dev.hogbeam.values;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.clickhouse.EventRow;
import dev.hogbeam.clickhouse.EventRowCoder;
import dev.hogbeam.clickhouse.ShardReadStats;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.jupiter.api.Test;

/**
 * Every element type that crosses a shuffle or is stored has a deterministic coder of its own,
 * which Beam infers from the type and from a value (never Java serialization), and which gives back
 * what it was given.
 */
class ElementCodersTest {

  private static <T> void check(Coder<T> coder, Class<? super T> type, List<T> values)
      throws Exception {
    coder.verifyDeterministic();
    CoderRegistry registry = CoderRegistry.createDefault();
    assertEquals(coder, registry.getCoder(type), "inferred from the type " + type);
    for (T v : values) {
      assertEquals(coder, registry.getCoder(v.getClass()), "inferred from a value");
      CoderProperties.coderDecodeEncodeEqual(coder, v);
      CoderProperties.coderDeterministic(coder, v, v);
      CoderProperties.structuralValueDecodeEncodeEqual(coder, v);
    }
  }

  @Test
  void deadLetters() throws Exception {
    check(
        DeadLetterCoder.of(),
        DeadLetter.class,
        List.of(
            DeadLetter.of("map", "team2-2024-05-01", null, "{\"event\":\"\"}", 0, "empty", 0),
            DeadLetter.of(
                "capture", "g", "018f2b1c-0000-7000-8000-000000000001", "{}", 400, "refused", 3)));
  }

  @Test
  void captureEvents() throws Exception {
    check(
        CaptureEventCoder.of(),
        CaptureEvent.class,
        List.of(
            CaptureEvent.of(
                "018f2b1c-0000-7000-8000-000000000001", "$pageview", "u1", 1L, "{\"ü\":1}")));
  }

  @Test
  void sendStats() throws Exception {
    check(
        GroupSendStats.Coder.of(),
        GroupSendStats.class,
        List.of(
            GroupSendStats.empty(),
            new GroupSendStats(5, 1, 3, 900, 4000, Map.of(429, 1L, 0, 1L), 1, 2, 3, 40)));
  }

  @Test
  void shardReadStats() throws Exception {
    check(
        ShardReadStats.Coder.of(),
        ShardReadStats.class,
        List.of(new ShardReadStats("team2-2024-05-01", 10, 12, 3000, 1, 1, 0, 5)));
  }

  @Test
  void sourceRows() throws Exception {
    check(
        EventRowCoder.of(),
        EventRow.class,
        List.of(
            EventRow.builder()
                .uuid("018f2b1c-0000-7000-8000-000000000001")
                .event("$pageview")
                .distinctId("u1")
                .timestampMicros(1)
                .properties("{}")
                .build()));
  }
}
