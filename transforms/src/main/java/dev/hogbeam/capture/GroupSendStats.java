package dev.hogbeam.capture;

import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * What the writer did with one group: the per-group account the pipeline's report adds up.
 *
 * <p>Every event of the group's input is counted exactly once in {@link #eventsSent()}, {@link
 * #deadLettered()} or {@link #skippedAlreadySent()}; the request counters include every attempt. In
 * a dry run "sent" means "would have been sent"; with the files transport, "written". {@link
 * #duplicatesDropped()} is NOT part of that sum: those copies were dropped before the writer (by
 * the ordering stage) and never reached it; the writer only passes on their count.
 */
@DefaultCoder(GroupSendStats.Coder.class)
public final class GroupSendStats implements Serializable {
  private static final long serialVersionUID = 2L;

  /** Key of {@link #retriesByStatus()} for attempts that got no answer (timeout, reset, IO). */
  public static final int NO_RESPONSE = 0;

  private final long eventsSent;
  private final long batches;
  private final long requests;
  private final long wireBytes;
  private final long jsonBytes;
  private final SortedMap<Integer, Long> retriesByStatus;
  private final long deadLettered;
  private final long skippedAlreadySent;
  private final long duplicatesDropped;
  private final long rateLimitWaitMillis;

  /** The counters in the order of the accessors below. */
  public GroupSendStats(
      long eventsSent,
      long batches,
      long requests,
      long wireBytes,
      long jsonBytes,
      Map<Integer, Long> retriesByStatus,
      long deadLettered,
      long skippedAlreadySent,
      long duplicatesDropped,
      long rateLimitWaitMillis) {
    this.eventsSent = eventsSent;
    this.batches = batches;
    this.requests = requests;
    this.wireBytes = wireBytes;
    this.jsonBytes = jsonBytes;
    this.retriesByStatus = Collections.unmodifiableSortedMap(new TreeMap<>(retriesByStatus));
    this.deadLettered = deadLettered;
    this.skippedAlreadySent = skippedAlreadySent;
    this.duplicatesDropped = duplicatesDropped;
    this.rateLimitWaitMillis = rateLimitWaitMillis;
  }

  /** All zero: the identity of {@link #plus}. */
  public static GroupSendStats empty() {
    return new GroupSendStats(0, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0);
  }

  /** Events PostHog acknowledged (2xx). A batch re-sent after an ambiguous failure counts once. */
  public long eventsSent() {
    return eventsSent;
  }

  /** Batches acknowledged (as the writer formed them, before any split). */
  public long batches() {
    return batches;
  }

  /** Requests made, every attempt, split and bisection step included. */
  public long requests() {
    return requests;
  }

  /** Request body bytes put on the wire (gzip), every attempt included. */
  public long wireBytes() {
    return wireBytes;
  }

  /** The same bodies uncompressed. */
  public long jsonBytes() {
    return jsonBytes;
  }

  /** Retried attempts by the status that caused them ({@link #NO_RESPONSE} for no answer). */
  public SortedMap<Integer, Long> retriesByStatus() {
    return retriesByStatus;
  }

  /** Total of {@link #retriesByStatus()}. */
  public long retries() {
    long sum = 0;
    for (long n : retriesByStatus.values()) {
      sum += n;
    }
    return sum;
  }

  /** Events sent to the dead-letter output (refused by PostHog, or known bad before sending). */
  public long deadLettered() {
    return deadLettered;
  }

  /** Events not sent because {@link SendProgress#resumeAfter} said they already were. */
  public long skippedAlreadySent() {
    return skippedAlreadySent;
  }

  /**
   * Copies of the group's events dropped before the writer (same timestamp and uuid as another
   * event), as the group's iterator reported them once exhausted ({@link
   * dev.hogbeam.event.DuplicateCount}); 0 when the iterator does not count them. Not part of the
   * events accounted above: they never reached the writer. Complete on a resumed group too, since
   * the events skipped there are still iterated.
   */
  public long duplicatesDropped() {
    return duplicatesDropped;
  }

  /** Time spent waiting for the events-per-second budget and for Retry-After pauses. */
  public long rateLimitWaitMillis() {
    return rateLimitWaitMillis;
  }

  /** Field-by-field sum, for totals. */
  public GroupSendStats plus(GroupSendStats o) {
    Map<Integer, Long> retries = new TreeMap<>(retriesByStatus);
    o.retriesByStatus.forEach((k, v) -> retries.merge(k, v, Long::sum));
    return new GroupSendStats(
        eventsSent + o.eventsSent,
        batches + o.batches,
        requests + o.requests,
        wireBytes + o.wireBytes,
        jsonBytes + o.jsonBytes,
        retries,
        deadLettered + o.deadLettered,
        skippedAlreadySent + o.skippedAlreadySent,
        duplicatesDropped + o.duplicatesDropped,
        rateLimitWaitMillis + o.rateLimitWaitMillis);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof GroupSendStats)) {
      return false;
    }
    GroupSendStats s = (GroupSendStats) o;
    return eventsSent == s.eventsSent
        && batches == s.batches
        && requests == s.requests
        && wireBytes == s.wireBytes
        && jsonBytes == s.jsonBytes
        && retriesByStatus.equals(s.retriesByStatus)
        && deadLettered == s.deadLettered
        && skippedAlreadySent == s.skippedAlreadySent
        && duplicatesDropped == s.duplicatesDropped
        && rateLimitWaitMillis == s.rateLimitWaitMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        eventsSent,
        batches,
        requests,
        wireBytes,
        jsonBytes,
        retriesByStatus,
        deadLettered,
        skippedAlreadySent,
        duplicatesDropped,
        rateLimitWaitMillis);
  }

  @Override
  public String toString() {
    return "GroupSendStats{sent="
        + eventsSent
        + ", batches="
        + batches
        + ", requests="
        + requests
        + ", wireBytes="
        + wireBytes
        + ", jsonBytes="
        + jsonBytes
        + ", retries="
        + retriesByStatus
        + ", deadLettered="
        + deadLettered
        + ", skipped="
        + skippedAlreadySent
        + ", duplicatesDropped="
        + duplicatesDropped
        + ", rateLimitWaitMillis="
        + rateLimitWaitMillis
        + "}";
  }

  /** A deterministic coder: the counters in field order, retries by status in status order. */
  public static final class Coder extends ValueCoder<GroupSendStats> {
    private static final Coder INSTANCE = new Coder();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    private Coder() {}

    public static Coder of() {
      return INSTANCE;
    }

    /** What makes {@code @DefaultCoder(GroupSendStats.Coder.class)} take effect. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(GroupSendStats.class), INSTANCE);
    }

    @Override
    public void encode(GroupSendStats s, OutputStream out) throws IOException {
      for (long v :
          new long[] {
            s.eventsSent,
            s.batches,
            s.requests,
            s.wireBytes,
            s.jsonBytes,
            s.deadLettered,
            s.skippedAlreadySent,
            s.duplicatesDropped,
            s.rateLimitWaitMillis
          }) {
        LONG.encode(v, out);
      }
      INT.encode(s.retriesByStatus.size(), out);
      for (Map.Entry<Integer, Long> e : s.retriesByStatus.entrySet()) {
        INT.encode(e.getKey(), out);
        LONG.encode(e.getValue(), out);
      }
    }

    @Override
    public GroupSendStats decode(InputStream in) throws IOException {
      long[] v = new long[9];
      for (int i = 0; i < v.length; i++) {
        v[i] = LONG.decode(in);
      }
      int n = INT.decode(in);
      Map<Integer, Long> retries = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        retries.put(INT.decode(in), LONG.decode(in));
      }
      return new GroupSendStats(v[0], v[1], v[2], v[3], v[4], retries, v[5], v[6], v[7], v[8]);
    }
  }
}
