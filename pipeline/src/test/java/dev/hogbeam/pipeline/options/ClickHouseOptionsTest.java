package dev.hogbeam.pipeline.options;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

class ClickHouseOptionsTest {

  @Test
  void fetchLimitDefaultsToTheReadersPageSize() {
    ClickHouseOptions o = PipelineOptionsFactory.fromArgs().as(ClickHouseOptions.class);
    assertEquals(500_000, o.getFetchLimit());
    assertEquals(ClickHouseEventsIO.DEFAULT_FETCH_SIZE, o.getFetchLimit());
  }
}
