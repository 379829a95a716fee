package dev.hogbeam.download;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * An API's documented query limits, kept by every request of this JVM to one project (all workers
 * and threads of the DirectRunner or of one cluster worker share it): at most {@code perSecond}
 * requests started in any second, {@code perHour} in any hour, and {@code concurrent} open at once;
 * and after a 429 with Retry-After, none until then. Retries count as queries too, as they do for
 * the server.
 *
 * <p>The windows are kept a little wider than the server's ({@link #MARGIN}: 10%), since the server
 * counts arrivals and this counts departures. Limits are per JVM: a cluster of several workers
 * shares the server's budget among them, so give each a share (the flags) there.
 */
public final class QueryLimits implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<String, Window> WINDOWS = new ConcurrentHashMap<>();
  static final double MARGIN = 1.1;
  private static final long SECOND = 1_000_000_000L;
  private static final long HOUR = 3600 * SECOND;

  private final String key;
  private final int perSecond;
  private final int perHour;
  private final int concurrent;

  /**
   * @param key what the server counts by (e.g. the host and the project), never a credential
   */
  public QueryLimits(String key, int perSecond, int perHour, int concurrent) {
    checkArgument(perSecond > 0 && perHour > 0 && concurrent > 0, "limits must be > 0");
    this.key = key;
    this.perSecond = perSecond;
    this.perHour = perHour;
    this.concurrent = concurrent;
  }

  public int perSecond() {
    return perSecond;
  }

  public int perHour() {
    return perHour;
  }

  public int concurrent() {
    return concurrent;
  }

  /** The gate of this JVM for these limits (the same object for the same key and limits). */
  public HttpDownload.Gate gate() {
    return WINDOWS.computeIfAbsent(
        key + "|" + perSecond + "|" + perHour + "|" + concurrent,
        k -> new Window(perSecond, perHour, concurrent, System::nanoTime));
  }

  @Override
  public String toString() {
    return perSecond + " per second, " + perHour + " per hour, " + concurrent + " at once";
  }

  /** Sliding windows over the start times of recent requests. */
  static final class Window implements HttpDownload.Gate {
    private final int perSecond;
    private final int perHour;
    private final int concurrent;
    private final LongSupplier clock;
    private final ArrayDeque<Long> starts = new ArrayDeque<>();
    private int open;
    private long pausedUntil;

    Window(int perSecond, int perHour, int concurrent, LongSupplier nanoClock) {
      this.perSecond = perSecond;
      this.perHour = perHour;
      this.concurrent = concurrent;
      this.clock = nanoClock;
      this.pausedUntil = nanoClock.getAsLong();
    }

    @Override
    public synchronized void acquire() throws InterruptedException {
      while (true) {
        long wait = waitNanos(clock.getAsLong());
        if (wait <= 0) {
          starts.addLast(clock.getAsLong());
          open++;
          return;
        }
        long ms = Math.max(1, wait / 1_000_000);
        wait(ms);
      }
    }

    /** 0 when a request may start now, else (roughly) how long until one may. */
    synchronized long waitNanos(long now) {
      long hour = (long) (HOUR * MARGIN);
      long second = (long) (SECOND * MARGIN);
      while (!starts.isEmpty() && now - starts.peekFirst() >= hour) {
        starts.removeFirst();
      }
      long wait = Math.max(0, pausedUntil - now);
      if (starts.size() >= perHour) {
        wait = Math.max(wait, starts.peekFirst() + hour - now);
      }
      int inSecond = 0;
      long oldestInSecond = now;
      for (var it = starts.descendingIterator(); it.hasNext(); ) {
        long t = it.next();
        if (now - t >= second) {
          break;
        }
        inSecond++;
        oldestInSecond = t;
      }
      if (inSecond >= perSecond) {
        wait = Math.max(wait, oldestInSecond + second - now);
      }
      if (open >= concurrent) {
        wait = Math.max(wait, 1_000_000); // until a release wakes us
      }
      return wait;
    }

    @Override
    public synchronized void release() {
      open--;
      notifyAll();
    }

    @Override
    public synchronized void pause(long millis) {
      pausedUntil = Math.max(pausedUntil, clock.getAsLong() + millis * 1_000_000);
      notifyAll();
    }
  }
}
