package dev.hogbeam.capture;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.values.TupleOutput;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/** What {@link CaptureIO.Write} produces: one stats record per group, and the dead letters. */
public final class WriteResult extends TupleOutput {
  private final TupleTag<KV<String, GroupSendStats>> statsTag;
  private final TupleTag<DeadLetter> deadLetterTag;

  WriteResult(
      PCollectionTuple outputs,
      TupleTag<KV<String, GroupSendStats>> statsTag,
      TupleTag<DeadLetter> deadLetterTag) {
    super(outputs);
    this.statsTag = statsTag;
    this.deadLetterTag = deadLetterTag;
  }

  /** One element per group that finished: its key and what was done with its events. */
  public PCollection<KV<String, GroupSendStats>> getStats() {
    return get(statsTag);
  }

  /** Events that were not delivered, with the status and reason (stage {@code capture}). */
  public PCollection<DeadLetter> getDeadLetters() {
    return get(deadLetterTag);
  }
}
