package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventOrder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Sorts one group of events into {@link EventOrder} with bounded memory, dropping repeated events.
 *
 * <p>Events are buffered until {@link SortSettings#maxEventsInMemory()} events or about {@link
 * SortSettings#maxBytesInMemory()} bytes; then the buffer is sorted and written to a run file (an
 * external merge sort). {@link #finish()} returns the group: in memory if nothing was spilled,
 * otherwise backed by at most {@link SortSettings#maxOpenRuns()} runs that every iteration merges
 * lazily (more runs than that are first merged into bigger ones, the smallest first). So heap use
 * is at most the buffer plus one small reader per run, whatever the group's size; disk use is about
 * the group's encoded size (LZ4 by default), twice that while runs are merged.
 *
 * <p><b>Duplicates.</b> Of several events equal in every key of {@link EventOrder} (timestamp,
 * uuid, event name, distinct_id), one is kept: the first in {@link #TOTAL_ORDER}, so the choice
 * does not depend on input order. Equal keys are adjacent in the sort order whatever the other
 * fields, so every such copy is caught, in a run or across runs. Sources drop their own copies
 * before this (the ClickHouse reader applies the source table's merge rule; Amplitude drops
 * repeated insert ids), so what is left here are exact repeats. Events that share a uuid but differ
 * in timestamp, name or distinct_id are different events here and are all kept.
 *
 * <p>Not thread-safe; one instance sorts one group.
 */
public final class ExternalSorter implements AutoCloseable {

  /**
   * {@link EventOrder#EVENTS}, then properties: a total order, used to choose deterministically
   * which of several copies of an event is kept.
   */
  public static final Comparator<CaptureEvent> TOTAL_ORDER =
      EventOrder.EVENTS.thenComparing(CaptureEvent::propertiesJson);

  /** Heap bytes of an event beyond its characters: the object, four strings and a list slot. */
  private static final long EVENT_OVERHEAD_BYTES = 200;

  private final SortSettings settings;
  private @Nullable SpillDirectory dir;
  private ArrayList<CaptureEvent> buffer = new ArrayList<>();
  private long bufferBytes;
  private final List<RunFile> runs = new ArrayList<>();
  private long duplicates;
  private long eventsAdded;
  private long bytesSpilled;
  private int runsWritten;
  private boolean finished;

  private ExternalSorter(SortSettings settings) {
    this.settings = checkNotNull(settings, "settings");
  }

  public static ExternalSorter create(SortSettings settings) {
    return new ExternalSorter(settings);
  }

  /**
   * Estimated heap bytes of {@code e} (strings of Latin-1 text take one byte a character; the
   * properties are held as UTF-8 bytes).
   */
  static long estimateHeapBytes(CaptureEvent e) {
    return EVENT_OVERHEAD_BYTES
        + e.uuid().length()
        + e.event().length()
        + e.distinctId().length()
        + e.propertiesUtf8Length();
  }

  public void add(CaptureEvent event) throws IOException {
    checkState(!finished, "finish() was already called");
    buffer.add(checkNotNull(event, "event"));
    bufferBytes += estimateHeapBytes(event);
    eventsAdded++;
    if (buffer.size() >= settings.maxEventsInMemory()
        || bufferBytes >= settings.maxBytesInMemory()) {
      spillBuffer();
    }
  }

  /**
   * Returns the group in send order without duplicates. The result owns any spill files; this
   * sorter must not be used afterwards.
   */
  public SortedEvents finish() throws IOException {
    checkState(!finished, "finish() was already called");
    finished = true;
    if (runs.isEmpty()) {
      List<CaptureEvent> sorted = sortAndDedupe(buffer);
      buffer = new ArrayList<>();
      return SortedEvents.inMemory(sorted, duplicates);
    }
    if (!buffer.isEmpty()) {
      spillBuffer();
    }
    buffer = new ArrayList<>();
    while (runs.size() > settings.maxOpenRuns()) {
      mergeSmallestRuns();
    }
    SortedEvents result = SortedEvents.onDisk(spillDirectory(), runs, duplicates);
    runs.clear();
    return result;
  }

  /** Events passed to {@link #add}. */
  public long eventsAdded() {
    return eventsAdded;
  }

  /**
   * Copies dropped so far: in sorted buffers and in the merges of {@link #finish()}. A group
   * returned on disk drops any others while it is iterated (its final merge is lazy).
   */
  public long duplicatesDropped() {
    return duplicates;
  }

  /** Run files written, including those of intermediate merges. */
  public int runsWritten() {
    return runsWritten;
  }

  /** Bytes written to run files, including those of intermediate merges. */
  public long bytesSpilled() {
    return bytesSpilled;
  }

  /** Deletes the runs not handed over by {@link #finish()} (after a failure). Idempotent. */
  @Override
  public void close() {
    finished = true;
    buffer = new ArrayList<>();
    for (RunFile r : runs) {
      spillDirectory().delete(r.path, r.bytes);
    }
    runs.clear();
  }

  private SpillDirectory spillDirectory() {
    if (dir == null) {
      dir = SpillDirectory.under(settings.spillDirectory());
    }
    return dir;
  }

  private interface RunSource {
    RunFile write(SpillDirectory spill) throws IOException;
  }

  /**
   * Writes a run; if that fails, lets unreachable groups give back their files and tries once more.
   */
  private RunFile writeRun(RunSource source) throws IOException {
    SpillDirectory spill = spillDirectory();
    spill.beforeSpill();
    RunFile run;
    try {
      run = source.write(spill);
    } catch (IOException e) {
      if (!spill.reclaimAfterFailure()) {
        throw e;
      }
      run = source.write(spill);
    }
    runs.add(run);
    runsWritten++;
    bytesSpilled += run.bytes;
    return run;
  }

  /** Sorts {@code events} in place by {@link #TOTAL_ORDER} and returns them without duplicates. */
  private List<CaptureEvent> sortAndDedupe(ArrayList<CaptureEvent> events) {
    events.sort(TOTAL_ORDER);
    int kept = 0;
    for (int i = 0; i < events.size(); i++) {
      CaptureEvent e = events.get(i);
      if (kept > 0 && EventOrder.EVENTS.compare(e, events.get(kept - 1)) == 0) {
        duplicates++;
      } else {
        events.set(kept++, e);
      }
    }
    events.subList(kept, events.size()).clear();
    return events;
  }

  private void spillBuffer() throws IOException {
    List<CaptureEvent> sorted = sortAndDedupe(buffer);
    boolean compress = settings.compressSpill();
    writeRun(spill -> RunFile.write(spill, compress, sorted.iterator()));
    buffer.clear();
    bufferBytes = 0;
  }

  /**
   * Merges the smallest runs into one, as many as it takes (at most {@code maxOpenRuns}) for the
   * remaining runs to fit one final merge, so no event is rewritten more often than needed.
   */
  private void mergeSmallestRuns() throws IOException {
    runs.sort(Comparator.comparingLong(r -> r.bytes));
    int count = Math.min(settings.maxOpenRuns(), runs.size() - settings.maxOpenRuns() + 1);
    List<RunFile> inputs = new ArrayList<>(runs.subList(0, count));
    runs.subList(0, count).clear();
    long[] dropped = new long[1];
    boolean compress = settings.compressSpill();
    try {
      writeRun(
          spill -> {
            try (MergingIterator merge = new MergingIterator(inputs)) {
              RunFile merged = RunFile.write(spill, compress, merge);
              dropped[0] = merge.duplicates();
              return merged;
            }
          });
    } catch (IOException | RuntimeException e) {
      runs.addAll(inputs); // still ours to delete on close()
      throw e;
    }
    duplicates += dropped[0];
    for (RunFile r : inputs) {
      spillDirectory().delete(r.path, r.bytes);
    }
  }
}
