package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.event.Timestamps;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure arithmetic of the read plan: days of a range, how many parts a heavy day needs, where the
 * hash ranges of those parts start, shard ids, and how shards are spread over a fixed number of
 * concurrent readers. No I/O: the row counts and data-derived split boundaries come in as
 * arguments.
 */
public final class ShardPlanner {
  private ShardPlanner() {}

  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  /** One UTC day of a range, bounded by the range on the first and last day: [start, end). */
  public record DaySlice(LocalDate day, Instant start, Instant end) {}

  /**
   * Where the parts of a heavy day start on the split column: ascending (in ClickHouse's order), at
   * most {@code parts - 1} cursor texts. Fewer values (or repeated ones, which are dropped) give
   * fewer parts.
   */
  @FunctionalInterface
  public interface SplitBoundaries {
    List<String> boundaries(DaySlice day, long rows, int parts);
  }

  /** Cuts [start, end) at UTC midnights; an empty range gives no days. */
  public static List<DaySlice> days(Instant start, Instant end) {
    checkArgument(start != null && end != null, "start and end must be set");
    List<DaySlice> out = new ArrayList<>();
    LocalDate day = LocalDate.ofInstant(start, ZoneOffset.UTC);
    while (true) {
      Instant dayStart = day.atStartOfDay(ZoneOffset.UTC).toInstant();
      if (!dayStart.isBefore(end)) {
        break;
      }
      Instant dayEnd = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      Instant s = dayStart.isBefore(start) ? start : dayStart;
      Instant e = dayEnd.isAfter(end) ? end : dayEnd;
      if (s.isBefore(e)) {
        out.add(new DaySlice(day, s, e));
      }
      day = day.plusDays(1);
    }
    return out;
  }

  /** Parts for a day of {@code rows} rows so that none holds more than {@code threshold}. */
  public static int partsFor(long rows, long threshold) {
    checkArgument(threshold > 0, "splitThreshold must be > 0, but was %s", threshold);
    if (rows <= threshold) {
      return 1;
    }
    long parts = (rows + threshold - 1) / threshold;
    checkArgument(parts <= 100_000, "a day of %s rows would need %s parts", rows, parts);
    return (int) parts;
  }

  /**
   * The first values of parts 2..n of the unsigned 64-bit range, as decimal text: part i covers
   * [floor((i-1) * 2^64 / n), floor(i * 2^64 / n)). Every UInt64 falls in exactly one part.
   */
  public static List<String> hashBoundaries(int parts) {
    checkArgument(parts >= 1, "parts must be >= 1, but was %s", parts);
    List<String> out = new ArrayList<>(parts - 1);
    BigInteger n = BigInteger.valueOf(parts);
    for (int i = 1; i < parts; i++) {
      out.add(TWO_TO_64.multiply(BigInteger.valueOf(i)).divide(n).toString());
    }
    return out;
  }

  /** {@code team{T}-{yyyy-MM-dd}}, plus {@code -p{i}of{n}} when the day is split. */
  public static String shardId(long teamId, LocalDate day, int part, int parts) {
    String base = "team" + teamId + "-" + day;
    return parts == 1 ? base : base + "-p" + part + "of" + parts;
  }

  /**
   * The shards of [start, end) for one team: one per day that has rows, days over {@code
   * splitThreshold} rows split into parts at {@code splitBoundaries}. Days missing from {@code
   * rowsPerDay} or with zero rows get no shard.
   */
  public static List<Shard> plan(
      long teamId,
      Instant start,
      Instant end,
      Map<LocalDate, Long> rowsPerDay,
      long splitThreshold,
      SplitBoundaries splitBoundaries) {
    List<Shard> out = new ArrayList<>();
    for (DaySlice d : days(start, end)) {
      long rows = rowsPerDay.getOrDefault(d.day(), 0L);
      if (rows <= 0) {
        continue;
      }
      int wanted = partsFor(rows, splitThreshold);
      List<String> bounds = new ArrayList<>();
      if (wanted > 1) {
        for (String b : splitBoundaries.boundaries(d, rows, wanted)) {
          if (bounds.size() < wanted - 1
              && (bounds.isEmpty() || !bounds.get(bounds.size() - 1).equals(b))) {
            bounds.add(b);
          }
        }
      }
      int parts = bounds.size() + 1;
      long startMicros = Timestamps.toMicros(d.start());
      long endMicros = Timestamps.toMicros(d.end());
      for (int i = 1; i <= parts; i++) {
        long estimate = rows / parts + (i <= rows % parts ? 1 : 0);
        out.add(
            Shard.of(
                shardId(teamId, d.day(), i, parts),
                teamId,
                d.day().toString(),
                startMicros,
                endMicros,
                i,
                parts,
                i == 1 ? null : bounds.get(i - 2),
                i == parts ? null : bounds.get(i - 1),
                estimate));
      }
    }
    return out;
  }

  /**
   * Spreads shards over {@code lanes} readers so that the largest estimated load is small: the
   * biggest shards first, each to the least loaded lane (ties to the lowest lane). Deterministic.
   * Returns shard id to lane in [0, lanes).
   */
  public static Map<String, Integer> assignLanes(List<Shard> shards, int lanes) {
    checkArgument(lanes > 0, "lanes must be > 0, but was %s", lanes);
    List<Shard> sorted = new ArrayList<>(shards);
    sorted.sort(Comparator.comparingLong(Shard::estimatedRows).reversed().thenComparing(Shard::id));
    long[] load = new long[lanes];
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Shard s : sorted) {
      int best = 0;
      for (int i = 1; i < lanes; i++) {
        if (load[i] < load[best]) {
          best = i;
        }
      }
      load[best] += Math.max(1, s.estimatedRows());
      out.put(s.id(), best);
    }
    return out;
  }
}
