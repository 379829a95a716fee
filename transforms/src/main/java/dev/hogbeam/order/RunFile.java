package dev.hogbeam.order;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One sorted, duplicate-free run of events on local disk: {@link CaptureEventCoder} records back to
 * back, optionally in an LZ4 frame with 64 KiB blocks (so a reader holds about 200 KiB of buffers
 * whatever the run's size). The event count is kept here rather than in the file.
 */
final class RunFile {
  private static final int BUFFER = 64 << 10;
  private static final CaptureEventCoder CODER = CaptureEventCoder.of();

  final Path path;
  final long events;
  final long bytes;
  final boolean compressed;

  private RunFile(Path path, long events, long bytes, boolean compressed) {
    this.path = path;
    this.events = events;
    this.bytes = bytes;
    this.compressed = compressed;
  }

  /**
   * Writes {@code events} (already in order, without duplicates) to a new file of {@code dir}. On
   * failure the partial file is removed and the error names the directory.
   */
  static RunFile write(SpillDirectory dir, boolean compress, Iterator<CaptureEvent> events)
      throws IOException {
    Path path = dir.newFile("run");
    long count = 0;
    try {
      OutputStream file = Files.newOutputStream(path);
      try (OutputStream out =
          compress
              ? new BufferedOutputStream(
                  new LZ4FrameOutputStream(file, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB), BUFFER)
              : new BufferedOutputStream(file, BUFFER)) {
        while (events.hasNext()) {
          CODER.encode(events.next(), out);
          count++;
        }
      }
    } catch (IOException e) {
      SpillDirectory.discard(path);
      throw dir.writeFailed(e);
    } catch (RuntimeException | Error e) {
      SpillDirectory.discard(path);
      throw e;
    }
    long bytes = Files.size(path);
    dir.written(bytes);
    return new RunFile(path, count, bytes, compress);
  }

  Reader open() throws IOException {
    return new Reader(this);
  }

  /** Reads a run front to back; {@link #next()} returns null at the end. */
  static final class Reader implements Closeable {
    private final InputStream in;
    private long remaining;

    private Reader(RunFile run) throws IOException {
      InputStream file = Files.newInputStream(run.path);
      try {
        this.in =
            run.compressed
                ? new BufferedInputStream(new LZ4FrameInputStream(file), BUFFER / 2)
                : new BufferedInputStream(file, BUFFER);
      } catch (IOException | RuntimeException e) {
        file.close();
        throw e;
      }
      this.remaining = run.events;
    }

    @Nullable CaptureEvent next() throws IOException {
      if (remaining == 0) {
        return null;
      }
      remaining--;
      return CODER.decode(in);
    }

    @Override
    public void close() throws IOException {
      remaining = 0;
      in.close();
    }
  }
}
