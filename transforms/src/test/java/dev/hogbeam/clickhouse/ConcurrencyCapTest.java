package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job never runs more than maxConcurrentQueries queries at once: observed by counting the
 * queries in flight whenever one starts (every DirectRunner worker thread runs in this JVM).
 */
class ConcurrencyCapTest {
  static LocalClickHouse ch;
  static String db;
  static long rows;

  @BeforeAll
  static void load() {
    ch = LocalClickHouse.shared();
    db = ch.createDatabase("chread_concurrency");
    rows =
        PostHogDataGenerator.createEvents(ch, db, Layout.GEN2)
            .generate(
                PostHogDataGenerator.spec()
                    .teams(2)
                    .startDay(LocalDate.of(2024, 5, 1))
                    .days(8)
                    .eventsPerTeamDay(250)
                    .seed(11)
                    .build())
            .rows();
  }

  /** Runs a read of 8 shards with tiny pages; returns the most queries seen in flight at once. */
  static long maxConcurrentQueries(int cap) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
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
                    Instant.parse("2024-05-01T00:00:00Z"), Instant.parse("2024-05-09T00:00:00Z"))
                .withFetchSize(5)
                .withMaxConcurrentQueries(cap));
    PAssert.thatSingleton(read.getRows().apply(Count.globally())).isEqualTo(rows);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    long max = 0;
    for (MetricResult<DistributionResult> d :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(ShardReader.class, "concurrentQueries"))
                    .build())
            .getDistributions()) {
      max = Math.max(max, d.getAttempted().getMax());
    }
    return max;
  }

  @Test
  void neverMoreQueriesAtOnceThanTheCap() {
    assertEquals(1, maxConcurrentQueries(1));
    long two = maxConcurrentQueries(2);
    System.out.println("most queries at once with a cap of 2: " + two);
    assertTrue(two >= 1 && two <= 2, "most queries at once with a cap of 2: " + two);
  }
}
