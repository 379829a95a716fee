package dev.hogbeam.order;

import static dev.hogbeam.order.OrderFixtures.BIG;
import static dev.hogbeam.order.OrderFixtures.MEDIUM;
import static dev.hogbeam.order.OrderFixtures.SINGLE;
import static dev.hogbeam.order.OrderFixtures.TINY;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OrderEvents on embedded Flink (batch, the default DataSet translation, object reuse OFF): the
 * groups arrive sorted and de-duplicated, and the consumer receives the sorter's own disk-backed
 * iterable, by reference: group-by-key, sort and consumer are chained in one task.
 */
class OrderEventsFlinkTest {

  @TempDir Path spillParent;

  private static long counter(PipelineResult result, Class<?> namespace, String name) {
    long total = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build())
            .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  private static List<CaptureEvent> expected(String key) {
    return OrderFixtures.expectedOrder(OrderFixtures.input().get(key));
  }

  @Test
  void groupsArriveSortedAndByReference() {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setObjectReuse(false);
    Pipeline p = Pipeline.create(options);

    OrderEvents.Result result =
        p.apply(
                "Events",
                Create.of(OrderFixtures.inputKvs())
                    .withCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of())))
            .apply(
                "Order",
                OrderEvents.create()
                    .withMaxEventsInMemory(25)
                    .withMaxOpenRuns(3)
                    .withSpillDirectory(spillParent.toString()));
    PCollection<KV<String, KV<String, List<CaptureEvent>>>> seen =
        result.groups().apply("Inspect", ParDo.of(new OrderFixtures.InspectFn()))
            .setCoder(OrderFixtures.SEEN_CODER);

    // BIG: 600 events, spilled into 24 runs of 25, merged down to 3 for the final (lazy) merge.
    // MEDIUM: 40 events, 2 runs. Had Flink copied the groups through SortedEventsCoder, the
    // consumer would see 1 run (as on the DirectRunner); it sees the sorter's own runs.
    PAssert.that(seen)
        .containsInAnyOrder(
            KV.of(BIG, KV.of("disk, 3 runs", expected(BIG))),
            KV.of(MEDIUM, KV.of("disk, 2 runs", expected(MEDIUM))),
            KV.of(SINGLE, KV.of("memory", expected(SINGLE))),
            KV.of(TINY, KV.of("memory", expected(TINY))));
    PAssert.that(result.duplicates()).containsInAnyOrder(KV.of(BIG, 60L), KV.of(TINY, 1L));

    PipelineResult run = p.run();
    assertEquals(PipelineResult.State.DONE, run.waitUntilFinish());
    assertEquals(2, counter(run, PAssert.class, PAssert.SUCCESS_COUNTER));
    assertEquals(0, counter(run, PAssert.class, PAssert.FAILURE_COUNTER));
    assertEquals(61, counter(run, OrderEvents.class, "duplicatesDropped"));
    assertEquals(645, counter(run, OrderEvents.class, "eventsIn"));
    assertEquals(2, counter(run, OrderEvents.class, "groupsSpilled"));
  }
}
