package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What a table's engine says about merged rows, from {@code system.tables}. */
class TableEngineTest {

  @Test
  void readsTheVersionColumnOfEveryReplacingEngineForm() {
    assertEquals(
        new TableEngine("ReplacingMergeTree", true, "_timestamp", null),
        TableEngine.parse(
            "ReplacingMergeTree",
            "ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp) ORDER BY (team_id)"));
    assertEquals(
        new TableEngine("ReplicatedReplacingMergeTree", true, "_timestamp", null),
        TableEngine.parse(
            "ReplicatedReplacingMergeTree",
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/posthog.events',"
                + " '{replica}', _timestamp) PARTITION BY toYYYYMM(timestamp)"));
    assertEquals(
        new TableEngine("ReplicatedReplacingMergeTree", true, "ver", "deleted"),
        TableEngine.parse(
            "ReplicatedReplacingMergeTree",
            "ReplicatedReplacingMergeTree(`ver`, deleted) ORDER BY a"));
    assertEquals(
        new TableEngine("ReplacingMergeTree", true, null, null),
        TableEngine.parse("ReplacingMergeTree", "ReplacingMergeTree ORDER BY a"));
    assertEquals(
        new TableEngine("ReplicatedReplacingMergeTree", true, null, null),
        TableEngine.parse(
            "ReplicatedReplacingMergeTree",
            "ReplicatedReplacingMergeTree('/p', '{r}') ORDER BY a"));
  }

  @Test
  void otherEnginesMergeNothing() {
    assertEquals(
        new TableEngine("MergeTree", false, null, null),
        TableEngine.parse("MergeTree", "MergeTree ORDER BY uuid"));
    assertEquals(
        new TableEngine("CollapsingMergeTree", false, null, null),
        TableEngine.parse("CollapsingMergeTree", "CollapsingMergeTree(sign) ORDER BY uuid"));
  }

  @Test
  void versionsOrderAsTheirTypeDoes() {
    KeyColumn time = KeyColumn.of("_timestamp", "DateTime");
    assertEquals(
        "toUnixTimestamp64Nano(toDateTime64(_timestamp, 9, 'UTC'))",
        time.versionSelectExpression());
    KeyColumn unsigned = KeyColumn.of("v", "UInt64");
    assertEquals(
        -1,
        Long.signum(
            Long.compare(
                unsigned.versionOrder("9223372036854775807"),
                unsigned.versionOrder("18446744073709551615"))));
    KeyColumn signed = KeyColumn.of("v", "Int64");
    assertEquals(
        -1, Long.signum(Long.compare(signed.versionOrder("-5"), signed.versionOrder("3"))));
  }
}
