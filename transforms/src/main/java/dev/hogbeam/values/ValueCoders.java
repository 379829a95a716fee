package dev.hogbeam.values;

import dev.hogbeam.clickhouse.Shard;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import java.util.List;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviderRegistrar;

/**
 * Registers the coders of hogbeam's AutoValue element types with every {@code CoderRegistry}
 * (through {@code META-INF/services}), for their generated subclasses too: Beam then infers the
 * deterministic coder from an element (e.g. {@code Create.of(deadLetters)}), never Java
 * serialization.
 */
public final class ValueCoders implements CoderProviderRegistrar {
  @Override
  public List<CoderProvider> getCoderProviders() {
    return List.of(
        SubtypeCoderProvider.of(DeadLetter.class, DeadLetterCoder.of()),
        SubtypeCoderProvider.of(Shard.class, Shard.Coder.of()));
  }
}
