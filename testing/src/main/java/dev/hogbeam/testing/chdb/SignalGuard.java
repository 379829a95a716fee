package dev.hogbeam.testing.chdb;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the JVM's handlers for the synchronous signals HotSpot depends on.
 *
 * <p>HotSpot turns SIGSEGV in compiled code into NullPointerExceptions (implicit null checks) and
 * uses SIGILL/SIGFPE/SIGBUS similarly; chDB installs its own handlers for these when a connection
 * is opened, after which the first NPE in JIT-compiled code hangs the process. {@link #save()}
 * records the JVM's handlers (glibc {@code struct sigaction}, 152 bytes on x86-64 Linux, read and
 * written through libc's {@code sigaction} via JNA) before the first connection; {@link
 * #restoreIfChanged()} re-installs any that changed.
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

  private final Map<Integer, Memory> saved = new LinkedHashMap<>();
  private final AtomicLong restored = new AtomicLong();

  SignalGuard() {
    if (!"amd64".equals(System.getProperty("os.arch"))
        || !"Linux".equals(System.getProperty("os.name"))) {
      throw new IllegalStateException(
          "the signal guard knows struct sigaction only for Linux x86-64, not "
              + System.getProperty("os.name")
              + "/"
              + System.getProperty("os.arch"));
    }
  }

  /** Records the current handlers of SIGILL, SIGBUS, SIGFPE and SIGSEGV. */
  synchronized void save() {
    for (int signal : GUARDED) {
      Memory action = new Memory(SIGACTION_SIZE);
      action.clear();
      call(signal, null, action);
      saved.put(signal, action);
    }
  }

  /** Re-installs every saved handler that is no longer in place; returns how many it restored. */
  synchronized int restoreIfChanged() {
    int count = 0;
    try (Memory current = new Memory(SIGACTION_SIZE)) {
      for (Map.Entry<Integer, Memory> e : saved.entrySet()) {
        current.clear();
        call(e.getKey(), null, current);
        Memory mine = e.getValue();
        if (current.getLong(HANDLER_OFFSET) != mine.getLong(HANDLER_OFFSET)
            || current.getInt(FLAGS_OFFSET) != mine.getInt(FLAGS_OFFSET)) {
          call(e.getKey(), mine, null);
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

  private static void call(int signal, Pointer action, Pointer old) {
    int rc = Libc.sigaction(signal, action, old);
    if (rc != 0) {
      throw new IllegalStateException("sigaction(" + signal + ") returned " + rc);
    }
  }
}
