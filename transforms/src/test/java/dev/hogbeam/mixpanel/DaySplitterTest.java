package dev.hogbeam.mixpanel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.download.DownloadCache;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A staged day split into hour pieces: every line kept once, an oversize line copied unparsed. */
class DaySplitterTest {
  @TempDir Path tmp;

  private static String line(long time, String pad) {
    return "{\"event\":\"e\",\"properties\":{\"time\":"
        + time
        + ",\"distinct_id\":\"u\",\"p\":\""
        + pad
        + "\"}}";
  }

  private static String read(Path gz) throws Exception {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void linesGoToTheHourOfTheirTimeAndTheRestToHourZero() throws Exception {
    long midnight = 1714521600L; // 2024-05-01T00:00:00Z
    String h3 = line(midnight + 3 * 3600 + 5, "a");
    String h3ms = line((midnight + 3 * 3600 + 9) * 1000, "b");
    String h23 = line(midnight + 23 * 3600, "c");
    String big = line(midnight + 5 * 3600, "x".repeat(500));
    String noTime = "{\"event\":\"e\",\"properties\":{\"distinct_id\":\"u\"}}";
    Path staged = tmp.resolve("staged.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(staged))) {
      out.write(String.join("\n", h3, big, h23, noTime, h3ms).getBytes(StandardCharsets.UTF_8));
    }
    DownloadCache cache = DownloadCache.of(tmp.resolve("staging").toString(), ".jsonl.gz");
    Files.createDirectories(tmp.resolve("staging"));
    cache.storeData("2024-05-01", staged);

    List<String> pieces = DaySplitter.split(cache, "2024-05-01", MixpanelEventMapper.utc(), 200);

    assertEquals(List.of("2024-05-01T00", "2024-05-01T03", "2024-05-01T23"), pieces);
    Path dir = tmp.resolve("staging");
    assertEquals(big + "\n" + noTime + "\n", read(dir.resolve("2024-05-01T00.jsonl.gz")));
    assertEquals(h3 + "\n" + h3ms + "\n", read(dir.resolve("2024-05-01T03.jsonl.gz")));
    assertEquals(h23 + "\n", read(dir.resolve("2024-05-01T23.jsonl.gz")));
    assertTrue(cache.marked("2024-05-01.split"));
    assertEquals(pieces, DaySplitter.pieces(cache, "2024-05-01"));
  }
}
