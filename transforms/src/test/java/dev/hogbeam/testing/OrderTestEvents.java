package dev.hogbeam.testing;

import dev.hogbeam.event.CaptureEvent;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * A reproducible stream of synthetic events for sort tests and benchmarks, generated on the fly (so
 * a benchmark can feed millions without holding them): random uuids, timestamps spread over {@code
 * spanMicros} from {@code startMicros} (a small span gives many equal timestamps), and PostHog-like
 * properties of about {@code propertiesBytes} characters. A fraction of the events repeat an
 * earlier event's timestamp, uuid, name and distinct_id (a copy of one event, as unmerged
 * ReplacingMergeTree copies are).
 */
public final class OrderTestEvents implements Iterator<CaptureEvent> {
  private static final String[] EVENTS = {"$pageview", "$autocapture", "signed_up", "$identify"};
  private static final String[] BROWSERS = {"Chrome", "Firefox", "Safari", "Edge"};

  /** Random letters that properties take slices of: varied text without a random call a byte. */
  private static final String TEXT = randomLetters(1 << 20);

  private final SplittableRandom random;
  private final long count;
  private final long startMicros;
  private final long spanMicros;
  private final int propertiesBytes;
  private final double duplicateFraction;
  private long produced;
  private CaptureEvent previous;

  private OrderTestEvents(
      long seed,
      long count,
      long startMicros,
      long spanMicros,
      int propertiesBytes,
      double duplicateFraction) {
    this.random = new SplittableRandom(seed);
    this.count = count;
    this.startMicros = startMicros;
    this.spanMicros = spanMicros;
    this.propertiesBytes = propertiesBytes;
    this.duplicateFraction = duplicateFraction;
  }

  /**
   * {@code count} events; about {@code duplicateFraction} of them copy the timestamp, uuid, name
   * and distinct_id of the event just before, with other properties.
   */
  public static OrderTestEvents of(
      long seed,
      long count,
      long startMicros,
      long spanMicros,
      int propertiesBytes,
      double duplicateFraction) {
    return new OrderTestEvents(
        seed, count, startMicros, spanMicros, propertiesBytes, duplicateFraction);
  }

  @Override
  public boolean hasNext() {
    return produced < count;
  }

  @Override
  public CaptureEvent next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    produced++;
    boolean copy = previous != null && random.nextDouble() < duplicateFraction;
    String uuid = copy ? previous.uuid() : uuid();
    long ts = copy ? previous.timestampMicros() : startMicros + random.nextLong(spanMicros);
    String distinctId = "user-" + random.nextInt(100_000);
    String event = EVENTS[random.nextInt(EVENTS.length)];
    if (copy) {
      distinctId = previous.distinctId();
      event = previous.event();
    }
    previous = CaptureEvent.of(uuid, event, distinctId, ts, properties(distinctId));
    return previous;
  }

  private String uuid() {
    long hi = random.nextLong();
    long lo = random.nextLong();
    return new java.util.UUID(hi, lo).toString();
  }

  private String properties(String distinctId) {
    StringBuilder sb = new StringBuilder(propertiesBytes + 64);
    sb.append("{\"$browser\":\"")
        .append(BROWSERS[random.nextInt(BROWSERS.length)])
        .append("\",\"$current_url\":\"https://app.example.com/p/")
        .append(random.nextInt(1000))
        .append("\",\"$session_id\":\"")
        .append(uuid())
        .append("\",\"distinct\":\"")
        .append(distinctId)
        .append("\",\"note\":\"");
    int fill = Math.max(0, propertiesBytes - 2 - sb.length());
    int from = random.nextInt(TEXT.length() - fill);
    return sb.append(TEXT, from, from + fill).append("\"}").toString();
  }

  private static String randomLetters(int n) {
    SplittableRandom r = new SplittableRandom(0);
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = (char) ('a' + r.nextInt(26));
    }
    return new String(c);
  }
}
