package dev.hogbeam.pipeline.progress;

import dev.hogbeam.pipeline.engine.Ledger.Progress;
import java.time.Duration;
import java.util.Locale;

/** Formats one progress line. Pure: the printer supplies the numbers and the times. */
public final class ProgressLine {
  private ProgressLine() {}

  /**
   * @param elapsed time since the run started
   * @param now counters now
   * @param before counters one interval ago
   * @param interval time between {@code before} and {@code now}
   * @param expectedEvents the plan's estimate of events to send (0 when unknown)
   * @param shards shards in the plan
   * @param groups send groups (0 when not known up front)
   */
  public static String format(
      Duration elapsed,
      Progress now,
      Progress before,
      Duration interval,
      long expectedEvents,
      int shards,
      int groups) {
    double seconds = Math.max(interval.toMillis(), 1) / 1000.0;
    double rate = (now.eventsSent() - before.eventsSent()) / seconds;
    StringBuilder sb = new StringBuilder();
    sb.append(clock(elapsed)).append(" read ").append(count(now.rowsRead())).append(" rows (");
    sb.append(now.shardsRead()).append('/').append(shards).append(" shards)");
    sb.append(" | sent ").append(count(now.eventsSent()));
    if (expectedEvents > 0) {
      sb.append(" of ~").append(count(expectedEvents));
    }
    sb.append(String.format(Locale.ROOT, " events, %,.0f ev/s", rate));
    if (groups > 0) {
      sb.append(" | groups done ").append(now.groupsFinished()).append('/').append(groups);
    } else {
      sb.append(" | groups done ").append(now.groupsFinished());
    }
    sb.append(" | dead letters ").append(count(now.deadLettered()));
    long remaining = expectedEvents - now.eventsSent();
    if (expectedEvents > 0 && rate > 0 && remaining > 0) {
      sb.append(" | ETA ").append(clock(Duration.ofSeconds((long) Math.ceil(remaining / rate))));
    }
    return sb.toString();
  }

  static String clock(Duration d) {
    long s = d.getSeconds();
    return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
