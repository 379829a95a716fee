package dev.hogbeam.testing.chdb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Bytes held in memory up to a limit and in a temporary file beyond it, so a large request body
 * (INSERT data) never has to fit in the heap; the engine reads it from there (mapped when large).
 * Not thread-safe; close it to delete the file.
 */
final class SpillBuffer extends OutputStream {
  private final int memoryLimit;
  private final Path spillDirectory;
  private byte[] memory = new byte[8192];
  private int memoryUsed;
  private Path file;
  private FileChannel channel;
  private long size;
  private boolean closed;

  SpillBuffer(int memoryLimit, Path spillDirectory) {
    this.memoryLimit = memoryLimit;
    this.spillDirectory = spillDirectory;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return;
    }
    if (channel == null && (long) memoryUsed + len > memoryLimit) {
      spill();
    }
    if (channel == null) {
      if (memoryUsed + len > memory.length) {
        memory =
            Arrays.copyOf(
                memory,
                (int) Math.min(memoryLimit, Math.max(memory.length * 2L, memoryUsed + (long) len)));
      }
      System.arraycopy(b, off, memory, memoryUsed, len);
      memoryUsed += len;
    } else {
      ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
    size += len;
  }

  private void spill() throws IOException {
    file = Files.createTempFile(spillDirectory, "hogbeam-chdb-", ".spill");
    channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer buffer = ByteBuffer.wrap(memory, 0, memoryUsed);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    memory = null;
    memoryUsed = 0;
  }

  long size() {
    return size;
  }

  /** Copies everything written so far to {@code out}. */
  void writeTo(OutputStream out) throws IOException {
    if (channel == null) {
      out.write(memory, 0, memoryUsed);
      return;
    }
    byte[] chunk = new byte[1 << 16];
    ByteBuffer buffer = ByteBuffer.wrap(chunk);
    long position = 0;
    while (position < size) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n < 0) {
        throw new IOException("spill file " + file + " is shorter than what was written to it");
      }
      out.write(chunk, 0, n);
      position += n;
    }
  }

  /**
   * The bytes as native memory for the engine: copied while small, the spill file mapped read-only
   * once large. Close the result before this buffer.
   */
  NativeBytes toNative() throws IOException {
    if (channel == null) {
      return NativeBytes.of(memory, 0, memoryUsed);
    }
    return NativeBytes.map(file, size);
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    memory = null;
    if (channel != null) {
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(file);
      }
    }
  }
}
