package dev.hogbeam.testing.chdb;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Path;

/** The few libc functions the front end calls, through JNA's direct mapping. */
final class Libc {
  private static final int O_RDONLY = 0;
  private static final int PROT_READ = 1;
  private static final int MAP_PRIVATE = 2;

  static {
    Native.register(Libc.class, Platform.C_LIBRARY_NAME);
  }

  private Libc() {}

  static native int sigaction(int signal, Pointer action, Pointer oldAction);

  private static native void _exit(int status);

  private static native int open(String path, int flags);

  private static native int close(int fd);

  private static native Pointer mmap(
      Pointer address, long length, int protection, int flags, int fd, long offset);

  private static native int munmap(Pointer address, long length);

  /** libc's {@code _exit}: no atexit handlers, no C++ static destructors. */
  static void exitImmediately(int status) {
    _exit(status);
  }

  static Pointer mapReadOnly(Path file, long size) throws IOException {
    int fd = open(file.toAbsolutePath().toString(), O_RDONLY);
    if (fd < 0) {
      throw new IOException("cannot open " + file + " (errno " + Native.getLastError() + ")");
    }
    try {
      Pointer mapped = mmap(null, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (mapped == null || Pointer.nativeValue(mapped) == -1L) {
        throw new IOException("cannot map " + file + " (errno " + Native.getLastError() + ")");
      }
      return mapped;
    } finally {
      close(fd);
    }
  }

  static void unmap(Pointer address, long size) {
    munmap(address, size);
  }
}
