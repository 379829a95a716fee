package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SortKeysTest {
  static final String GEN1 = "team_id, toDate(timestamp), distinct_id, uuid";
  static final String GEN2 =
      "team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid)";

  @Test
  void splitsAtTopLevelCommasOnly() {
    assertEquals(
        List.of(
            "team_id", "toDate(timestamp)", "event", "cityHash64(distinct_id)", "cityHash64(uuid)"),
        SortKeys.split(GEN2));
    assertEquals(
        List.of("a", "f(b, c)", "g('x,y', [1, 2])", "`we,ird`"),
        SortKeys.split("(a, f(b, c), g('x,y', [1, 2]), `we,ird`)"));
    assertEquals(List.of(), SortKeys.split(""));
    assertEquals(List.of("tuple()"), SortKeys.split("tuple()"));
  }

  @Test
  void findsTheKeyAfterTeamAndDay() {
    assertEquals(List.of("distinct_id", "uuid"), SortKeys.afterTeamAndDay(SortKeys.split(GEN1)));
    assertEquals(
        List.of("event", "cityHash64(distinct_id)", "cityHash64(uuid)"),
        SortKeys.afterTeamAndDay(SortKeys.split(GEN2)));
    assertEquals(
        List.of("event"),
        SortKeys.afterTeamAndDay(SortKeys.split("team_id, toDate( timestamp ), event")));
    assertNull(SortKeys.afterTeamAndDay(SortKeys.split("timestamp, uuid")));
    assertNull(SortKeys.afterTeamAndDay(SortKeys.split("team_id, timestamp")));
    assertNull(SortKeys.afterTeamAndDay(SortKeys.split("")));
  }

  @Test
  void expandedPredicateForTheCurrentKey() {
    List<KeyColumn> keys =
        List.of(
            KeyColumn.of("event", "String"),
            KeyColumn.of("cityHash64(distinct_id)", "UInt64"),
            KeyColumn.of("cityHash64(uuid)", "UInt64"));
    assertEquals(
        "(event > unhex(?) OR (event = unhex(?) AND "
            + "(cityHash64(distinct_id) > CAST(? AS UInt64) OR (cityHash64(distinct_id) = CAST(? AS UInt64) AND "
            + "(cityHash64(uuid) > CAST(? AS UInt64))))))",
        SortKeys.after(keys));
    assertArrayEquals(new int[] {0, 0, 1, 1, 2}, SortKeys.afterParameterOrder(3));
    assertEquals(
        "event = unhex(?) AND cityHash64(distinct_id) = CAST(? AS UInt64) AND cityHash64(uuid) = CAST(? AS UInt64)",
        SortKeys.equalTo(keys));
  }

  @Test
  void expandedPredicateForThe2021KeyAndForTimeOrder() {
    assertEquals(
        "(distinct_id > unhex(?) OR (distinct_id = unhex(?) AND (uuid > CAST(? AS UUID))))",
        SortKeys.after(
            List.of(KeyColumn.of("distinct_id", "String"), KeyColumn.of("uuid", "UUID"))));
    assertEquals(
        "(timestamp > CAST(? AS DateTime64(6, 'UTC')) OR (timestamp = CAST(? AS DateTime64(6, 'UTC'))"
            + " AND (uuid > CAST(? AS UUID))))",
        SortKeys.after(
            List.of(
                KeyColumn.of("timestamp", "DateTime64(6, 'UTC')"), KeyColumn.of("uuid", "UUID"))));
    assertEquals(
        "(event > unhex(?))",
        SortKeys.after(List.of(KeyColumn.of("event", "LowCardinality(String)"))));
    assertArrayEquals(new int[] {0}, SortKeys.afterParameterOrder(1));
    assertArrayEquals(new int[] {0, 0, 1}, SortKeys.afterParameterOrder(2));
    assertThrows(IllegalArgumentException.class, () -> SortKeys.after(List.of()));
  }

  @Test
  void keyColumnsCarryStringsAsHexAndTheRestAsClickHouseText() {
    KeyColumn s = KeyColumn.of("distinct_id", "String");
    assertEquals("hex(distinct_id)", s.selectExpression());
    assertEquals("unhex(?)", s.bindExpression());
    KeyColumn f = KeyColumn.of("x", "FixedString(16)");
    assertEquals("unhex(?)", f.bindExpression());
    KeyColumn h = KeyColumn.of("cityHash64(uuid)", "UInt64");
    assertEquals("toString(cityHash64(uuid))", h.selectExpression());
    assertEquals("CAST(? AS UInt64)", h.bindExpression());
  }
}
