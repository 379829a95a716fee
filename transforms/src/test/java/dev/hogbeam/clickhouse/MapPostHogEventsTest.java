package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class MapPostHogEventsTest {
  static final String U1 = "0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5b";
  static final String U2 = "0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5c";

  static EventRow row(String uuid, String event, String distinctId, String props, String chain) {
    return EventRow.builder()
        .uuid(uuid)
        .event(event)
        .distinctId(distinctId)
        .timestampMicros(1714521610000001L)
        .properties(props)
        .elementsChain(chain)
        .build();
  }

  @Test
  void everyRowWithAChainGetsItWhateverTheEvent() {
    MapPostHogEvents.Outcome o =
        MapPostHogEvents.map(
            "team2-2024-05-01",
            row(
                U1,
                "$rageclick",
                "u1",
                "{\"$lib\":\"web\",\"$lib_version\":\"1.9\"}",
                "div:nth-child=\"2\""));
    assertNull(o.deadLetter());
    assertEquals(
        CaptureEvent.of(
            U1,
            "$rageclick",
            "u1",
            1714521610000001L,
            "{\"$lib\":\"web\",\"$lib_version\":\"1.9\",\"$geoip_disable\":true,"
                + "\"$elements_chain\":\"div:nth-child=\\\"2\\\"\"}"),
        o.event());
  }

  @Test
  void rowsThatCannotBeEventsBecomeDeadLettersWithReasons() {
    EventRow[] bad = {
      row(U1, "", "u1", "{}", ""),
      row(U1, "e", "", "{}", ""),
      row(U1, "e", "u1", "not json", ""),
      row(U1, "e", "u1", "[]", ""),
      row("nope", "e", "u1", "{}", ""),
    };
    String[] reasons = {
      "event name is empty",
      "distinct_id is empty",
      "properties is not valid JSON: Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at byte 4",
      "properties is not a JSON object (it is an array)",
      "uuid is not a valid UUID",
    };
    for (int i = 0; i < bad.length; i++) {
      MapPostHogEvents.Outcome o = MapPostHogEvents.map("s1", bad[i]);
      assertNull(o.event());
      assertEquals(
          DeadLetter.of("map", "s1", i == 4 ? null : U1, bad[i].toJson(), 0, reasons[i], 0),
          o.deadLetter());
    }
  }

  @Test
  void badRowsAreRoutedAndTheRestFlowsOn(TestPipeline p) {
    EventRow good = row(U1, "$pageview", "u1", "{\"a\":1}", "");
    EventRow bad = row(U2, "$pageview", "u2", "{\"a\":", "");
    MapPostHogEvents.Result r =
        p.apply(Create.of(List.of(KV.of("s1", good), KV.of("s2", bad))))
            .apply("Map", MapPostHogEvents.create());
    PAssert.that(r.getEvents())
        .containsInAnyOrder(
            KV.of(
                "s1",
                CaptureEvent.of(
                    U1,
                    "$pageview",
                    "u1",
                    1714521610000001L,
                    "{\"a\":1,\"$geoip_disable\":true}")));
    PAssert.that(r.getDeadLetters())
        .containsInAnyOrder(
            DeadLetter.of(
                "map",
                "s2",
                U2,
                bad.toJson(),
                0,
                MapPostHogEvents.map("s2", bad).deadLetter().reason(),
                0));
    p.run().waitUntilFinish();
  }
}
