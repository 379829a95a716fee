package dev.hogbeam.pipeline.verify;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;

/**
 * The source side of {@code hogbeam verify}: what a migration would send, counted per (UTC day,
 * event name) after the source's mapping, without copies (distinct uuids) and without what the
 * mapping turns into dead letters; and, for a cell that differs, its uuids in order, page by page.
 * One implementation per source; the comparison ({@link Verifier}) is shared.
 */
public interface VerifySource extends AutoCloseable {

  /** Counts of one cell: events the migration sends, and rows the mapping dead-letters. */
  record Count(long events, long deadLetters) {}

  /** The migrated range: [start, end). */
  Instant start();

  Instant end();

  /** One line naming the source, for the printed header. */
  String describe();

  /** The counts of every cell with events or dead letters in the range. */
  SortedMap<DayEvent, Count> counts() throws Exception;

  /** Up to {@code limit} uuids of {@code cell} greater than {@code after} ("" = from the start). */
  List<String> uuidsAfter(DayEvent cell, String after, int limit) throws Exception;

  /**
   * Event names left out of the comparison on both sides (e.g. alias events whose sending depends
   * on other migrations); none by default.
   */
  default Set<String> notCompared() {
    return Set.of();
  }

  /** How many queries the source side has run. */
  int queries();

  @Override
  default void close() throws Exception {}
}
