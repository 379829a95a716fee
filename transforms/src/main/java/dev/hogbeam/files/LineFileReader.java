package dev.hogbeam.files;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Streams the lines of a JSON-lines export file (Amplitude's, Mixpanel's, PostHog-shaped events): a
 * zip of gzipped JSON-lines files (what the Export API and the UI produce), a single gzipped
 * JSON-lines file, or plain JSON lines. The kind is told by the first bytes, not by the name.
 * Nothing is held in memory beyond the current line: a zip is read as a stream (no random access
 * needed), each entry decompressed on the fly.
 *
 * <p>Lines end at {@code \n} ({@code \r\n} too). Blank lines are skipped but counted, so line
 * numbers match the file. Bytes that are not UTF-8 become U+FFFD (the line then usually fails to
 * map and is dead-lettered with its origin).
 */
public final class LineFileReader {
  private LineFileReader() {}

  /** Receives each non-blank line, and each line over the length cap. */
  public interface LineSink {
    void line(String entry, long lineNumber, String text);

    /**
     * A line of {@code bytes} bytes, over the cap, was skipped; {@code head} is its first KiB. The
     * default drops it.
     */
    default void oversize(String entry, long lineNumber, String head, long bytes) {}
  }

  /** How much of an oversize line is kept. */
  public static final int HEAD_BYTES = 1024;

  /** Where and why a file stopped being readable. */
  public static final class Corruption {
    public final String entry;
    public final long lineNumber;
    public final String reason;

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
  public static @Nullable Corruption read(InputStream in, long maxLineBytes, LineSink sink)
      throws IOException {
    BufferedInputStream b = new BufferedInputStream(in, BUFFER);
    Kind kind = sniff(b);
    if (kind == Kind.ZIP) {
      return readZip(b, maxLineBytes, sink);
    }
    return readEntry("", b, kind == Kind.GZIP, maxLineBytes, sink);
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

  private static @Nullable Corruption readZip(InputStream in, long maxLineBytes, LineSink sink)
      throws IOException {
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
        Corruption c = readEntry(entryName, entry, sniff(entry) == Kind.GZIP, maxLineBytes, sink);
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
      String entry, InputStream in, boolean gzip, long maxLineBytes, LineSink sink)
      throws IOException {
    LineSplitter lines = new LineSplitter(entry, maxLineBytes, sink);
    try {
      InputStream data = gzip ? new GZIPInputStream(in, BUFFER) : in;
      lines.readAll(data);
      return null;
    } catch (ZipException | EOFException e) {
      // Every line completed before the damage has been handed over; the one it cut is lost.
      return new Corruption(entry, lines.lineNumber + 1, describe(e));
    }
  }

  /**
   * Splits bytes into lines at {@code \n} (a {@code \r} before it is dropped) and decodes each as
   * UTF-8. Unlike a Reader it hands over each line as soon as its end has arrived, so a stream that
   * breaks loses only the line it breaks in. The buffer grows for a long line up to the cap; a line
   * over the cap is skipped to its end, in constant memory, and reported with its first KiB.
   */
  private static final class LineSplitter {
    private final String entry;
    private final long maxLineBytes;
    private final LineSink sink;
    private byte[] buf = new byte[BUFFER];
    long lineNumber;
    private boolean skipping;
    private long skippedBytes;
    private String head = "";

    LineSplitter(String entry, long maxLineBytes, LineSink sink) {
      this.entry = entry;
      this.maxLineBytes = maxLineBytes;
      this.sink = sink;
    }

    void readAll(InputStream in) throws IOException {
      int start = 0; // first byte of the current line
      int end = 0; // end of the bytes read
      while (true) {
        if (end == buf.length) {
          if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
          } else if (buf.length <= maxLineBytes) {
            buf = Arrays.copyOf(buf, (int) Math.min(buf.length * 2L, maxLineBytes + 1));
          } else {
            startSkipping(end);
            start = 0;
            end = 0;
          }
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
          break;
        }
        for (int i = end; i < end + n; i++) {
          if (buf[i] == '\n') {
            if (skipping) {
              finishSkipping(i - start);
            } else {
              line(start, i);
            }
            start = i + 1;
          }
        }
        end += n;
        if (skipping) {
          skippedBytes += end - start;
          start = 0;
          end = 0;
        }
      }
      if (skipping) {
        finishSkipping(0);
      } else if (start < end) {
        line(start, end);
      }
    }

    /** The line in {@code buf[0, end)} is over the cap and has not ended: drop it as it comes. */
    private void startSkipping(int end) {
      head = new String(buf, 0, Math.min(HEAD_BYTES, end), StandardCharsets.UTF_8);
      skippedBytes = end;
      skipping = true;
      buf = new byte[BUFFER];
    }

    private void finishSkipping(int moreBytes) {
      lineNumber++;
      sink.oversize(entry, lineNumber, head, skippedBytes + moreBytes);
      skipping = false;
      skippedBytes = 0;
      head = "";
    }

    private void line(int from, int to) {
      if (to - from > maxLineBytes) {
        lineNumber++;
        sink.oversize(
            entry,
            lineNumber,
            new String(buf, from, Math.min(HEAD_BYTES, to - from), StandardCharsets.UTF_8),
            to - from);
        return;
      }
      lineNumber++;
      int stop = to > from && buf[to - 1] == '\r' ? to - 1 : to;
      String text = new String(buf, from, stop - from, StandardCharsets.UTF_8);
      if (!text.isBlank()) {
        sink.line(entry, lineNumber, text);
      }
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return (e instanceof EOFException ? "truncated" : "corrupt")
        + (m == null || m.isEmpty() ? "" : " (" + m + ")");
  }
}
