package dev.hogbeam.jdbc;

/** How a source column holds an event's time. */
public enum TimestampKind {
  /** A timestamp with a zone or offset (PostgreSQL {@code timestamptz}): the instant it holds. */
  ZONED,
  /** A timestamp without a zone (SQL {@code timestamp}, MySQL {@code DATETIME}): read as UTC. */
  LOCAL,
  /** A number of seconds since the epoch (fractions allowed). */
  EPOCH_SECONDS,
  /** A number of milliseconds since the epoch. */
  EPOCH_MILLIS;

  /** Whether the column is a number rather than a timestamp type. */
  public boolean isEpoch() {
    return this == EPOCH_SECONDS || this == EPOCH_MILLIS;
  }
}
