package dev.hogbeam.order;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Cleaner;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This JVM's directory of sort spill files under one parent directory: {@code
 * <parent>/hogbeam-sort-<host>-<pid>}.
 *
 * <p>Files are removed three ways: by their owner ({@link SortedEvents#close()}), by {@link
 * #CLEANER} once their owner is unreachable, and with the whole directory when the JVM exits. A
 * directory left behind by a JVM of this host that no longer runs (killed, crashed) is removed the
 * first time another JVM uses the same parent.
 *
 * <p>Unreachable owners only release their files when the garbage collector notices them, so when
 * this JVM's spill files take more room than the disk has left, the next spill asks for a
 * collection (at most once a minute); and a write that fails for lack of space asks once more and
 * retries before giving up with an error that names the directory.
 */
final class SpillDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(SpillDirectory.class);

  static final String PREFIX = "hogbeam-sort-";

  /** Deletes the files of {@link SortedEvents} nobody can reach any more. */
  static final Cleaner CLEANER = Cleaner.create();

  private static final ConcurrentMap<Path, SpillDirectory> BY_PARENT = new ConcurrentHashMap<>();
  private static final long GC_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final long RECLAIM_WAIT_MILLIS = 5_000;

  private final Path parent;
  private final Path dir;
  private final AtomicLong liveBytes = new AtomicLong();
  private final AtomicLong liveFiles = new AtomicLong();
  private final AtomicLong lastGcNanos = new AtomicLong(System.nanoTime() - GC_INTERVAL_NANOS);
  private volatile boolean created;

  private SpillDirectory(Path parent) {
    this.parent = parent;
    this.dir = parent.resolve(PREFIX + jvmId());
  }

  /** The spill directory for {@code parentOrNull} (java.io.tmpdir when null). */
  static SpillDirectory under(@Nullable String parentOrNull) {
    String parent = parentOrNull != null ? parentOrNull : System.getProperty("java.io.tmpdir");
    return BY_PARENT.computeIfAbsent(
        Paths.get(parent).toAbsolutePath().normalize(), SpillDirectory::new);
  }

  Path path() {
    return dir;
  }

  /** Bytes in this JVM's spill files here that were written and not yet deleted. */
  long liveBytes() {
    return liveBytes.get();
  }

  long liveFiles() {
    return liveFiles.get();
  }

  /** Creates a new empty file for a run. */
  Path newFile(String kind) throws IOException {
    ensureCreated();
    try {
      return Files.createTempFile(dir, kind + "-", ".run");
    } catch (IOException e) {
      throw writeFailed(e);
    }
  }

  void written(long bytes) {
    liveBytes.addAndGet(bytes);
    liveFiles.incrementAndGet();
  }

  /** Deletes {@code file}, which held {@code bytes} counted by {@link #written}. */
  void delete(Path file, long bytes) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("Could not delete sort spill file {}: {}", file, e.toString());
      file.toFile().deleteOnExit();
    }
    liveBytes.addAndGet(-bytes);
    liveFiles.decrementAndGet();
  }

  /** Deletes a file that failed half-way and was never counted. */
  static void discard(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      file.toFile().deleteOnExit();
    }
  }

  /**
   * Called before a spill: if this JVM's spill files take more room than the disk has left, asks
   * for a garbage collection (at most once a minute) so that unreachable groups give theirs back.
   */
  void beforeSpill() {
    long live = liveBytes.get();
    if (live > 0 && live > usableSpace() && gcAllowed()) {
      LOG.info(
          "Sort spill files in {} take {} bytes, more than the {} left free; asking for a GC so "
              + "that unreachable groups release theirs",
          dir,
          live,
          usableSpace());
      System.gc();
    }
  }

  /**
   * After a failed write: asks for a GC and waits (up to a few seconds) for unreachable groups to
   * release files. Returns whether any space came back, i.e. whether a retry makes sense.
   */
  boolean reclaimAfterFailure() {
    long before = liveBytes.get();
    if (before == 0) {
      return false;
    }
    System.gc();
    long deadline = System.currentTimeMillis() + RECLAIM_WAIT_MILLIS;
    while (System.currentTimeMillis() < deadline) {
      if (liveBytes.get() < before) {
        return true;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /**
   * The error for a spill file that could not be written: names the directory and the space left.
   */
  IOException writeFailed(IOException cause) {
    return new IOException(
        String.format(
            "Could not write a sort spill file in %s (%s). %d bytes are free there and this JVM's "
                + "spill files take %d. Large groups are sorted on local disk: give the sort a "
                + "directory with more room (OrderEvents.withSpillDirectory), or make groups smaller.",
            dir, cause.getMessage(), usableSpace(), liveBytes.get()),
        cause);
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(created ? dir : parent).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private boolean gcAllowed() {
    long now = System.nanoTime();
    long last = lastGcNanos.get();
    return now - last >= GC_INTERVAL_NANOS && lastGcNanos.compareAndSet(last, now);
  }

  private void ensureCreated() throws IOException {
    if (created) {
      return;
    }
    synchronized (this) {
      if (created) {
        return;
      }
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw writeFailed(e);
      }
      removeStaleSiblings();
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> deleteRecursively(dir), "hogbeam-sort-cleanup"));
      created = true;
      LOG.info("Sort spill files go to {}", dir);
    }
  }

  /** Removes spill directories of JVMs of this host that are gone. */
  private void removeStaleSiblings() {
    String hostPrefix = PREFIX + host() + "-";
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, hostPrefix + "*")) {
      for (Path sibling : siblings) {
        String pid = sibling.getFileName().toString().substring(hostPrefix.length());
        if (!sibling.equals(dir) && isDeadPid(pid)) {
          LOG.info("Removing sort spill files left by a JVM that is gone: {}", sibling);
          deleteRecursively(sibling);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.debug("Could not look for stale spill directories in {}: {}", parent, e.toString());
    }
  }

  private static boolean isDeadPid(String pid) {
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void deleteRecursively(Path directory) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(directory);
    } catch (IOException | UncheckedIOException e) {
      // Best effort: at exit there is nobody left to tell.
    }
  }

  private static String jvmId() {
    return host() + "-" + ProcessHandle.current().pid();
  }

  private static String host() {
    String name = ManagementFactory.getRuntimeMXBean().getName();
    int at = name.indexOf('@');
    String host = at >= 0 ? name.substring(at + 1) : "localhost";
    return host.replaceAll("[^A-Za-z0-9._]", "_");
  }
}
