package dev.hogbeam.values;

import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * The base of hogbeam's element coders: each writes its value's fields in a fixed order with Beam's
 * deterministic primitive coders, so equal values always encode to equal bytes (as the shuffle's
 * grouping and the checkpoints need) and decode back to equal values.
 */
public abstract class ValueCoder<T> extends AtomicCoder<T> {
  @Override
  public final void verifyDeterministic() {}

  @Override
  public final boolean consistentWithEquals() {
    return true;
  }
}
