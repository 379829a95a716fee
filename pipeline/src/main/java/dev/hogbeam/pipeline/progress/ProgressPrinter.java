package dev.hogbeam.pipeline.progress;

import dev.hogbeam.pipeline.engine.Ledger.Progress;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prints a {@link ProgressLine} at a steady interval while a job runs, on a daemon thread. The
 * numbers come from a supplier: the ledger in the checkpoint directory, whichever runner runs the
 * job. A line that cannot be read (the directory briefly unreachable) is skipped, not fatal.
 */
public final class ProgressPrinter implements AutoCloseable {
  private final ScheduledExecutorService timer;
  private final long startNanos = System.nanoTime();
  private Progress previous;
  private long previousNanos = startNanos;

  private ProgressPrinter(
      Duration interval,
      Supplier<Progress> counters,
      PrintStream out,
      long expectedEvents,
      int shards,
      int groups) {
    this.previous = new Progress(0, 0, 0, 0, 0);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hogbeam-progress");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(
        () -> {
          Progress now;
          try {
            now = counters.get();
          } catch (RuntimeException e) {
            return; // the next line will tell
          }
          long nanos = System.nanoTime();
          out.println(
              "[progress] "
                  + ProgressLine.format(
                      Duration.ofNanos(nanos - startNanos),
                      now,
                      previous,
                      Duration.ofNanos(nanos - previousNanos),
                      expectedEvents,
                      shards,
                      groups));
          previous = now;
          previousNanos = nanos;
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Starts printing; {@code interval} zero or negative prints nothing. */
  public static AutoCloseable start(
      Duration interval,
      Supplier<Progress> counters,
      PrintStream out,
      long expectedEvents,
      int shards,
      int groups) {
    if (interval.isZero() || interval.isNegative()) {
      return () -> {};
    }
    return new ProgressPrinter(interval, counters, out, expectedEvents, shards, groups);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
