package dev.hogbeam.order;

import static dev.hogbeam.order.OrderFixtures.BIG;
import static dev.hogbeam.order.OrderFixtures.MEDIUM;
import static dev.hogbeam.order.OrderFixtures.SINGLE;
import static dev.hogbeam.order.OrderFixtures.TINY;
import static dev.hogbeam.order.OrderFixtures.expected;
import static dev.hogbeam.order.OrderFixtures.seen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.testing.PipelineCounters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** OrderEvents on the DirectRunner, with its default immutability and encodability checks on. */
@ExtendWith(TestPipelineExtension.class)
class OrderEventsTest {

  @TempDir Path spillParent;

  private static long counter(PipelineResult result, String name) {
    return PipelineCounters.attempted(result, OrderEvents.class, name);
  }

  @Test
  void spilledGroupsArriveSortedWithoutDuplicates(TestPipeline p) {
    OrderFixtures.Ordered ordered =
        OrderFixtures.orderAndInspect(p, OrderFixtures.spilling(spillParent));

    // The sort spilled BIG into 24 runs and MEDIUM into 2. The DirectRunner's encodability check
    // copies every output through SortedEventsCoder, so the consumer gets a copy: decoded into one
    // run on disk when past the in-memory limit (25 events), into memory otherwise. The copy's
    // iterator still reports the group's duplicates (the coder's trailer).
    PAssert.that(ordered.seen())
        .containsInAnyOrder(
            seen(BIG, "disk, 1 runs"),
            seen(MEDIUM, "disk, 1 runs"),
            seen(SINGLE, "memory"),
            seen(TINY, "memory"));
    PAssert.that(ordered.duplicates()).containsInAnyOrder(OrderFixtures.expectedDuplicates());

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertEquals(61, counter(run, "duplicatesDropped"));
    assertEquals(600 + 40 + 1 + 4, counter(run, "eventsIn"));
    assertEquals(2, counter(run, "groupsSpilled"));
  }

  @Test
  void smallGroupsAreSortedInMemory(TestPipeline p) {
    OrderFixtures.Ordered ordered = OrderFixtures.orderAndInspect(p, OrderEvents.create());
    PAssert.that(ordered.seen())
        .containsInAnyOrder(
            seen(BIG, "memory"),
            seen(MEDIUM, "memory"),
            seen(SINGLE, "memory"),
            seen(TINY, "memory"));
    PAssert.that(ordered.duplicates()).containsInAnyOrder(OrderFixtures.expectedDuplicates());
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertEquals(61, counter(run, "duplicatesDropped"));
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
