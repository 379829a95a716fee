package dev.hogbeam.event;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class DeadLetterIOTest {
  @Test
  void writesEveryDeadLetterAsOneJsonLine(TestPipeline pipeline, @TempDir Path dir)
      throws Exception {
    List<DeadLetter> letters =
        List.of(
            DeadLetter.of(
                "capture",
                "2024-05-01",
                "0190a7b8-0000-7000-8000-000000000001",
                "{\"event\":\"x\",\"text\":\"line\\nbreak\"}",
                400,
                "PostHog refused the event",
                3),
            DeadLetter.of("read", "file.zip:17", null, "not json\nat all", 0, "unreadable line", 0),
            DeadLetter.of(
                "map",
                "team=1/2024-05-01",
                "0190a7b8-0000-7000-8000-000000000002",
                "{}",
                0,
                "empty distinct_id",
                0));
    pipeline
        .apply(Create.of(letters))
        .apply(DeadLetterIO.write().to(dir.resolve("out").toString()));
    pipeline.run().waitUntilFinish();

    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir.resolve("out"))) {
      list.forEach(files::add);
    }
    Set<DeadLetter> read = new HashSet<>();
    int lines = 0;
    for (Path f : files) {
      assertTrue(
          f.getFileName().toString().matches("dead-letters-[0-9a-f-]{36}\\.jsonl"), f.toString());
      for (String line : Files.readAllLines(f, UTF_8)) {
        read.add(DeadLetter.fromJsonLine(line));
        lines++;
      }
    }
    assertTrue(!files.isEmpty() && files.size() <= 3, "a file per bundle: " + files);
    assertEquals(3, lines, "one line per dead letter, newlines in payloads escaped");
    assertEquals(Set.copyOf(letters), read);
  }

  @Test
  void runsWithTheirOwnPrefixesNeverOverwriteEachOther(TestPipeline pipeline, @TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out");
    DeadLetter one = DeadLetter.of("map", "s", null, "{}", 0, "bad", 0);
    pipeline
        .apply("Nothing", Create.empty(DeadLetterCoder.of()))
        .apply("Write none", DeadLetterIO.write().to(out.toString()).withFilePrefix("run-a"));
    pipeline
        .apply("One", Create.of(List.of(one)))
        .apply("Write one", DeadLetterIO.write().to(out.toString()).withFilePrefix("run-b"));
    pipeline
        .apply("Another", Create.of(List.of(one)))
        .apply("Write another", DeadLetterIO.write().to(out.toString()).withFilePrefix("run-c"));
    pipeline.run().waitUntilFinish();

    Map<String, Integer> linesPerRun = new TreeMap<>();
    try (Stream<Path> list = Files.list(out)) {
      for (Path f : (Iterable<Path>) list::iterator) {
        String run = f.getFileName().toString().substring(0, "run-a".length());
        linesPerRun.merge(run, Files.readAllLines(f, UTF_8).size(), Integer::sum);
      }
    }
    assertEquals(Map.of("run-b", 1, "run-c", 1), linesPerRun);
  }

  @Test
  void readListsEachRecordOnceAndForgetRemovesOnlyTheGivenOnes(@TempDir Path dir) {
    String out = dir.resolve("dl").toString();
    DeadLetter a = DeadLetter.of("map", "s1", "u1", "{}", 0, "empty event", 0);
    DeadLetter b = DeadLetter.of("capture", "g1", "u2", "{\"event\":\"x\"}", 400, "refused", 1);
    DeadLetter c = DeadLetter.of("read", "f:3", null, "garbage", 0, "not JSON", 0);
    // A retried bundle writes a and b again under another file name.
    DeadLetterIO.writeNow(out, "dead-letters-r1", List.of(a, b));
    DeadLetterIO.writeNow(out, "dead-letters-r1", List.of(a, b, c));
    DeadLetterIO.writeNow(out, "other", List.of(c));
    assertEquals(2, DeadLetterIO.files(out, "dead-letters-").size());
    assertEquals(Set.of(a, b, c), Set.copyOf(DeadLetterIO.read(out, "dead-letters-")));
    assertEquals(3, DeadLetterIO.read(out, "dead-letters-").size());

    assertEquals(2, DeadLetterIO.forget(out, "dead-letters-", Set.of(b.id())));
    assertEquals(List.of(a, c), DeadLetterIO.read(out, "dead-letters-"));
    assertEquals(3, DeadLetterIO.forget(out, "dead-letters-", Set.of(a.id(), c.id())));
    assertEquals(List.of(), DeadLetterIO.files(out, "dead-letters-"), "emptied files are deleted");
    assertEquals(List.of(c), DeadLetterIO.read(out, "other"), "other prefixes untouched");
  }
}
