package dev.hogbeam.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineFileReaderTest {
  private final List<String> seen = new ArrayList<>();

  private LineFileReader.Corruption read(byte[] bytes) throws IOException {
    return read(bytes, JsonLineFiles.DEFAULT_MAX_LINE_BYTES);
  }

  private LineFileReader.Corruption read(byte[] bytes, long maxLineBytes) throws IOException {
    return LineFileReader.read(
        new ByteArrayInputStream(bytes),
        maxLineBytes,
        new LineFileReader.LineSink() {
          @Override
          public void line(String entry, long line, String text) {
            seen.add(entry + "|" + line + "|" + text);
          }

          @Override
          public void oversize(String entry, long line, String head, long bytes) {
            seen.add(entry + "|" + line + "|oversize " + bytes + ": " + head);
          }
        });
  }

  @Test
  void aLineOverTheCapIsReportedWithItsHeadAndReadingGoesOnAtTheNextLine() throws IOException {
    String big = "{\"x\":\"" + "y".repeat(300_000) + "\"}";
    String text = "{\"a\":1}\n" + big + "\n{\"a\":2}\n" + "z".repeat(150) + "\n{\"a\":3}\n" + big;
    assertNull(read(text.getBytes(StandardCharsets.UTF_8), 100));
    assertEquals(
        List.of(
            "|1|{\"a\":1}",
            "|2|oversize " + big.length() + ": " + big.substring(0, LineFileReader.HEAD_BYTES),
            "|3|{\"a\":2}",
            "|4|oversize 150: " + "z".repeat(150),
            "|5|{\"a\":3}",
            "|6|oversize " + big.length() + ": " + big.substring(0, LineFileReader.HEAD_BYTES)),
        seen);
  }

  @Test
  void zipOfGzippedJsonLinesIsReadEntryByEntryWithLineNumbers() throws IOException {
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"a\":1}", "", "{\"a\":2}"))
            .file("20240501T09", 1, List.of("  ", "{\"a\":3}"))
            .entry("123/", new byte[0])
            .entry("__MACOSX/123/._123_2024-05-01_9#0.json.gz", new byte[] {0, 5, 22, 7})
            .build();
    assertNull(read(zip));
    assertEquals(
        List.of(
            "123/123_2024-05-01_9#0.json.gz|1|{\"a\":1}",
            "123/123_2024-05-01_9#0.json.gz|3|{\"a\":2}",
            "123/123_2024-05-01_9#1.json.gz|2|{\"a\":3}"),
        seen);
  }

  @Test
  void gzippedAndPlainFilesHaveNoEntryName() throws IOException {
    assertNull(read(AmplitudeExportZipBuilder.gzip(List.of("{\"g\":1}", "{\"g\":2}"))));
    assertNull(read("{\"p\":1}\r\n\r\n{\"p\":2}".getBytes(StandardCharsets.UTF_8)));
    assertEquals(List.of("|1|{\"g\":1}", "|2|{\"g\":2}", "|1|{\"p\":1}", "|3|{\"p\":2}"), seen);
  }

  @Test
  void unicodeIsDecodedAsUtf8() throws IOException {
    assertNull(read(AmplitudeExportZipBuilder.gzip(List.of("{\"name\":\"José 東京 🚀\"}"))));
    assertEquals(List.of("|1|{\"name\":\"José 東京 🚀\"}"), seen);
  }

  @Test
  void damagedGzipEntryGivesTheLinesBeforeItAndWhereItBroke() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 2000; i++) {
      lines.add(
          "{\"n\":" + i + ",\"pad\":\"" + AmplitudeExportZipBuilder.hugeValue(40 + i % 7) + "\"}");
    }
    byte[] gz = AmplitudeExportZipBuilder.gzip(lines);
    byte[] truncated = Arrays.copyOf(gz, gz.length / 2);
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"ok\":1}"))
            .entry("123/123_2024-05-01_9#1.json.gz", truncated)
            .file("20240501T09", 2, List.of("{\"never\":1}"))
            .build();
    LineFileReader.Corruption c = read(zip);
    assertEquals("123/123_2024-05-01_9#1.json.gz", c.entry);
    assertEquals(seen.size(), c.lineNumber, "the first line that could not be read");
    assertTrue(c.reason.startsWith("truncated"), c.reason);
    assertEquals("123/123_2024-05-01_9#0.json.gz|1|{\"ok\":1}", seen.get(0));
    assertTrue(seen.size() > 100 && seen.size() < 2000, "lines before the damage: " + seen.size());
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(
          seen.get(i).startsWith("123/123_2024-05-01_9#1.json.gz|" + i + "|{\"n\":" + i + ","));
    }
  }

  @Test
  void truncatedZipIsReportedNotThrown() throws IOException {
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"ok\":1}"))
            .file("20240501T09", 1, List.of("{\"ok\":2}"))
            .build();
    int second = indexOf(zip, "123/123_2024-05-01_9#1".getBytes(StandardCharsets.UTF_8));
    LineFileReader.Corruption c = read(Arrays.copyOf(zip, second + 40));
    assertEquals("123/123_2024-05-01_9#1.json.gz", c.entry);
    assertEquals(List.of("123/123_2024-05-01_9#0.json.gz|1|{\"ok\":1}"), seen);
  }

  @Test
  void zipWithoutItsCentralDirectoryStillReadsEveryEntry() throws IOException {
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .file("20240501T09", 0, List.of("{\"ok\":1}"))
            .file("20240501T09", 1, List.of("{\"ok\":2}"))
            .build();
    assertNull(read(Arrays.copyOf(zip, zip.length - 30)));
    assertEquals(2, seen.size());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @Test
  void notGzipInsideAZipIsReadAsPlainLines() throws IOException {
    byte[] zip =
        new AmplitudeExportZipBuilder("123")
            .entry("123/notes.json", "{\"plain\":true}\n".getBytes(StandardCharsets.UTF_8))
            .build();
    assertNull(read(zip));
    assertEquals(List.of("123/notes.json|1|{\"plain\":true}"), seen);
  }
}
