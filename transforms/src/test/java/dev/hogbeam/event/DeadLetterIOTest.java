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
        .apply(DeadLetterIO.write().to(dir.resolve("out").toString()).withNumShards(2));
    pipeline.run().waitUntilFinish();

    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir.resolve("out"))) {
      list.forEach(files::add);
    }
    Set<DeadLetter> read = new HashSet<>();
    int lines = 0;
    for (Path f : files) {
      assertTrue(
          f.getFileName()
              .toString()
              .matches("dead-letters-\\d{8}T\\d{6}\\.\\d{3}Z-0000[01]-of-00002\\.jsonl"),
          f.toString());
      for (String line : Files.readAllLines(f, UTF_8)) {
        read.add(DeadLetter.fromJsonLine(line));
        lines++;
      }
    }
    assertEquals(2, files.size());
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
    // An empty input may leave an empty file (the DirectRunner's finalization does); never a line.
    linesPerRun.remove("run-a", 0);
    assertEquals(Map.of("run-b", 1, "run-c", 1), linesPerRun);
  }
}
