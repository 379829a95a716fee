package dev.hogbeam.testing;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Reads Beam counters of a finished pipeline (any runner). */
public final class PipelineCounters {
  private PipelineCounters() {}

  /** The attempted value of counter {@code namespace/name}, summed over steps. */
  public static long attempted(PipelineResult result, Class<?> namespace, String name) {
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
}
