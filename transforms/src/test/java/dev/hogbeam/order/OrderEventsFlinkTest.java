package dev.hogbeam.order;

import static dev.hogbeam.order.OrderFixtures.BIG;
import static dev.hogbeam.order.OrderFixtures.MEDIUM;
import static dev.hogbeam.order.OrderFixtures.SINGLE;
import static dev.hogbeam.order.OrderFixtures.TINY;
import static dev.hogbeam.order.OrderFixtures.seen;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.testing.PipelineCounters;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OrderEvents on embedded Flink (batch, the default DataSet translation, object reuse OFF): the
 * groups arrive sorted and de-duplicated, and the consumer receives the sorter's own disk-backed
 * iterable, by reference: group-by-key, sort and consumer are chained in one task. The iterator the
 * consumer gets tells each group's duplicates.
 */
class OrderEventsFlinkTest {

  @TempDir Path spillParent;

  @Test
  void groupsArriveSortedAndByReference() {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setObjectReuse(false);
    Pipeline p = Pipeline.create(options);
    OrderFixtures.Ordered ordered =
        OrderFixtures.orderAndInspect(p, OrderFixtures.spilling(spillParent));

    // BIG: 600 events, spilled into 24 runs of 25, merged down to 3 for the final (lazy) merge.
    // MEDIUM: 40 events, 2 runs. Had Flink copied the groups through SortedEventsCoder, the
    // consumer would see 1 run (as on the DirectRunner); it sees the sorter's own runs, and their
    // iterator counts the copies dropped in the sort and in its own final merge.
    PAssert.that(ordered.seen())
        .containsInAnyOrder(
            seen(BIG, "disk, 3 runs"),
            seen(MEDIUM, "disk, 2 runs"),
            seen(SINGLE, "memory"),
            seen(TINY, "memory"));
    PAssert.that(ordered.duplicates()).containsInAnyOrder(OrderFixtures.expectedDuplicates());

    PipelineResult run = p.run();
    assertEquals(PipelineResult.State.DONE, run.waitUntilFinish());
    assertEquals(2, PipelineCounters.attempted(run, PAssert.class, PAssert.SUCCESS_COUNTER));
    assertEquals(0, PipelineCounters.attempted(run, PAssert.class, PAssert.FAILURE_COUNTER));
    assertEquals(61, PipelineCounters.attempted(run, OrderEvents.class, "duplicatesDropped"));
    assertEquals(645, PipelineCounters.attempted(run, OrderEvents.class, "eventsIn"));
    assertEquals(2, PipelineCounters.attempted(run, OrderEvents.class, "groupsSpilled"));
  }
}
