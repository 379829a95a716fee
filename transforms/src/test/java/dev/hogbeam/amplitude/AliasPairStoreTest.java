package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.AliasPairs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class AliasPairStoreTest {
  @TempDir Path dir;

  private static final String P1 = AliasPairs.pairKey("d1", "u1");
  private static final String P2 = AliasPairs.pairKey("d2", "u\n2");
  private static final String P3 = AliasPairs.pairKey("d3", "u3");

  private List<String> files(Path store) throws IOException {
    try (Stream<Path> s = Files.list(store)) {
      return s.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void absentStoreReadsAsEmpty(TestPipeline p) {
    PAssert.that(p.apply(AliasPairStore.read(dir.resolve("never-written").toString()))).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void eachWriteAddsOneFileAndReadingGivesEveryPair(TestPipeline p) throws IOException {
    Path store = dir.resolve("pairs");
    ResourceId a = AliasPairStore.writeFile(store.toString(), List.of(P1, P2));
    ResourceId b = AliasPairStore.writeFile(store.toString(), List.of(P3, P1));
    assertNull(AliasPairStore.writeFile(store.toString(), List.of()), "nothing to write: no file");
    List<String> names = files(store);
    assertEquals(2, names.size());
    for (String n : names) {
      assertTrue(n.startsWith("pairs-") && n.endsWith(".txt"), n);
    }
    assertEquals(
        P1 + "\n" + P2 + "\n", Files.readString(Path.of(a.toString()), StandardCharsets.UTF_8));
    assertEquals(
        P3 + "\n" + P1 + "\n", Files.readString(Path.of(b.toString()), StandardCharsets.UTF_8));

    // A write killed before its rename leaves only a temporary file, which is not read.
    Files.writeString(store.resolve(".tmp-pairs-0-x.txt"), AliasPairs.pairKey("d9", "u9") + "\n");

    PAssert.that(p.apply(AliasPairStore.read(store.toString()))).containsInAnyOrder(P1, P2, P3, P1);
    p.run().waitUntilFinish();
  }

  @Test
  void writeTransformAddsFilesThatReadBack(TestPipeline p) throws IOException {
    Path store = dir.resolve("pairs");
    PAssert.that(p.apply(Create.of(P1, P2, P3)).apply(AliasPairStore.write(store.toString())))
        .satisfies(
            written -> {
              assertTrue(written.iterator().hasNext());
              return null;
            });
    p.run().waitUntilFinish();
    List<String> lines =
        files(store).stream()
            .flatMap(
                f -> {
                  try {
                    return Files.readAllLines(store.resolve(f)).stream();
                  } catch (IOException e) {
                    throw new RuntimeException(e);
                  }
                })
            .sorted()
            .collect(Collectors.toList());
    assertEquals(Stream.of(P1, P2, P3).sorted().collect(Collectors.toList()), lines);
    for (String n : files(store)) {
      assertTrue(n.startsWith("pairs-"), "no temporary file left: " + n);
    }
  }
}
