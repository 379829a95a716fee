package dev.hogbeam.capture;

import dev.hogbeam.event.DeadLetter;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/** What {@link CaptureIO.Write} produces: one stats record per group, and the dead letters. */
public final class WriteResult implements POutput {
  private final Pipeline pipeline;
  private final TupleTag<KV<String, GroupSendStats>> statsTag;
  private final PCollection<KV<String, GroupSendStats>> stats;
  private final TupleTag<DeadLetter> deadLetterTag;
  private final PCollection<DeadLetter> deadLetters;

  WriteResult(
      Pipeline pipeline,
      TupleTag<KV<String, GroupSendStats>> statsTag,
      PCollection<KV<String, GroupSendStats>> stats,
      TupleTag<DeadLetter> deadLetterTag,
      PCollection<DeadLetter> deadLetters) {
    this.pipeline = pipeline;
    this.statsTag = statsTag;
    this.stats = stats;
    this.deadLetterTag = deadLetterTag;
    this.deadLetters = deadLetters;
  }

  /** One element per group that finished: its key and what was done with its events. */
  public PCollection<KV<String, GroupSendStats>> getStats() {
    return stats;
  }

  /** Events that were not delivered, with the status and reason (stage {@code capture}). */
  public PCollection<DeadLetter> getDeadLetters() {
    return deadLetters;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    return Map.of(statsTag, stats, deadLetterTag, deadLetters);
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
