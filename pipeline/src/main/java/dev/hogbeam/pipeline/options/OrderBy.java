package dev.hogbeam.pipeline.options;

/** How events are grouped for sending; each group goes out in time order. */
public enum OrderBy {
  /** One group per source shard (a UTC day, or a part of a heavy day). */
  day,
  /** One group per bucket of persons (hash of the person's id) over the whole range. */
  person
}
