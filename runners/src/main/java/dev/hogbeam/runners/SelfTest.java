package dev.hogbeam.runners;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code selftest}: a small real pipeline (generate, group by key, check every group) that proves a
 * runner works from the bundled jar, wherever its workers are. The result travels back through Beam
 * metrics, so it is the same on a cluster as in this JVM.
 *
 * <p>Prints one line on stdout and exits 0 when every group came out exactly as expected, 1
 * otherwise.
 */
final class SelfTest {

  private static final Logger LOG = LoggerFactory.getLogger(SelfTest.class);

  static final Subcommand SUBCOMMAND =
      Subcommand.of(
          "selftest",
          "Run a small GroupByKey pipeline on the chosen runner and check its result",
          SelfTest::run);

  private SelfTest() {}

  static int run(String[] args) {
    PipelineOptionsFactory.register(SelfTestOptions.class);
    SelfTestOptions options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(SelfTestOptions.class);
    long elements = options.getElements();
    int keys = options.getKeys();
    if (elements < 1) {
      throw new UsageException("--elements must be >= 1, but was " + elements);
    }
    if (keys < 1) {
      throw new UsageException("--keys must be >= 1, but was " + keys);
    }

    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("Generate", GenerateSequence.from(0).to(elements))
        .apply(
            "Key by residue",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % keys, i)))
        .apply("Group by key", GroupByKey.create())
        .apply("Check groups", ParDo.of(new CheckGroupFn(elements, keys)));

    long started = System.nanoTime();
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    LOG.info("selftest finished in {} ms: {}", (System.nanoTime() - started) / 1_000_000, state);

    long expectedGroups = Math.min(elements, keys);
    long groupsOk = counter(result, "groupsOk");
    long groupsWrong = counter(result, "groupsWrong");
    long checked = counter(result, "elements");
    String runner = options.getRunner().getSimpleName();
    if (state == PipelineResult.State.DONE
        && groupsOk == expectedGroups
        && groupsWrong == 0
        && checked == elements) {
      System.out.printf(
          "selftest OK: %d elements in %d groups on %s, rateLimitShares=%s%n",
          elements, expectedGroups, runner, options.getRateLimitShares());
      return ExitCodes.OK;
    }
    System.out.printf(
        "selftest FAILED on %s: state %s, expected %d elements in %d groups, got %d elements,"
            + " %d groups right, %d groups wrong%n",
        runner, state, elements, expectedGroups, checked, groupsOk, groupsWrong);
    return ExitCodes.FAILED;
  }

  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(CheckGroupFn.class, name))
                    .build());
    long sum = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      // Attempted: every runner reports it (Flink has no committed metrics); a batch job that
      // did not retry counts each element once.
      sum += counter.getAttempted();
    }
    return sum;
  }

  /** How many of 0..elements-1 are congruent to key modulo keys. */
  static long expectedCount(long elements, int keys, long key) {
    return elements / keys + (key < elements % keys ? 1 : 0);
  }

  /** The sum of those elements: key, key+keys, ..., key+(count-1)*keys. */
  static long expectedSum(long elements, int keys, long key) {
    long count = expectedCount(elements, keys, key);
    return count * key + keys * (count * (count - 1) / 2);
  }

  /** Checks one group: right residue, right count, right sum. */
  static final class CheckGroupFn extends DoFn<KV<Long, Iterable<Long>>, Void> {
    private static final Counter GROUPS_OK = Metrics.counter(CheckGroupFn.class, "groupsOk");
    private static final Counter GROUPS_WRONG = Metrics.counter(CheckGroupFn.class, "groupsWrong");
    private static final Counter ELEMENTS = Metrics.counter(CheckGroupFn.class, "elements");

    private final long elements;
    private final int keys;

    CheckGroupFn(long elements, int keys) {
      this.elements = elements;
      this.keys = keys;
    }

    @ProcessElement
    public void processElement(@Element KV<Long, Iterable<Long>> group) {
      long key = group.getKey();
      long count = 0;
      long sum = 0;
      boolean sameResidue = true;
      for (long value : group.getValue()) {
        count++;
        sum += value;
        sameResidue &= value % keys == key;
      }
      ELEMENTS.inc(count);
      boolean ok =
          sameResidue
              && count == expectedCount(elements, keys, key)
              && sum == expectedSum(elements, keys, key);
      (ok ? GROUPS_OK : GROUPS_WRONG).inc();
    }
  }
}
