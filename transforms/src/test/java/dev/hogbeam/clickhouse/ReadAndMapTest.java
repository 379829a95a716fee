package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Read, then map: bad rows become dead letters with their uuid and reason, the rest flows on. */
@ExtendWith(TestPipelineExtension.class)
class ReadAndMapTest {
  static final Instant T = Instant.parse("2024-05-01T10:00:00.123400Z");

  static EventRow row(int n, String event, String distinctId, String properties, String chain) {
    return EventRow.builder()
        .uuid(String.format("00000000-0000-4000-8000-%012d", n))
        .event(event)
        .distinctId(distinctId)
        .properties(properties)
        .elementsChain(chain)
        .teamId(2)
        .timestamp(T.plusNanos(1000L * n))
        .offset(n)
        .build();
  }

  static String uuid(int n) {
    return String.format("00000000-0000-4000-8000-%012d", n);
  }

  @Test
  void badRowsAreDeadLetteredAndTheRestBecomesEvents(TestPipeline p) {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("chread_map");
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .insert(
            row(1, "$pageview", "u1", "{\"$lib\":\"posthog-js\",\"$lib_version\":\"1.90.0\"}", ""),
            row(2, "$rageclick", "u1", "{\"$geoip_disable\":false}", "button:text=\"Buy\""),
            row(3, "$autocapture", "u2", "{}", "a:href=\"/\""),
            row(4, "", "u2", "{}", ""),
            row(5, "$pageview", "", "{}", ""),
            row(6, "$pageview", "u3", "{\"broken\":", ""),
            row(7, "$pageview", "u3", "[1,2]", ""),
            row(8, "$pageview", "u3", "", ""));
    ClickHouseEventsIO.ReadResult read =
        p.apply(
            "Read",
            ClickHouseEventsIO.read()
                .withUrl(ch.jdbcUrl())
                .withUser(ch.user())
                .withPassword(ch.password())
                .withDatabase(db)
                .withTeamId(2)
                .withRange(
                    Instant.parse("2024-05-01T00:00:00Z"), Instant.parse("2024-05-02T00:00:00Z")));
    MapPostHogEvents.Result mapped = read.getRows().apply("Map", MapPostHogEvents.create());

    String shard = "team2-2024-05-01";
    long micros = T.getEpochSecond() * 1_000_000L + 123400;
    PAssert.that(mapped.getEvents())
        .containsInAnyOrder(
            KV.of(
                shard,
                CaptureEvent.of(
                    uuid(1),
                    "$pageview",
                    "u1",
                    micros + 1,
                    "{\"$lib\":\"posthog-js\",\"$lib_version\":\"1.90.0\",\"$geoip_disable\":true}")),
            KV.of(
                shard,
                CaptureEvent.of(
                    uuid(2),
                    "$rageclick",
                    "u1",
                    micros + 2,
                    "{\"$geoip_disable\":true,\"$elements_chain\":\"button:text=\\\"Buy\\\"\"}")),
            KV.of(
                shard,
                CaptureEvent.of(
                    uuid(3),
                    "$autocapture",
                    "u2",
                    micros + 3,
                    "{\"$geoip_disable\":true,\"$elements_chain\":\"a:href=\\\"/\\\"\"}")));
    PAssert.that(mapped.getDeadLetters())
        .satisfies(
            dead -> {
              Map<String, String> reasons = new HashMap<>();
              List<String> problems = new ArrayList<>();
              for (DeadLetter d : dead) {
                assertEquals("map", d.stage());
                assertEquals(shard, d.source());
                assertTrue(d.payload().contains("\"uuid\":\"" + d.uuid() + "\""), d.payload());
                reasons.put(d.uuid(), d.reason());
              }
              assertEquals(
                  Map.of(
                      uuid(4), "event name is empty",
                      uuid(5), "distinct_id is empty",
                      uuid(6),
                          "properties is not valid JSON: Unexpected end-of-input within/between Object entries at byte 10",
                      uuid(7), "properties is not a JSON object (it is an array)",
                      uuid(8), "properties is empty, not a JSON object"),
                  reasons);
              return null;
            });
    p.run().waitUntilFinish();
  }
}
