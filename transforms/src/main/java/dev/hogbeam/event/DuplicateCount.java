package dev.hogbeam.event;

/**
 * Something that dropped repeated events on the way (an iterator over a de-duplicated group), and
 * says how many. Lets a consumer report the count without knowing who dropped them.
 */
public interface DuplicateCount {
  /**
   * Events dropped because they repeated the (timestamp, uuid) of another event. The implementor
   * says when the count is final (an iterator: once it is exhausted).
   */
  long duplicatesDropped();
}
