package dev.hogbeam.testing.chdb;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the JVM's handlers for the synchronous signals HotSpot depends on.
 *
 * <p>HotSpot turns SIGSEGV in compiled code into NullPointerExceptions (implicit null checks) and
 * uses SIGILL/SIGFPE/SIGBUS similarly; chDB installs its own handlers for these when a connection
 * is opened, after which the first NPE in JIT-compiled code hangs the process. {@link #save()}
 * records the JVM's handlers (glibc {@code struct sigaction}, 152 bytes on x86-64 Linux) before
 * the first connection; {@link #restoreIfChanged()} re-installs any that changed.
 */
final class SignalGuard {
  private static final int SIGILL = 4;
  private static final int SIGBUS = 7;
  private static final int SIGFPE = 8;
  private static final int SIGSEGV = 11;
  private static final int[] GUARDED = {SIGILL, SIGBUS, SIGFPE, SIGSEGV};
  private static final long SIGACTION_SIZE = 152;
  private static final long HANDLER_OFFSET = 0;
  private static final long FLAGS_OFFSET = 136;

  private final MethodHandle sigaction;
  private final Map<Integer, MemorySegment> saved = new LinkedHashMap<>();
  private final AtomicLong restored = new AtomicLong();

  SignalGuard() {
    if (!"amd64".equals(System.getProperty("os.arch")) || !"Linux".equals(System.getProperty("os.name"))) {
      throw new IllegalStateException(
          "the signal guard knows struct sigaction only for Linux x86-64, not "
              + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    Linker linker = Linker.nativeLinker();
    sigaction =
        linker.downcallHandle(
            linker.defaultLookup().find("sigaction").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
  }

  /** Records the current handlers of SIGILL, SIGBUS, SIGFPE and SIGSEGV. */
  synchronized void save() {
    for (int signal : GUARDED) {
      MemorySegment action = Arena.global().allocate(SIGACTION_SIZE, 8);
      call(signal, MemorySegment.NULL, action);
      saved.put(signal, action);
    }
  }

  /** Re-installs every saved handler that is no longer in place; returns how many it restored. */
  synchronized int restoreIfChanged() {
    int count = 0;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment current = arena.allocate(SIGACTION_SIZE, 8);
      for (Map.Entry<Integer, MemorySegment> e : saved.entrySet()) {
        call(e.getKey(), MemorySegment.NULL, current);
        MemorySegment mine = e.getValue();
        if (current.get(JAVA_LONG, HANDLER_OFFSET) != mine.get(JAVA_LONG, HANDLER_OFFSET)
            || current.get(JAVA_INT, FLAGS_OFFSET) != mine.get(JAVA_INT, FLAGS_OFFSET)) {
          call(e.getKey(), mine, MemorySegment.NULL);
          count++;
        }
      }
    }
    restored.addAndGet(count);
    return count;
  }

  /** How many handlers were re-installed since start. */
  long restoredTotal() {
    return restored.get();
  }

  private void call(int signal, MemorySegment action, MemorySegment old) {
    int rc;
    try {
      rc = (int) sigaction.invoke(signal, action, old);
    } catch (Throwable t) {
      throw new IllegalStateException("sigaction(" + signal + ") failed", t);
    }
    if (rc != 0) {
      throw new IllegalStateException("sigaction(" + signal + ") returned " + rc);
    }
  }
}
