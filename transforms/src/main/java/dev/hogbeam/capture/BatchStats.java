package dev.hogbeam.capture;

import java.io.Serializable;
import java.util.Objects;

/**
 * What it took to settle one batch, as given to {@link SendProgress#acknowledged}. A batch is
 * settled when each of its events was acknowledged by PostHog or dead-lettered.
 */
public final class BatchStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int events;
  private final int deadLettered;
  private final int requests;
  private final long retries;
  private final long wireBytes;

  public BatchStats(int events, int deadLettered, int requests, long retries, long wireBytes) {
    this.events = events;
    this.deadLettered = deadLettered;
    this.requests = requests;
    this.retries = retries;
    this.wireBytes = wireBytes;
  }

  /** Events in the batch (acknowledged plus dead-lettered). */
  public int events() {
    return events;
  }

  /** Events of the batch PostHog refused (400/413), now in the dead-letter output. */
  public int deadLettered() {
    return deadLettered;
  }

  /** Requests made for the batch: attempts, splits and bisection steps. */
  public int requests() {
    return requests;
  }

  /** Attempts that were retried. */
  public long retries() {
    return retries;
  }

  /** Request body bytes put on the wire for the batch. */
  public long wireBytes() {
    return wireBytes;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BatchStats)) {
      return false;
    }
    BatchStats b = (BatchStats) o;
    return events == b.events
        && deadLettered == b.deadLettered
        && requests == b.requests
        && retries == b.retries
        && wireBytes == b.wireBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(events, deadLettered, requests, retries, wireBytes);
  }

  @Override
  public String toString() {
    return "BatchStats{events="
        + events
        + ", deadLettered="
        + deadLettered
        + ", requests="
        + requests
        + ", retries="
        + retries
        + ", wireBytes="
        + wireBytes
        + "}";
  }
}
