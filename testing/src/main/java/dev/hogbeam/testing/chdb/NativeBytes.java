package dev.hogbeam.testing.chdb;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A run of native bytes: memory this process allocated ({@link #allocate}, {@link #of}), a file
 * mapped read-only ({@link #map}), or a view of memory the engine owns ({@link #view}). Closing
 * frees or unmaps what this object owns; a view owns nothing.
 */
final class NativeBytes implements AutoCloseable {
  static final NativeBytes EMPTY = new NativeBytes(null, 0, null);

  private final Pointer address;
  private final long size;
  private Runnable release;

  private NativeBytes(Pointer address, long size, Runnable release) {
    this.address = address;
    this.size = size;
    this.release = release;
  }

  /** {@code size} bytes of zeroed native memory. */
  static NativeBytes allocate(long size) {
    Memory memory = new Memory(Math.max(1, size));
    memory.clear();
    return new NativeBytes(memory, size, memory::close);
  }

  /** A native copy of {@code bytes}. */
  static NativeBytes of(byte[] bytes) {
    return of(bytes, 0, bytes.length);
  }

  /** A native copy of {@code length} bytes of {@code bytes} from {@code offset}. */
  static NativeBytes of(byte[] bytes, int offset, int length) {
    Memory memory = new Memory(Math.max(1, length));
    memory.write(0, bytes, offset, length);
    return new NativeBytes(memory, length, memory::close);
  }

  /** {@code text} in UTF-8 followed by a NUL byte, which {@link #size()} does not count. */
  static NativeBytes cString(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Memory memory = new Memory(bytes.length + 1L);
    memory.write(0, bytes, 0, bytes.length);
    memory.setByte(bytes.length, (byte) 0);
    return new NativeBytes(memory, bytes.length, memory::close);
  }

  /** The first {@code size} bytes of {@code file}, mapped read-only (any size, unlike NIO's). */
  static NativeBytes map(Path file, long size) throws IOException {
    if (size == 0) {
      return EMPTY;
    }
    Pointer mapped = Libc.mapReadOnly(file, size);
    return new NativeBytes(mapped, size, () -> Libc.unmap(mapped, size));
  }

  /** {@code size} bytes at {@code address}, owned by someone else (e.g. a chDB result). */
  static NativeBytes view(Pointer address, long size) {
    return new NativeBytes(address, size, null);
  }

  Pointer address() {
    return address;
  }

  long size() {
    return size;
  }

  /** The bytes from {@code offset} on, as a view. */
  NativeBytes slice(long offset) {
    if (offset == 0) {
      return this;
    }
    return offset == size ? EMPTY : view(address.share(offset), size - offset);
  }

  /** Copies {@code length} bytes from {@code offset} into {@code target} at {@code at}. */
  void read(long offset, byte[] target, int at, int length) {
    if (length > 0) {
      address.read(offset, target, at, length);
    }
  }

  /** A heap copy of the first {@code length} bytes (at most {@link #size()}). */
  byte[] head(int length) {
    byte[] copy = new byte[(int) Math.min(size, length)];
    read(0, copy, 0, copy.length);
    return copy;
  }

  @Override
  public void close() {
    Runnable r = release;
    release = null;
    if (r != null) {
      r.run();
    }
  }
}
