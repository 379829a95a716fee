package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.values.TupleOutput;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * What a source's read yields: its records, and dead letters for what could not be read.
 *
 * @param <R> the record type
 */
public final class SourceRead<R> extends TupleOutput {
  private final TupleTag<R> recordsTag;
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");

  private SourceRead(PCollectionTuple outputs, TupleTag<R> recordsTag) {
    super(outputs);
    this.recordsTag = recordsTag;
  }

  public static <R> SourceRead<R> of(PCollection<R> records, PCollection<DeadLetter> deadLetters) {
    TupleTag<R> tag = new TupleTag<>("records");
    return new SourceRead<>(PCollectionTuple.of(tag, records).and(DEAD_LETTERS, deadLetters), tag);
  }

  /** Every record read. */
  public PCollection<R> getRecords() {
    return get(recordsTag);
  }

  /** What could not be read (stage {@code read}). */
  public PCollection<DeadLetter> getDeadLetters() {
    return get(DEAD_LETTERS);
  }
}
