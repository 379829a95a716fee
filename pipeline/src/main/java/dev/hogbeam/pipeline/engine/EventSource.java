package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.order.KeyedEvents;
import dev.hogbeam.pipeline.report.RunReport;
import java.io.Serializable;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A source of events: plan + read + map. Everything after the map (skipping what earlier runs
 * finished, ordering, sending with checkpoints, dead letters, the account) is one shared tail,
 * {@link SendInOrder}, which {@link Migration} wires after the source.
 *
 * <p>A source is built by its command's factory from the options, after every flag was checked; its
 * plan is made then (and saved in the checkpoint directory, so a re-run means the same thing).
 *
 * @param <R> what the read yields and the map takes: a source row, an export line
 */
public interface EventSource<R> {

  /** The plan, made when the source was built. */
  SourcePlan plan();

  /**
   * Reads the plan's shards: the records, and dead letters (stage {@code read}) for what could not
   * be read. Records each shard in {@link SourceContext#ledger()}.
   */
  PTransform<PBegin, SourceRead<R>> read(SourceContext context);

  /**
   * Maps records to capture events keyed by their ordering group (see {@link
   * SourceContext#orderingKey()}), with dead letters (stage {@code map}) for records that do not
   * make a valid event, and optionally the source's own counts.
   */
  PTransform<PCollection<R>, SourceEvents> map(SourceContext context);

  /**
   * The source's shards as send groups of day order that one worker reads, maps, sorts and sends on
   * its own (the fused path, {@code --shuffle=fused}), or null when the source has no such shards
   * (its day order then goes through the runner's shuffle). Asked only with {@code --orderBy=day}.
   * Its reads and maps must be the ones {@link #read} and {@link #map} add.
   */
  default @Nullable ShardFeed<?> shardFeed(SourceContext context) {
    return null;
  }

  /**
   * Work once the pipeline has finished successfully, before the account is read (e.g. recording
   * what the run delivered outside the checkpoints). An exception fails the run.
   */
  default void afterRun() throws Exception {}

  /**
   * How a dead letter of this source's read or map stage becomes an event again, from its payload
   * ({@code --retryDeadLetters}, after the cause was fixed); null when this source cannot do that,
   * and such dead letters then stay on record. Dead letters of the capture stage hold the event as
   * sent and need no source.
   */
  default @Nullable Remapper remapper() {
    return null;
  }

  /** Re-maps one read or map dead letter of a source. */
  interface Remapper extends Serializable {
    /**
     * The event the record makes now; or null with {@code stillRefused} set to why not (a dead
     * letter, written again); or both null when the record now makes no event (e.g. an event the
     * mapping drops on purpose), which settles it.
     */
    Remapped apply(DeadLetter letter);
  }

  /** What re-mapping a dead letter gave. */
  record Remapped(@Nullable CaptureEvent event, @Nullable DeadLetter stillRefused) {
    /** What a record-by-record map stage ({@link KeyedEvents#map}) makes of the record now. */
    public static Remapped of(KeyedEvents.Outcome outcome) {
      return new Remapped(outcome.event(), outcome.deadLetter());
    }
  }

  /**
   * The source's records one by one for a trial run ({@code --sample}, {@link TrialRun}), or null
   * when this source offers none (the command then refuses {@code --sample}).
   */
  default @Nullable Sampler sampler() {
    return null;
  }

  /**
   * Reads the plan's records in plan order (its first shard first, each shard in the order its read
   * yields them) and maps each, calling the same read and map code as {@link #read} and {@link
   * #map} (not a copy of it), without recording anything: no ledger, no checkpoint, no cache.
   */
  interface Sampler {
    /**
     * Gives every record to {@code visit} until the plan ends or {@code visit} throws (it throws
     * {@link TrialRun.Enough} once it has its records; let that pass).
     */
    void sample(Consumer<Sampled> visit) throws Exception;
  }

  /**
   * One record of a trial run: where it comes from, the record as JSON (as the source's dead
   * letters hold it), and the event the source's map made of it, or the reason it refused it (a map
   * dead letter's), or neither when the map drops it on purpose ({@code dropped} says why).
   */
  record Sampled(
      String origin,
      String record,
      @Nullable CaptureEvent event,
      @Nullable String refused,
      @Nullable String dropped) {

    /** What a map's outcome of one record was: an event, or a dead letter. */
    public static Sampled of(
        String origin, String record, @Nullable CaptureEvent event, @Nullable DeadLetter refused) {
      return new Sampled(origin, record, event, refused == null ? null : refused.reason(), null);
    }
  }

  /** Lines the source adds to the printed summary (each ending in a newline), or "". */
  default String summary(RunReport account) {
    return "";
  }
}
