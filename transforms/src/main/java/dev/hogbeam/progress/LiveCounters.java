package dev.hogbeam.progress;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-wide running totals for progress lines while a job runs.
 *
 * <p>Beam's metrics are the durable account, but most runners only hand them back once the job
 * ends. These counters are plain static atomics the stages bump as they go, read by the command
 * line's progress printer. They are exact when the job runs inside the launching process (the
 * DirectRunner, embedded Flink); on a cluster the workers' counters live in other processes, and
 * progress comes from the checkpoint directory instead.
 */
public final class LiveCounters {
  /** Rows fetched from the source. */
  public static final AtomicLong ROWS_READ = new AtomicLong();

  /** Source shards read to the end. */
  public static final AtomicLong SHARDS_READ = new AtomicLong();

  /** Events acknowledged by PostHog (or written, or counted in a dry run). */
  public static final AtomicLong EVENTS_SENT = new AtomicLong();

  /** Send groups finished. */
  public static final AtomicLong GROUPS_FINISHED = new AtomicLong();

  /** Records sent to the dead-letter output, all stages. */
  public static final AtomicLong DEAD_LETTERED = new AtomicLong();

  private LiveCounters() {}

  /** Sets every counter to zero; the command line does this before each run. */
  public static void reset() {
    ROWS_READ.set(0);
    SHARDS_READ.set(0);
    EVENTS_SENT.set(0);
    GROUPS_FINISHED.set(0);
    DEAD_LETTERED.set(0);
  }

  /** A consistent-enough copy of all counters. */
  public static Snapshot snapshot() {
    return new Snapshot(
        ROWS_READ.get(),
        SHARDS_READ.get(),
        EVENTS_SENT.get(),
        GROUPS_FINISHED.get(),
        DEAD_LETTERED.get());
  }

  /** Counter values at one moment. */
  public record Snapshot(
      long rowsRead, long shardsRead, long eventsSent, long groupsFinished, long deadLettered) {}
}
