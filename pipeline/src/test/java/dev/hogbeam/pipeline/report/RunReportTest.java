package dev.hogbeam.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void aSourceFigureNotKnownForOneShardIsNotKnownInTotalNeverPartial() {
    RunReport r =
        RunReport.builder()
            .put(RunReport.SHARDS, "s1", Map.of("rowsRead", 10L, "sourceRowsScanned", 12L))
            .put(RunReport.SHARDS, "s2", Map.of("rowsRead", 5L, "sourceRowsScanned", -1L))
            .put(RunReport.SHARDS, "s3", Map.of("rowsRead", 5L, "sourceRowsScanned", 7L))
            .add(RunReport.SHARDS, "s3", "sourceRowsScanned", -1L)
            .build();
    assertEquals(RunReport.UNKNOWN, r.total(RunReport.SHARDS, "sourceRowsScanned"));
    assertEquals(RunReport.UNKNOWN, r.totals(RunReport.SHARDS).get("sourceRowsScanned"));
    assertEquals(RunReport.UNKNOWN, r.get(RunReport.SHARDS, "s3", "sourceRowsScanned"));
    assertEquals(20L, r.total(RunReport.SHARDS, "rowsRead"));
    String json = r.toJson();
    assertTrue(json.contains("\"sourceRowsScanned\" : null"), json);
    assertTrue(json.contains("\"sourceRowsScanned\" : 12"), json);
    RunReport back = RunReport.fromJson(json);
    assertEquals(r.section(RunReport.SHARDS), back.section(RunReport.SHARDS));
    assertEquals(RunReport.UNKNOWN, back.total(RunReport.SHARDS, "sourceRowsScanned"));
  }
}
