package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.jupiter.api.Test;

/** Shards cross a shuffle on their way to the readers: a deterministic coder of their own. */
class ShardCoderTest {

  @Test
  void roundTripsDeterministicallyAndIsInferred() throws Exception {
    Shard whole = Shard.of("team2-2024-05-01", 2, "2024-05-01", 10, 20, 1, 1, null, null, 1000);
    Shard part =
        Shard.of("team2-2024-05-01-p2of4", 2, "2024-05-01", 10, 20, 2, 4, "100", "200", 250);
    Shard.Coder.of().verifyDeterministic();
    for (Shard s : new Shard[] {whole, part}) {
      CoderProperties.coderDecodeEncodeEqual(Shard.Coder.of(), s);
      CoderProperties.coderDeterministic(Shard.Coder.of(), s, s);
      assertEquals(Shard.Coder.of(), CoderRegistry.createDefault().getCoder(s.getClass()));
    }
  }
}
