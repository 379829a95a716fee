package dev.hogbeam.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RunReportTest {

  @Test
  void sumsPartsPerEntryAndTotalsPerSection() {
    RunReport r =
        RunReport.builder()
            .put(RunReport.SHARDS, "s1", Map.of("rowsRead", 10L, "clickhouseReadRows", 12L))
            .put(RunReport.SHARDS, "s2", Map.of("rowsRead", 5L))
            .add(RunReport.SHARDS, "s1", "rowsRead", 1L)
            .add(RunReport.GROUPS, "s1", "sent", 9L)
            .build();
    assertEquals(
        Map.of("rowsRead", 11L, "clickhouseReadRows", 12L), r.section(RunReport.SHARDS).get("s1"));
    assertEquals(16L, r.total(RunReport.SHARDS, "rowsRead"));
    assertEquals(Map.of("rowsRead", 16L, "clickhouseReadRows", 12L), r.totals(RunReport.SHARDS));
    assertEquals(0L, r.total(RunReport.DEAD_LETTERS, "events"));

    RunReport back = RunReport.fromJson(r.toJson());
    assertEquals(r.section(RunReport.SHARDS), back.section(RunReport.SHARDS));
    assertEquals(r.section(RunReport.GROUPS), back.section(RunReport.GROUPS));
  }
}
