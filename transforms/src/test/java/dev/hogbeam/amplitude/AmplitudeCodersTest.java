package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.files.SourceLine;
import dev.hogbeam.identity.NewAliasPair;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.junit.jupiter.api.Test;

/**
 * Beam infers the Amplitude types' own coders (through {@code @DefaultCoder}), not Java
 * serialization: runners such as Flink refuse to flatten collections whose coders differ.
 */
class AmplitudeCodersTest {

  @Test
  void theRegistryInfersEachTypesOwnCoder() throws Exception {
    CoderRegistry registry = CoderRegistry.createDefault();
    assertEquals(SourceLine.Coder.of(), registry.getCoder(SourceLine.class));
    assertEquals(MappedAmplitudeEvent.Coder.of(), registry.getCoder(MappedAmplitudeEvent.class));
    assertEquals(NewAliasPair.Coder.of(), registry.getCoder(NewAliasPair.class));
  }
}
