package dev.hogbeam.pipeline.verify;

import java.util.List;

/**
 * The verdict on one (day, event): the source count (events the migration sends), the destination
 * count (distinct uuids in PostHog), and what differs.
 *
 * @param deadLetters source rows of the cell the migration dead-letters (not counted in {@code
 *     source}); plus events of the cell dead-lettered when sent, which are not counted as missing
 * @param missing events in the source and not in PostHog, once ingestion had time to finish
 * @param stillArriving events not in PostHog yet, sent too recently (or PostHog's count was still
 *     growing) to call them missing
 * @param unexpected events in PostHog in the range that the migration does not send (never deleted)
 * @param missingUuids the first {@value Verifier#UUIDS_KEPT} missing uuids (all are in {@code
 *     verify/missing.tsv})
 * @param unexpectedUuids the first {@value Verifier#UUIDS_KEPT} unexpected uuids
 */
public record CellResult(
    DayEvent cell,
    long source,
    long destination,
    long deadLetters,
    long missing,
    long stillArriving,
    long unexpected,
    List<String> missingUuids,
    List<String> unexpectedUuids) {

  /** The state of a cell, in the order of severity. */
  public enum Status {
    OK("ok"),
    UNEXPECTED("unexpected"),
    STILL_ARRIVING("still arriving"),
    MISSING("missing");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  public Status status() {
    if (missing > 0) {
      return Status.MISSING;
    }
    if (stillArriving > 0) {
      return Status.STILL_ARRIVING;
    }
    if (unexpected > 0) {
      return Status.UNEXPECTED;
    }
    return Status.OK;
  }
}
