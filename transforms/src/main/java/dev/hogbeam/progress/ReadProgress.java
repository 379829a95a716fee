package dev.hogbeam.progress;

import java.io.Serializable;
import java.util.Map;

/**
 * The readers' hook into the pipeline's ledger: how far the read of each source shard got, and what
 * it cost. The pipeline's checkpoint ledger implements it; the progress line and the final account
 * read what it recorded.
 *
 * <p>A reader calls {@link #shardRead} for a shard as it goes (e.g. after each page, {@code done}
 * false) and once when the shard is read to its end ({@code done} true), each time with the shard's
 * counters so far (e.g. {@code rowsRead}, {@code sourceRowsScanned}). Different shards are reported
 * concurrently by different threads and processes; one shard by one thread at a time. An exception
 * fails the read of the shard.
 */
public interface ReadProgress extends Serializable {

  /** The read of {@code shardId} so far ({@code done} false) or in full ({@code done} true). */
  void shardRead(String shardId, Map<String, Long> counters, boolean done) throws Exception;

  /** Records nothing. */
  static ReadProgress none() {
    return NoProgress.INSTANCE;
  }

  /** The no-op implementation. */
  enum NoProgress implements ReadProgress {
    INSTANCE;

    @Override
    public void shardRead(String shardId, Map<String, Long> counters, boolean done) {}
  }
}
