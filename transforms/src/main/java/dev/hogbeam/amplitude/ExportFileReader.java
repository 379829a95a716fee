package dev.hogbeam.amplitude;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Streams the lines of an Amplitude export file: a zip of gzipped JSON-lines files (what the Export
 * API and the UI produce), a single gzipped JSON-lines file, or plain JSON lines. The kind is told
 * by the first bytes, not by the name. Nothing is held in memory beyond the current line: a zip is
 * read as a stream (no random access needed), each entry decompressed on the fly.
 *
 * <p>Blank lines are skipped but counted, so line numbers match the file. Bytes that are not UTF-8
 * become U+FFFD (the line then usually fails to map and is dead-lettered with its origin).
 */
final class ExportFileReader {
  private ExportFileReader() {}

  /** Receives each non-blank line. */
  interface LineSink {
    void line(String entry, long lineNumber, String text);
  }

  /** Where and why a file stopped being readable. */
  static final class Corruption {
    final String entry;
    final long lineNumber;
    final String reason;

    Corruption(String entry, long lineNumber, String reason) {
      this.entry = entry;
      this.lineNumber = lineNumber;
      this.reason = reason;
    }
  }

  private static final int BUFFER = 1 << 16;

  /**
   * Reads {@code in} to its end (or to the point it is corrupt), handing every line to {@code
   * sink}. Does not close {@code in}.
   *
   * @return null when the whole file was read, else where it broke: a damaged zip or gzip stream is
   *     data (the caller dead-letters it), not an exception
   * @throws IOException when reading the underlying bytes fails (worth retrying)
   */
  static @Nullable Corruption read(InputStream in, LineSink sink) throws IOException {
    BufferedInputStream b = new BufferedInputStream(in, BUFFER);
    Kind kind = sniff(b);
    if (kind == Kind.ZIP) {
      return readZip(b, sink);
    }
    return readEntry("", b, kind == Kind.GZIP, sink);
  }

  private enum Kind {
    ZIP,
    GZIP,
    PLAIN
  }

  private static Kind sniff(BufferedInputStream b) throws IOException {
    b.mark(4);
    int b0 = b.read();
    int b1 = b.read();
    int b2 = b.read();
    int b3 = b.read();
    b.reset();
    if (b0 == 'P' && b1 == 'K' && ((b2 == 3 && b3 == 4) || (b2 == 5 && b3 == 6))) {
      return Kind.ZIP;
    }
    if (b0 == 0x1f && b1 == 0x8b) {
      return Kind.GZIP;
    }
    return Kind.PLAIN;
  }

  private static @Nullable Corruption readZip(InputStream in, LineSink sink) throws IOException {
    ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8);
    String entryName = "";
    try {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        entryName = e.getName();
        if (e.isDirectory() || entryName.startsWith("__MACOSX/")) {
          continue;
        }
        BufferedInputStream entry = new BufferedInputStream(zip, BUFFER);
        Corruption c = readEntry(entryName, entry, sniff(entry) == Kind.GZIP, sink);
        if (c != null) {
          return c;
        }
      }
      return null;
    } catch (ZipException | EOFException e) {
      return new Corruption(entryName, 0, describe(e));
    }
  }

  private static @Nullable Corruption readEntry(
      String entry, InputStream in, boolean gzip, LineSink sink) throws IOException {
    long lineNumber = 0;
    try {
      InputStream data = gzip ? new GZIPInputStream(in, BUFFER) : in;
      BufferedReader reader =
          new BufferedReader(new InputStreamReader(data, StandardCharsets.UTF_8), BUFFER);
      String line;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (!line.isBlank()) {
          sink.line(entry, lineNumber, line);
        }
      }
      return null;
    } catch (ZipException | EOFException e) {
      return new Corruption(entry, lineNumber + 1, describe(e));
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return (e instanceof EOFException ? "truncated" : "corrupt")
        + (m == null || m.isEmpty() ? "" : " (" + m + ")");
  }
}
