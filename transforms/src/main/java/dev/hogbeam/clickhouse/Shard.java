package dev.hogbeam.clickhouse;

import dev.hogbeam.event.Timestamps;
import java.io.Serializable;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One unit of reading: the events of one team in one UTC day (bounded by the run's range on the
 * first and last day), or one part of such a day when the day is split.
 *
 * <p>A split day's parts are ranges of the plan's split column ({@link ReadPlan#splitColumn()}), a
 * function of {@code distinct_id}, so every person's events of the day are in one part. The bounds
 * are cursor texts (see {@link KeyColumn}): {@code splitLower} inclusive, {@code splitUpper}
 * exclusive, null meaning unbounded.
 *
 * <p>{@link #id()} is stable for the same plan and safe as a file name: {@code team2-2024-05-01} or
 * {@code team2-2024-05-01-p3of4}.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final long teamId;
  private final String day;
  private final long startMicros;
  private final long endMicros;
  private final int part;
  private final int parts;
  private final @Nullable String splitLower;
  private final @Nullable String splitUpper;
  private final long estimatedRows;

  Shard(
      String id,
      long teamId,
      String day,
      long startMicros,
      long endMicros,
      int part,
      int parts,
      @Nullable String splitLower,
      @Nullable String splitUpper,
      long estimatedRows) {
    this.id = id;
    this.teamId = teamId;
    this.day = day;
    this.startMicros = startMicros;
    this.endMicros = endMicros;
    this.part = part;
    this.parts = parts;
    this.splitLower = splitLower;
    this.splitUpper = splitUpper;
    this.estimatedRows = estimatedRows;
  }

  /** Stable, file-name-safe id: {@code team{T}-{yyyy-MM-dd}[-p{i}of{n}]}. */
  public String id() {
    return id;
  }

  public long teamId() {
    return teamId;
  }

  /** The UTC day, {@code yyyy-MM-dd}. */
  public String day() {
    return day;
  }

  /** Inclusive lower bound on {@code timestamp}, epoch microseconds. */
  public long startMicros() {
    return startMicros;
  }

  /** Exclusive upper bound on {@code timestamp}, epoch microseconds. */
  public long endMicros() {
    return endMicros;
  }

  /** 1-based index of this part of its day. */
  public int part() {
    return part;
  }

  /** How many parts the day was split into (1 when not split). */
  public int parts() {
    return parts;
  }

  public @Nullable String splitLower() {
    return splitLower;
  }

  public @Nullable String splitUpper() {
    return splitUpper;
  }

  /** Rows ClickHouse counted for this shard when planning (copies not yet merged included). */
  public long estimatedRows() {
    return estimatedRows;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Shard)) {
      return false;
    }
    Shard s = (Shard) o;
    return teamId == s.teamId
        && startMicros == s.startMicros
        && endMicros == s.endMicros
        && part == s.part
        && parts == s.parts
        && estimatedRows == s.estimatedRows
        && id.equals(s.id)
        && day.equals(s.day)
        && Objects.equals(splitLower, s.splitLower)
        && Objects.equals(splitUpper, s.splitUpper);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, startMicros, endMicros, splitLower, splitUpper, estimatedRows);
  }

  @Override
  public String toString() {
    return id
        + "["
        + Timestamps.toIso(startMicros)
        + ", "
        + Timestamps.toIso(endMicros)
        + ")"
        + (parts > 1 ? " split [" + splitLower + ", " + splitUpper + ")" : "")
        + " ~"
        + estimatedRows
        + " rows";
  }
}
