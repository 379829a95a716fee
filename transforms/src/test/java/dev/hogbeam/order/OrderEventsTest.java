package dev.hogbeam.order;

import static dev.hogbeam.order.OrderFixtures.BIG;
import static dev.hogbeam.order.OrderFixtures.MEDIUM;
import static dev.hogbeam.order.OrderFixtures.SINGLE;
import static dev.hogbeam.order.OrderFixtures.TINY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** OrderEvents on the DirectRunner, with its default immutability and encodability checks on. */
@ExtendWith(TestPipelineExtension.class)
class OrderEventsTest {

  @TempDir Path spillParent;

  private static KV<String, KV<String, List<CaptureEvent>>> seen(
      String key, String held, List<CaptureEvent> events) {
    return KV.of(key, KV.of(held, events));
  }

  private static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(OrderEvents.class, name))
                    .build())
            .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  static PCollection<KV<String, CaptureEvent>> input(TestPipeline p) {
    return p.apply(
        "Events",
        Create.of(OrderFixtures.inputKvs())
            .withCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of())));
  }

  static List<CaptureEvent> expected(String key) {
    return OrderFixtures.expectedOrder(OrderFixtures.input().get(key));
  }

  @Test
  void spilledGroupsArriveSortedWithoutDuplicates(TestPipeline p) {
    OrderEvents.Result result =
        input(p)
            .apply(
                "Order",
                OrderEvents.create()
                    .withMaxEventsInMemory(25)
                    .withMaxOpenRuns(3)
                    .withSpillDirectory(spillParent.toString()));
    PCollection<KV<String, KV<String, List<CaptureEvent>>>> seen =
        result.groups().apply("Inspect", ParDo.of(new OrderFixtures.InspectFn()))
            .setCoder(OrderFixtures.SEEN_CODER);

    // The sort spilled BIG into 24 runs and MEDIUM into 2. The DirectRunner's encodability check
    // copies every output through SortedEventsCoder, so the consumer gets a copy: decoded into one
    // run on disk when past the in-memory limit (25 events), into memory otherwise.
    PAssert.that(seen)
        .containsInAnyOrder(
            seen(BIG, "disk, 1 runs", expected(BIG)),
            seen(MEDIUM, "disk, 1 runs", expected(MEDIUM)),
            seen(SINGLE, "memory", expected(SINGLE)),
            seen(TINY, "memory", expected(TINY)));
    PAssert.that(result.duplicates()).containsInAnyOrder(KV.of(BIG, 60L), KV.of(TINY, 1L));

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertEquals(61, counter(run, "duplicatesDropped"));
    assertEquals(600 + 40 + 1 + 4, counter(run, "eventsIn"));
    assertEquals(2, counter(run, "groupsSpilled"));
  }

  @Test
  void smallGroupsAreSortedInMemory(TestPipeline p) {
    OrderEvents.Result result = input(p).apply("Order", OrderEvents.create());
    PCollection<KV<String, KV<String, List<CaptureEvent>>>> seen =
        result.groups().apply("Inspect", ParDo.of(new OrderFixtures.InspectFn()))
            .setCoder(OrderFixtures.SEEN_CODER);
    PAssert.that(seen)
        .containsInAnyOrder(
            seen(BIG, "memory", expected(BIG)),
            seen(MEDIUM, "memory", expected(MEDIUM)),
            seen(SINGLE, "memory", expected(SINGLE)),
            seen(TINY, "memory", expected(TINY)));
    PAssert.that(result.duplicates()).containsInAnyOrder(KV.of(BIG, 60L), KV.of(TINY, 1L));
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertEquals(0, counter(run, "groupsSpilled"));
  }

  @Test
  void theTinyGroupIsExactlyAsSpelledOut() {
    // The fixture's hand-written case, checked against a literal list rather than the rule.
    List<CaptureEvent> tiny = OrderFixtures.input().get(TINY);
    assertEquals(List.of(tiny.get(2), tiny.get(1), tiny.get(0)), expected(TINY));
  }

  @Test
  void settingsAreValidatedWithTheirName() {
    Map<String, Runnable> bad =
        Map.of(
            "maxEventsInMemory must be >= 1, but was 0",
            () -> OrderEvents.create().withMaxEventsInMemory(0),
            "maxBytesInMemory must be >= 1, but was -5",
            () -> OrderEvents.create().withMaxBytesInMemory(-5),
            "maxOpenRuns must be >= 2, but was 1",
            () -> OrderEvents.create().withMaxOpenRuns(1),
            "spillDirectory must be a directory path, but was ' '",
            () -> OrderEvents.create().withSpillDirectory(" "));
    List<String> messages = new ArrayList<>();
    bad.forEach(
        (message, call) ->
            messages.add(assertThrows(IllegalArgumentException.class, call::run).getMessage()));
    assertEquals(new ArrayList<>(bad.keySet()), messages);
  }
}
