package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import java.io.Serializable;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.KV;

/**
 * A source's day-order send groups as shards that one worker reads and maps on its own: what the
 * fused path ({@code --shuffle=fused}, {@link FusedSend}) needs. Each shard is one send group; its
 * events come in any order (the engine sorts them).
 *
 * @param <S> the shard descriptor (small; it crosses the runner once)
 */
public interface ShardFeed<S> extends Serializable {

  /**
   * The shards this run reads, each with a reader key. Shards of one key are read one after
   * another, so the number of keys bounds the queries the job puts on the source at once.
   */
  List<KV<Integer, S>> shards();

  /** The shard descriptor's coder. */
  Coder<S> shardCoder();

  /** The send group a shard makes (its key in the ledger and the account). */
  String group(S shard);

  /** A reader for one worker thread, opened in the DoFn's setup. */
  Reader<S> open();

  /** Reads and maps shards, one at a time. */
  interface Reader<S> extends AutoCloseable {
    /**
     * Reads {@code shard} whole and maps it, as the source's read and map stages do (recording the
     * shard's read in the ledger as they do): each event to {@code events}, each record that could
     * not be read or mapped to {@code deadLetters} (stage {@code read} or {@code map}).
     */
    void read(S shard, Consumer<CaptureEvent> events, Consumer<DeadLetter> deadLetters)
        throws Exception;

    @Override
    void close();
  }
}
