package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.clickhouse.ShardPlanner.DaySlice;
import dev.hogbeam.event.Timestamps;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShardPlannerTest {
  static Instant t(String s) {
    return Instant.parse(s);
  }

  @Test
  void partialFirstAndLastDaysAreBoundedByTheRange() {
    assertEquals(
        List.of(
            new DaySlice(
                LocalDate.parse("2024-05-01"),
                t("2024-05-01T12:00:00Z"),
                t("2024-05-02T00:00:00Z")),
            new DaySlice(
                LocalDate.parse("2024-05-02"),
                t("2024-05-02T00:00:00Z"),
                t("2024-05-03T00:00:00Z")),
            new DaySlice(
                LocalDate.parse("2024-05-03"),
                t("2024-05-03T00:00:00Z"),
                t("2024-05-03T06:00:00.000001Z"))),
        ShardPlanner.days(t("2024-05-01T12:00:00Z"), t("2024-05-03T06:00:00.000001Z")));
  }

  @Test
  void rangesOnMidnightsHaveNoEmptyEdgeDays() {
    assertEquals(
        List.of(
            new DaySlice(
                LocalDate.parse("2024-02-28"),
                t("2024-02-28T00:00:00Z"),
                t("2024-02-29T00:00:00Z")),
            new DaySlice(
                LocalDate.parse("2024-02-29"),
                t("2024-02-29T00:00:00Z"),
                t("2024-03-01T00:00:00Z"))),
        ShardPlanner.days(t("2024-02-28T00:00:00Z"), t("2024-03-01T00:00:00Z")));
    assertEquals(
        List.of(
            new DaySlice(
                LocalDate.parse("2024-05-01"),
                t("2024-05-01T23:59:59.999999Z"),
                t("2024-05-02T00:00:00Z"))),
        ShardPlanner.days(t("2024-05-01T23:59:59.999999Z"), t("2024-05-02T00:00:00Z")));
    assertEquals(
        List.of(), ShardPlanner.days(t("2024-05-01T00:00:00Z"), t("2024-05-01T00:00:00Z")));
  }

  @Test
  void partsKeepEveryPartAtOrUnderTheThreshold() {
    assertEquals(1, ShardPlanner.partsFor(0, 10));
    assertEquals(1, ShardPlanner.partsFor(10, 10));
    assertEquals(2, ShardPlanner.partsFor(11, 10));
    assertEquals(2, ShardPlanner.partsFor(20, 10));
    assertEquals(3, ShardPlanner.partsFor(21, 10));
    assertEquals(2, ShardPlanner.partsFor(2_340_000, 2_000_000));
    assertThrows(IllegalArgumentException.class, () -> ShardPlanner.partsFor(5, 0));
  }

  @Test
  void hashBoundariesAreUnsigned64BitSplitPoints() {
    assertEquals(List.of(), ShardPlanner.hashBoundaries(1));
    assertEquals(List.of("9223372036854775808"), ShardPlanner.hashBoundaries(2));
    assertEquals(
        List.of("6148914691236517205", "12297829382473034410"), ShardPlanner.hashBoundaries(3));
    List<String> seven = ShardPlanner.hashBoundaries(7);
    BigInteger prev = BigInteger.ZERO;
    for (String b : seven) {
      BigInteger v = new BigInteger(b);
      assertTrue(v.compareTo(prev) > 0 && v.bitLength() <= 64, b);
      prev = v;
    }
  }

  @Test
  void everyUInt64FallsInExactlyOneHashPart() {
    for (int parts : new int[] {1, 2, 3, 7, 64, 1000}) {
      List<String> bounds = ShardPlanner.hashBoundaries(parts);
      List<Long> probes =
          new ArrayList<>(List.of(0L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -2L));
      for (String b : bounds) {
        long v = Long.parseUnsignedLong(b);
        probes.add(v);
        probes.add(v - 1);
        probes.add(v + 1);
      }
      SplittableRandom r = new SplittableRandom(parts);
      for (int i = 0; i < 2000; i++) {
        probes.add(r.nextLong());
      }
      for (long h : probes) {
        int hits = 0;
        for (int i = 0; i < parts; i++) {
          boolean aboveLower =
              i == 0 || Long.compareUnsigned(h, Long.parseUnsignedLong(bounds.get(i - 1))) >= 0;
          boolean belowUpper =
              i == parts - 1 || Long.compareUnsigned(h, Long.parseUnsignedLong(bounds.get(i))) < 0;
          if (aboveLower && belowUpper) {
            hits++;
          }
        }
        assertEquals(1, hits, "parts=" + parts + " h=" + Long.toUnsignedString(h));
      }
    }
  }

  @Test
  void planSkipsEmptyDaysSplitsHeavyOnesWithStableIds() {
    Map<LocalDate, Long> counts =
        Map.of(
            LocalDate.parse("2024-05-01"), 5L,
            LocalDate.parse("2024-05-02"), 0L,
            LocalDate.parse("2024-05-04"), 25L);
    List<Shard> shards =
        ShardPlanner.plan(
            7,
            t("2024-05-01T12:00:00Z"),
            t("2024-05-05T00:00:00Z"),
            counts,
            10,
            (day, rows, parts) -> ShardPlanner.hashBoundaries(parts));
    assertEquals(4, shards.size());
    Shard first = shards.get(0);
    assertEquals("team7-2024-05-01", first.id());
    assertEquals(Timestamps.toMicros(t("2024-05-01T12:00:00Z")), first.startMicros());
    assertEquals(Timestamps.toMicros(t("2024-05-02T00:00:00Z")), first.endMicros());
    assertEquals(1, first.parts());
    assertNull(first.splitLower());
    assertNull(first.splitUpper());
    assertEquals(5, first.estimatedRows());

    List<String> bounds = ShardPlanner.hashBoundaries(3);
    String[] ids = {"team7-2024-05-04-p1of3", "team7-2024-05-04-p2of3", "team7-2024-05-04-p3of3"};
    long[] estimates = {9, 8, 8};
    for (int i = 0; i < 3; i++) {
      Shard s = shards.get(i + 1);
      assertEquals(ids[i], s.id());
      assertEquals("2024-05-04", s.day());
      assertEquals(i + 1, s.part());
      assertEquals(3, s.parts());
      assertEquals(i == 0 ? null : bounds.get(i - 1), s.splitLower());
      assertEquals(i == 2 ? null : bounds.get(i), s.splitUpper());
      assertEquals(estimates[i], s.estimatedRows());
      assertTrue(s.id().matches("[A-Za-z0-9-]+"), "file-name safe: " + s.id());
    }
    assertEquals(
        shards,
        ShardPlanner.plan(
            7,
            t("2024-05-01T12:00:00Z"),
            t("2024-05-05T00:00:00Z"),
            counts,
            10,
            (day, rows, parts) -> ShardPlanner.hashBoundaries(parts)));
  }

  @Test
  void repeatedDataBoundariesGiveFewerParts() {
    List<Shard> shards =
        ShardPlanner.plan(
            1,
            t("2024-05-01T00:00:00Z"),
            t("2024-05-02T00:00:00Z"),
            Map.of(LocalDate.parse("2024-05-01"), 30L),
            10,
            (day, rows, parts) -> List.of("AB", "AB"));
    assertEquals(2, shards.size());
    assertEquals("team1-2024-05-01-p1of2", shards.get(0).id());
    assertNull(shards.get(0).splitLower());
    assertEquals("AB", shards.get(0).splitUpper());
    assertEquals("team1-2024-05-01-p2of2", shards.get(1).id());
    assertEquals("AB", shards.get(1).splitLower());
    assertNull(shards.get(1).splitUpper());
    assertEquals(30, shards.get(0).estimatedRows() + shards.get(1).estimatedRows());
  }

  @Test
  void lanesBalanceEstimatedRowsDeterministically() {
    List<Shard> shards = new ArrayList<>();
    long[] sizes = {100, 90, 50, 40, 10};
    for (int i = 0; i < sizes.length; i++) {
      shards.add(Shard.of("s" + i, 1, "2024-05-0" + (i + 1), 0, 1, 1, 1, null, null, sizes[i]));
    }
    Map<String, Integer> lanes = ShardPlanner.assignLanes(shards, 2);
    assertEquals(Map.of("s0", 0, "s1", 1, "s2", 1, "s3", 0, "s4", 0), lanes);
    assertEquals(
        Map.of("s0", 0, "s1", 0, "s2", 0, "s3", 0, "s4", 0), ShardPlanner.assignLanes(shards, 1));
    assertEquals(5, ShardPlanner.assignLanes(shards, 8).values().stream().distinct().count());
  }
}
