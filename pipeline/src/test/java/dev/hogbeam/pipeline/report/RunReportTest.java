package dev.hogbeam.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunReportTest {

  @Test
  void sumsPartsPerEntryAndTotalsPerSection() {
    RunReport r =
        RunReport.fromParts(
            List.of(
                ReportPart.of(
                    ReportPart.SHARDS, "s1", Map.of("rowsRead", 10L, "clickhouseReadRows", 12L)),
                ReportPart.of(ReportPart.SHARDS, "s2", Map.of("rowsRead", 5L)),
                ReportPart.of(ReportPart.SHARDS, "s1", "rowsRead", 1L),
                ReportPart.of(ReportPart.GROUPS, "s1", "sent", 9L)));
    assertEquals(
        Map.of("rowsRead", 11L, "clickhouseReadRows", 12L), r.section(ReportPart.SHARDS).get("s1"));
    assertEquals(16L, r.total(ReportPart.SHARDS, "rowsRead"));
    assertEquals(Map.of("rowsRead", 16L, "clickhouseReadRows", 12L), r.totals(ReportPart.SHARDS));
    assertEquals(0L, r.total(ReportPart.DEAD_LETTERS, "events"));

    RunReport back = RunReport.fromJson(r.toJson());
    assertEquals(r.section(ReportPart.SHARDS), back.section(ReportPart.SHARDS));
    assertEquals(r.section(ReportPart.GROUPS), back.section(ReportPart.GROUPS));
  }
}
