package dev.hogbeam.order;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventOrder;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A k-way merge of sorted runs that drops every event equal in {@link EventOrder} (same timestamp,
 * uuid, event name and distinct_id) to the one before it, keeping the first in {@link
 * ExternalSorter#TOTAL_ORDER}. Holds one open reader and one event per run.
 */
final class MergingIterator implements Iterator<CaptureEvent>, Closeable {
  private static final class Head {
    CaptureEvent event;
    final RunFile.Reader reader;
    final RunFile run;

    Head(CaptureEvent event, RunFile.Reader reader, RunFile run) {
      this.event = event;
      this.reader = reader;
      this.run = run;
    }
  }

  private final PriorityQueue<Head> heads;
  private @Nullable CaptureEvent last;
  private @Nullable CaptureEvent next;
  private long duplicates;

  MergingIterator(List<RunFile> runs) throws IOException {
    heads =
        new PriorityQueue<>(
            Math.max(1, runs.size()),
            (a, b) -> ExternalSorter.TOTAL_ORDER.compare(a.event, b.event));
    try {
      for (RunFile run : runs) {
        RunFile.Reader reader = run.open();
        CaptureEvent first = reader.next();
        if (first == null) {
          reader.close();
        } else {
          heads.add(new Head(first, reader, run));
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Events dropped so far because they repeated the position before them. */
  long duplicates() {
    return duplicates;
  }

  @Override
  public boolean hasNext() {
    if (next == null) {
      next = advance();
    }
    return next != null;
  }

  @Override
  public CaptureEvent next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    CaptureEvent e = next;
    next = null;
    return e;
  }

  private @Nullable CaptureEvent advance() {
    while (!heads.isEmpty()) {
      Head head = heads.poll();
      CaptureEvent e = head.event;
      try {
        CaptureEvent following = head.reader.next();
        if (following != null) {
          head.event = following;
          heads.add(head);
        } else {
          head.reader.close();
        }
      } catch (IOException ex) {
        close();
        throw new UncheckedIOException("Could not read sort spill file " + head.run.path, ex);
      }
      if (last != null && EventOrder.EVENTS.compare(e, last) == 0) {
        duplicates++;
        continue;
      }
      last = e;
      return e;
    }
    return null;
  }

  @Override
  public void close() {
    for (Head h : heads) {
      try {
        h.reader.close();
      } catch (IOException e) {
        // Reading is over; nothing to lose.
      }
    }
    heads.clear();
  }
}
