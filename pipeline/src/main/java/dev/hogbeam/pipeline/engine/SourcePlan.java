package dev.hogbeam.pipeline.engine;

import com.google.auto.value.AutoValue;
import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * What a source's plan tells the engine, made before the pipeline is built: a description for the
 * log, how many shards it reads, what it expects to send (for the ETA), and, where the source knows
 * them up front, its send groups with the earliest time each can hold (for the printed cursor).
 */
@AutoValue
public abstract class SourcePlan {
  /** A few lines: source, range, shards, estimates. */
  public abstract String description();

  /** Source shards in the plan. */
  public abstract int shards();

  /** What one group of day order is, for the log: {@code shard}, {@code UTC day}. */
  public abstract String dayGroup();

  /** Events the plan expects to send; 0 when unknown. */
  public abstract long expectedEvents();

  /**
   * Every send group known before the run, with the earliest timestamp (epoch micros) its events
   * can have; empty when groups are only known once the data is read.
   */
  public abstract ImmutableMap<String, Long> groupStarts();

  /** End of the migrated range, exclusive, epoch micros ({@code Long.MAX_VALUE} when open). */
  public abstract long rangeEndMicros();

  public static Builder builder() {
    return new AutoValue_SourcePlan.Builder()
        .dayGroup("UTC day")
        .expectedEvents(0)
        .groupStarts(ImmutableMap.of())
        .rangeEndMicros(Long.MAX_VALUE);
  }

  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder description(String description);

    public abstract Builder shards(int shards);

    public abstract Builder dayGroup(String name);

    public abstract Builder expectedEvents(long events);

    public abstract Builder groupStarts(Map<String, Long> starts);

    public abstract Builder rangeEndMicros(long micros);

    public abstract SourcePlan build();
  }
}
