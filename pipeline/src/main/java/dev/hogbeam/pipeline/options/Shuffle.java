package dev.hogbeam.pipeline.options;

/** How events of {@code --orderBy=day} get from the source's read to the writer. */
public enum Shuffle {
  /**
   * Each shard is read, sorted and sent by one task, with no runner shuffle of the events: reading
   * one shard overlaps sending another.
   */
  fused,
  /**
   * Events are read and mapped by one stage, grouped by shard in the runner's shuffle, then sorted
   * and sent (nothing is sent until every shard was read).
   */
  groupByKey
}
