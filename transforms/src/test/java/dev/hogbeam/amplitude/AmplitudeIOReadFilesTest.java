package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class AmplitudeIOReadFilesTest {
  @TempDir Path dir;

  @Test
  void readsZipsGzipsAndPlainFilesWithTheirOrigins(TestPipeline p) {
    Path zip9 =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"n\":1}", "{\"n\":2}"))
            .file("20240501T09", 1, List.of("", "{\"n\":3}"))
            .writeTo(dir.resolve("123_2024-05-01_9.zip"));
    Path zip10 =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T10", 0, List.of("{\"n\":4}"))
            .writeTo(dir.resolve("123_2024-05-01_10.zip"));
    Path gz =
        AmplitudeExportZipBuilder.write(
            dir.resolve("single.json.gz"), AmplitudeExportZipBuilder.gzip(List.of("{\"n\":5}")));
    Path plain =
        AmplitudeExportZipBuilder.write(
            dir.resolve("plain.json"), "{\"n\":6}\n{\"n\":7}\n".getBytes(StandardCharsets.UTF_8));

    JsonLineFiles.LineRead read = p.apply(AmplitudeIO.readFiles().from(dir + "/*"));

    PAssert.that(read.getLines())
        .containsInAnyOrder(
            SourceLine.of("file " + zip9, "123/123_2024-05-01_9#0.json.gz", 1, "{\"n\":1}"),
            SourceLine.of("file " + zip9, "123/123_2024-05-01_9#0.json.gz", 2, "{\"n\":2}"),
            SourceLine.of("file " + zip9, "123/123_2024-05-01_9#1.json.gz", 2, "{\"n\":3}"),
            SourceLine.of("file " + zip10, "123/123_2024-05-01_10#0.json.gz", 1, "{\"n\":4}"),
            SourceLine.of("file " + gz, "", 1, "{\"n\":5}"),
            SourceLine.of("file " + plain, "", 1, "{\"n\":6}"),
            SourceLine.of("file " + plain, "", 2, "{\"n\":7}"));
    PAssert.that(read.getDeadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void damagedFileGivesItsGoodLinesAndOneDeadLetterSayingWhere(TestPipeline p) {
    byte[] good = AmplitudeExportZipBuilder.gzip(List.of("{\"n\":1}", "{\"n\":2}"));
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"n\":0}"))
            .entry("123/123_2024-05-01_9#1.json.gz", Arrays.copyOf(good, good.length - 12))
            .build();
    String file = AmplitudeExportZipBuilder.write(dir.resolve("damaged.zip"), zip).toString();

    JsonLineFiles.LineRead read = p.apply(AmplitudeIO.readFiles().from(file));

    PAssert.that(read.getLines())
        .satisfies(
            lines -> {
              List<String> texts = new java.util.ArrayList<>();
              lines.forEach(l -> texts.add(l.text()));
              assertTrue(texts.contains("{\"n\":0}"), texts.toString());
              return null;
            });
    PAssert.that(read.getDeadLetters())
        .satisfies(
            letters -> {
              DeadLetter d = letters.iterator().next();
              assertTrue(
                  d.source()
                      .startsWith("file " + file + ", entry 123/123_2024-05-01_9#1.json.gz, line "),
                  d.source());
              assertTrue(d.reason().startsWith("the file is truncated"), d.reason());
              assertTrue(
                  d.reason()
                      .endsWith("; the lines before it were read, nothing after it could be"));
              assertTrue("read".equals(d.stage()));
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void patternMatchingNothingFailsTheRun(TestPipeline p) {
    p.apply(AmplitudeIO.readFiles().from(dir.resolve("nothing-here-*.zip").toString()));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(e.getMessage().contains("nothing-here-*.zip"), e.getMessage());
  }

  @Test
  void readFilesNeedsAPattern(TestPipeline p) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.apply(AmplitudeIO.readFiles()));
    assertTrue(e.getMessage().contains("--inputFiles"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AmplitudeIO.readFiles().from(" "));
    p.enableAbandonedNodeEnforcement(false);
  }
}
