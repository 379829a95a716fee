package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.Iterators;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DuplicateCount;
import dev.hogbeam.event.EventOrder;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.util.common.ElementByteSizeObserver;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The coder of a sorted group ({@link SortedEvents}): its events, then how many duplicates were
 * dropped from it. Never needs a whole group on the heap.
 *
 * <p>Format: the events in the iterable format of {@code IterableCoder.of(CaptureEventCoder.of())}
 * for iterables of unknown size (blocks of about 64 KiB, each prefixed by its event count, ending
 * with a zero count), followed by a trailer: the var-long count of duplicates the group's iterator
 * reported once exhausted ({@link DuplicateCount}; 0 for an iterable whose iterator does not count
 * them, e.g. a list). So {@code IterableCoder} can read the events part, but the whole encoding is
 * not {@code IterableCoder}'s (the trailer follows), and {@code IterableCoder}'s output alone fails
 * to decode here (no trailer).
 *
 * <p>Encoding iterates the group once, writing events as it goes. Decoding reads events into memory
 * up to {@link SortSettings#maxBytesInMemory()} / {@link SortSettings#maxEventsInMemory()}; past
 * that it writes them to a run file in the spill directory while reading, and returns a disk-backed
 * {@link SortedEvents}; either way the result's iterators report the trailer's count. So a runner
 * that copies elements through their coder holds at most the limit in decoded events, and the copy
 * reports the group's duplicates like the original. What the runner does with the encoded bytes is
 * up to the runner (several buffer an element's whole encoding in a byte array: see OrderEvents).
 *
 * <p>Deterministic: the same events with the same duplicate count encode to the same bytes, however
 * the group is held. Decoding checks that the events are in send order and fails otherwise: this
 * coder is for the output of {@link OrderEvents}, not for arbitrary iterables.
 */
public final class SortedEventsCoder extends CustomCoder<Iterable<CaptureEvent>> {
  private static final CaptureEventCoder EVENT = CaptureEventCoder.of();
  private static final IterableCoder<CaptureEvent> WIRE = IterableCoder.of(EVENT);

  private final SortSettings settings;

  private SortedEventsCoder(SortSettings settings) {
    this.settings = checkNotNull(settings, "settings");
  }

  public static SortedEventsCoder of(SortSettings settings) {
    return new SortedEventsCoder(settings);
  }

  @Override
  public void encode(Iterable<CaptureEvent> value, OutputStream out) throws IOException {
    if (value == null) {
      throw new CoderException("cannot encode a null group");
    }
    // Always the block format (never the size-prefixed one of collections): the same events give
    // the same bytes however they are held, and the size need not be known up front. One
    // iterator, so that its duplicate count is the one of the events written.
    Iterator<CaptureEvent> events = value.iterator();
    WIRE.encode(oneShot(events), out);
    VarInt.encode(duplicatesDropped(events), out);
  }

  /** The iterable {@code IterableCoder} walks: {@code events}, which it asks for exactly once. */
  private static Iterable<CaptureEvent> oneShot(Iterator<CaptureEvent> events) {
    return () -> events;
  }

  /** What an exhausted iterator says it dropped; 0 for iterators that do not say. */
  private static long duplicatesDropped(Iterator<CaptureEvent> exhausted) {
    return exhausted instanceof DuplicateCount
        ? ((DuplicateCount) exhausted).duplicatesDropped()
        : 0;
  }

  @Override
  public Iterable<CaptureEvent> decode(InputStream in) throws IOException {
    try {
      WireReader events = new WireReader(in);
      ArrayList<CaptureEvent> head = new ArrayList<>();
      long bytes = 0;
      while (events.hasNext()
          && head.size() < settings.maxEventsInMemory()
          && bytes < settings.maxBytesInMemory()) {
        CaptureEvent e = events.next();
        head.add(e);
        bytes += ExternalSorter.estimateHeapBytes(e);
      }
      if (!events.hasNext()) {
        return SortedEvents.inMemory(head, decodeTrailer(in));
      }
      // Too big for memory: the rest goes straight from the stream to a run file.
      SpillDirectory dir = SpillDirectory.under(settings.spillDirectory());
      RunFile run =
          RunFile.write(dir, settings.compressSpill(), Iterators.concat(head.iterator(), events));
      long duplicates;
      try {
        duplicates = decodeTrailer(in);
      } catch (IOException | RuntimeException e) {
        dir.delete(run.path, run.bytes);
        throw e;
      }
      return SortedEvents.onDisk(dir, List.of(run), duplicates);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static long decodeTrailer(InputStream in) throws IOException {
    long duplicates;
    try {
      duplicates = VarInt.decodeLong(in);
    } catch (EOFException e) {
      throw new CoderException(
          "SortedEventsCoder: the duplicate count after the events is missing");
    }
    if (duplicates < 0) {
      throw new CoderException("SortedEventsCoder read a negative duplicate count: " + duplicates);
    }
    return duplicates;
  }

  @Override
  public void registerByteSizeObserver(
      Iterable<CaptureEvent> value, ElementByteSizeObserver observer) throws Exception {
    Iterator<CaptureEvent> events = value.iterator();
    WIRE.registerByteSizeObserver(oneShot(events), observer);
    observer.update((long) VarInt.getLength(duplicatesDropped(events)));
  }

  /** Deterministic: a group always encodes the same events in the same order, then its count. */
  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SortedEventsCoder && ((SortedEventsCoder) o).settings.equals(settings);
  }

  @Override
  public int hashCode() {
    return settings.hashCode();
  }

  @Override
  public String toString() {
    return "SortedEventsCoder";
  }

  /**
   * Reads the iterable wire format one event at a time: a big-endian int count, or -1 followed by
   * blocks of (var-int count, events) ending with a zero count. Checks the send order.
   */
  private static final class WireReader implements Iterator<CaptureEvent> {
    private final InputStream in;
    private long remainingInBlock;
    private boolean blocks;
    private boolean done;
    private @Nullable CaptureEvent previous;

    WireReader(InputStream in) throws IOException {
      this.in = in;
      int size = new DataInputStream(in).readInt();
      if (size >= 0) {
        remainingInBlock = size;
        done = size == 0;
      } else {
        blocks = true;
        nextBlock();
      }
    }

    private void nextBlock() throws IOException {
      long count = VarInt.decodeLong(in);
      if (count < 0) {
        throw new CoderException("lazily fetched iterables are not supported by SortedEventsCoder");
      }
      remainingInBlock = count;
      done = count == 0;
    }

    @Override
    public boolean hasNext() {
      return !done;
    }

    @Override
    public CaptureEvent next() {
      if (done) {
        throw new NoSuchElementException();
      }
      try {
        CaptureEvent e = EVENT.decode(in);
        if (previous != null && EventOrder.EVENTS.compare(previous, e) > 0) {
          throw new CoderException(
              "SortedEventsCoder decoded events out of send order: " + e + " after " + previous);
        }
        previous = e;
        if (--remainingInBlock == 0) {
          if (blocks) {
            nextBlock();
          } else {
            done = true;
          }
        }
        return e;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
