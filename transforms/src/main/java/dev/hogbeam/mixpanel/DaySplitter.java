package dev.hogbeam.mixpanel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.download.DownloadCache;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Splits a staged day into hour pieces ({@code <day>T<HH>}, the UTC hour of each line's time), so a
 * day too big for one worker is read by up to 24. The Export API cannot be asked for less than a
 * day (see {@link MixpanelIO}), so the split happens after staging, from the staged bytes: a pure
 * function of them, so a split killed half-way and done again gives the same pieces. The pieces are
 * staged like days (temporary name, then rename) and a marker records the split as done.
 *
 * <p>Bounded: a line is held only up to {@code maxLineBytes}; a longer one is copied through to
 * piece 00 unparsed, where the read dead-letters it as it would have in the whole day. A line whose
 * time cannot be read goes to piece 00 too (the mapping dead-letters it).
 */
final class DaySplitter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DaySplitter() {}

  /** The name of hour {@code hour}'s piece of {@code day}. */
  static String piece(String day, int hour) {
    return String.format(Locale.ROOT, "%sT%02d", day, hour);
  }

  /** The pieces of a day split earlier (those that hold lines). */
  static List<String> pieces(DownloadCache cache, String day) throws IOException {
    List<String> out = new ArrayList<>();
    for (int h = 0; h < 24; h++) {
      if (cache.lookup(piece(day, h)) == DownloadCache.State.DATA) {
        out.add(piece(day, h));
      }
    }
    return out;
  }

  /** Splits the staged {@code day} and records it as split; returns its pieces. */
  static List<String> split(
      DownloadCache cache, String day, MixpanelEventMapper mapper, long maxLineBytes)
      throws IOException {
    ResourceId staged = cache.data(day);
    Path[] tmp = new Path[24];
    OutputStream[] out = new OutputStream[24];
    try {
      try (InputStream in =
          new BufferedInputStream(
              new GZIPInputStream(Channels.newInputStream(FileSystems.open(staged)), 1 << 16),
              1 << 16)) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        OutputStream passThrough = null;
        for (int b; (b = in.read()) >= 0; ) {
          if (passThrough != null) {
            passThrough.write(b);
            if (b == '\n') {
              passThrough = null;
            }
          } else if (b == '\n') {
            write(line, hour(line, mapper), tmp, out, day);
            line.reset();
          } else {
            line.write(b);
            if (line.size() > maxLineBytes) {
              passThrough = open(0, tmp, out, day);
              line.writeTo(passThrough);
              line.reset();
            }
          }
        }
        if (passThrough != null) {
          passThrough.write('\n');
        } else if (line.size() > 0) {
          write(line, hour(line, mapper), tmp, out, day);
        }
      }
      List<String> pieces = new ArrayList<>();
      for (int h = 0; h < 24; h++) {
        if (out[h] != null) {
          out[h].close();
          out[h] = null;
          cache.storeData(piece(day, h), tmp[h]);
          pieces.add(piece(day, h));
        }
      }
      cache.mark(day + ".split");
      return pieces;
    } finally {
      for (int h = 0; h < 24; h++) {
        if (out[h] != null) {
          out[h].close();
        }
        if (tmp[h] != null) {
          Files.deleteIfExists(tmp[h]);
        }
      }
    }
  }

  private static void write(
      ByteArrayOutputStream line, int hour, Path[] tmp, OutputStream[] out, String day)
      throws IOException {
    OutputStream o = open(hour, tmp, out, day);
    line.writeTo(o);
    o.write('\n');
  }

  private static OutputStream open(int hour, Path[] tmp, OutputStream[] out, String day)
      throws IOException {
    if (out[hour] == null) {
      tmp[hour] = Files.createTempFile("hogbeam-mixpanel-" + piece(day, hour) + "-", ".jsonl.gz");
      out[hour] = new GZIPOutputStream(Files.newOutputStream(tmp[hour]), 1 << 16);
    }
    return out[hour];
  }

  /** The UTC hour of the line's time, or 0 when it cannot be read. */
  private static int hour(ByteArrayOutputStream line, MixpanelEventMapper mapper) {
    try {
      JsonNode root = JSON.readTree(line.toByteArray());
      JsonNode props = root == null ? null : root.get("properties");
      Long micros = props == null ? null : mapper.micros(props.get("time"));
      return micros == null ? 0 : (int) Math.floorMod(Math.floorDiv(micros, 3_600_000_000L), 24L);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
