package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How {@link ExternalSorter} uses memory and disk. Immutable; every {@code withX} returns a copy.
 *
 * <p>A sort keeps at most {@link #maxEventsInMemory()} events and about {@link #maxBytesInMemory()}
 * bytes of them (estimated from their text lengths) on the heap; past either, the buffered events
 * are sorted and written to a run file. Merging reads at most {@link #maxOpenRuns()} runs at once,
 * each through a small buffer, so the total is bounded whatever the group's size.
 *
 * @param maxEventsInMemory events buffered before a run is spilled
 * @param maxBytesInMemory estimated heap bytes of buffered events before a run is spilled; also the
 *     size up to which {@link SortedEventsCoder} decodes a group into memory
 * @param maxOpenRuns runs merged at once (files open at once while merging)
 * @param spillDirectory the parent of this JVM's spill directory; {@code null} for {@code
 *     java.io.tmpdir}
 * @param compressSpill whether run files are LZ4-compressed
 */
public record SortSettings(
    long maxEventsInMemory,
    long maxBytesInMemory,
    int maxOpenRuns,
    @Nullable String spillDirectory,
    boolean compressSpill)
    implements Serializable {

  /** 64 MiB: big enough that most groups never touch disk, small next to any worker's heap. */
  public static final long DEFAULT_MAX_BYTES_IN_MEMORY = 64L << 20;

  public static final long DEFAULT_MAX_EVENTS_IN_MEMORY = 250_000;

  public static final int DEFAULT_MAX_OPEN_RUNS = 64;

  public SortSettings {
    checkArgument(
        maxEventsInMemory >= 1, "maxEventsInMemory must be >= 1, but was %s", maxEventsInMemory);
    checkArgument(
        maxBytesInMemory >= 1, "maxBytesInMemory must be >= 1, but was %s", maxBytesInMemory);
    checkArgument(maxOpenRuns >= 2, "maxOpenRuns must be >= 2, but was %s", maxOpenRuns);
    checkArgument(
        spillDirectory == null || !spillDirectory.isBlank(),
        "spillDirectory must not be blank (leave it unset for java.io.tmpdir)");
  }

  /** 250,000 events or 64 MiB in memory, 64 runs merged at once, LZ4, under java.io.tmpdir. */
  public static SortSettings defaults() {
    return new SortSettings(
        DEFAULT_MAX_EVENTS_IN_MEMORY,
        DEFAULT_MAX_BYTES_IN_MEMORY,
        DEFAULT_MAX_OPEN_RUNS,
        null,
        true);
  }

  public SortSettings withMaxEventsInMemory(long events) {
    return new SortSettings(events, maxBytesInMemory, maxOpenRuns, spillDirectory, compressSpill);
  }

  public SortSettings withMaxBytesInMemory(long bytes) {
    return new SortSettings(maxEventsInMemory, bytes, maxOpenRuns, spillDirectory, compressSpill);
  }

  public SortSettings withMaxOpenRuns(int runs) {
    return new SortSettings(
        maxEventsInMemory, maxBytesInMemory, runs, spillDirectory, compressSpill);
  }

  public SortSettings withSpillDirectory(@Nullable String directory) {
    return new SortSettings(
        maxEventsInMemory, maxBytesInMemory, maxOpenRuns, directory, compressSpill);
  }

  public SortSettings withCompressSpill(boolean compress) {
    return new SortSettings(
        maxEventsInMemory, maxBytesInMemory, maxOpenRuns, spillDirectory, compress);
  }
}
