package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkState;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DuplicateCount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The events of one group in send order ({@link dev.hogbeam.event.EventOrder}), without repeated
 * positions: either a list in memory (small groups) or sorted runs on local disk merged lazily by
 * every {@link #iterator()} call. Iterable any number of times; each iteration holds one small
 * buffer and one event per run, never the group.
 *
 * <p>A disk-backed instance owns its files. They are deleted by {@link #close()}, or when the
 * instance becomes unreachable (after the garbage collector notices), or when the JVM exits. A
 * consumer that is the only user of the group may close it when done to free the disk at once;
 * iterating after {@code close()} fails.
 *
 * <p><b>Duplicates.</b> Every {@link #iterator()} is an {@link EventIterator} that tells, once
 * exhausted, how many copies the group lost: those dropped while sorting plus those its own lazy
 * merge dropped. The counter {@code OrderEvents/duplicatesDropped} gets the first part when the
 * group is sorted (see {@link OrderEvents}) and the second part here, the first time an iteration
 * of this instance reaches the end; so it counts each copy once however often the group is read.
 */
public final class SortedEvents implements Iterable<CaptureEvent>, AutoCloseable {

  /** An iterator that also tells how many duplicates were dropped on the way. */
  public abstract static class EventIterator implements Iterator<CaptureEvent>, DuplicateCount {
    EventIterator() {}

    /**
     * Events dropped from the group because they repeated the position of another event: exact once
     * the iterator is exhausted. A copy decoded by {@link SortedEventsCoder} reports the count of
     * the group it was encoded from.
     */
    @Override
    public abstract long duplicatesDropped();
  }

  private final List<CaptureEvent> inMemory;
  private final List<RunFile> runs;
  private final long duplicatesBeforeMerge;
  private final Cleaner.Cleanable cleanable;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean mergeDuplicatesCounted = new AtomicBoolean();

  private SortedEvents(List<CaptureEvent> inMemory, long duplicates) {
    this.inMemory = inMemory;
    this.runs = List.of();
    this.duplicatesBeforeMerge = duplicates;
    this.cleanable = () -> {};
  }

  private SortedEvents(SpillDirectory dir, List<RunFile> runs, long duplicates) {
    this.inMemory = List.of();
    this.runs = runs;
    this.duplicatesBeforeMerge = duplicates;
    // The cleaning action holds the files only, never this instance.
    this.cleanable = SpillDirectory.CLEANER.register(this, new DeleteRuns(dir, runs));
  }

  /**
   * A group held in memory, taking ownership of {@code sorted} (in order, without duplicates);
   * {@code duplicates} were dropped from it.
   */
  static SortedEvents inMemory(List<CaptureEvent> sorted, long duplicates) {
    return new SortedEvents(Collections.unmodifiableList(sorted), duplicates);
  }

  /**
   * A group held as sorted runs of {@code dir}, which this instance now owns; {@code duplicates}
   * were dropped before the runs were written (the lazy merge of the runs drops any others).
   */
  static SortedEvents onDisk(SpillDirectory dir, List<RunFile> runs, long duplicates) {
    return new SortedEvents(dir, List.copyOf(runs), duplicates);
  }

  /** Whether the events live in run files rather than on the heap. */
  public boolean isOnDisk() {
    return !runs.isEmpty();
  }

  /** Run files merged by each iteration (0 when in memory). */
  public int runCount() {
    return runs.size();
  }

  /** Bytes of the run files (0 when in memory). */
  public long spilledBytes() {
    long total = 0;
    for (RunFile r : runs) {
      total += r.bytes;
    }
    return total;
  }

  @Override
  public EventIterator iterator() {
    checkState(!closed.get(), "these sorted events were closed; their spill files are gone");
    if (!isOnDisk()) {
      Iterator<CaptureEvent> it = inMemory.iterator();
      return new EventIterator() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public CaptureEvent next() {
          return it.next();
        }

        @Override
        public long duplicatesDropped() {
          return duplicatesBeforeMerge;
        }
      };
    }
    return new DiskIterator();
  }

  /** Deletes the run files now. Idempotent. */
  @Override
  public void close() {
    closed.set(true);
    cleanable.clean();
  }

  @Override
  public String toString() {
    return isOnDisk()
        ? "SortedEvents{runs=" + runs.size() + ", bytes=" + spilledBytes() + "}"
        : "SortedEvents{events=" + inMemory.size() + "}";
  }

  private final class DiskIterator extends EventIterator {
    private final MergingIterator merge;
    private boolean exhausted;

    DiskIterator() {
      try {
        merge = new MergingIterator(runs);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not open the sort spill files of a group", e);
      }
    }

    @Override
    public boolean hasNext() {
      try {
        boolean more = merge.hasNext();
        if (!more && !exhausted) {
          exhausted = true;
          merge.close();
          if (mergeDuplicatesCounted.compareAndSet(false, true)) {
            OrderEvents.DUPLICATES.inc(merge.duplicates());
          }
        }
        return more;
      } finally {
        // The files must outlive every iterator still in use.
        Reference.reachabilityFence(SortedEvents.this);
      }
    }

    @Override
    public CaptureEvent next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      try {
        return merge.next();
      } finally {
        Reference.reachabilityFence(SortedEvents.this);
      }
    }

    @Override
    public long duplicatesDropped() {
      return duplicatesBeforeMerge + merge.duplicates();
    }
  }

  /** Deletes a group's run files exactly once. Must not refer to the {@link SortedEvents}. */
  private static final class DeleteRuns implements Runnable {
    private final SpillDirectory dir;
    private final List<RunFile> runs;
    private final AtomicBoolean done = new AtomicBoolean();

    DeleteRuns(SpillDirectory dir, List<RunFile> runs) {
      this.dir = dir;
      this.runs = runs;
    }

    @Override
    public void run() {
      if (done.compareAndSet(false, true)) {
        for (RunFile r : runs) {
          dir.delete(r.path, r.bytes);
        }
      }
    }
  }
}
