package dev.hogbeam.values;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The output of a transform with several named outputs (e.g. events and dead letters), backed by a
 * {@link PCollectionTuple}, usually the one a multi-output {@code ParDo} returned. Subclasses add
 * the typed, documented getters; this class is the {@link POutput} plumbing they share.
 */
public abstract class TupleOutput implements POutput {
  private final PCollectionTuple outputs;

  protected TupleOutput(PCollectionTuple outputs) {
    this.outputs = checkNotNull(outputs, "outputs");
  }

  /** The output under {@code tag}; it must be one of the tuple's. */
  protected final <T> PCollection<T> get(TupleTag<T> tag) {
    return outputs.get(tag);
  }

  @Override
  public final Pipeline getPipeline() {
    return outputs.getPipeline();
  }

  @Override
  public final Map<TupleTag<?>, PValue> expand() {
    return outputs.expand();
  }

  @Override
  public final void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
