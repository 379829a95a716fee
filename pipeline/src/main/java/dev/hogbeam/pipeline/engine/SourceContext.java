package dev.hogbeam.pipeline.engine;

import com.google.auto.value.AutoValue;
import com.google.common.collect.ImmutableSortedSet;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.options.OrderBy;

/** What the engine tells a source's read and map when it adds them to the pipeline. */
@AutoValue
public abstract class SourceContext {
  /** Day order or person order; see {@link #orderingKey()}. */
  public abstract OrderBy orderBy();

  /**
   * How to key events for person order ({@link OrderingKey#person}); for day order, {@link
   * OrderingKey#day()}: a source whose shards are days or parts of days may key by its shard id
   * instead, since each such shard is in time order on its own.
   */
  public abstract OrderingKey orderingKey();

  /** Send groups an earlier run finished: a source need not read what only feeds them. */
  public abstract ImmutableSortedSet<String> finishedGroups();

  /** Where readers record their shards. */
  public abstract Ledger ledger();

  public static SourceContext of(
      OrderBy orderBy,
      OrderingKey orderingKey,
      ImmutableSortedSet<String> finishedGroups,
      Ledger ledger) {
    return new AutoValue_SourceContext(orderBy, orderingKey, finishedGroups, ledger);
  }
}
