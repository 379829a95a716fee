package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.event.CaptureEvent;
import java.io.IOException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups events by shard key and puts each group in send order ({@link
 * dev.hogbeam.event.EventOrder}: timestamp, then uuid), dropping repeated events, with memory
 * bounded whatever the size of a group.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li><b>Order.</b> The output has one element per key; its iterable yields the key's events in
 *       send order ({@link dev.hogbeam.event.EventOrder}: timestamp, uuid, event name,
 *       distinct_id), each position once. It is iterable any number of times, lazily: see {@link
 *       SortedEvents}.
 *   <li><b>Duplicates.</b> Events of one key equal in timestamp, uuid, event name and distinct_id
 *       are sent once; which copy is kept does not depend on input order ({@link
 *       ExternalSorter#TOTAL_ORDER}). Sources have already dropped their own copies by then (the
 *       ClickHouse reader keeps what the source table's merge keeps, see {@code
 *       dev.hogbeam.clickhouse.ShardReader}; Amplitude drops repeated insert ids), so these are
 *       exact repeats. Events that share a uuid but differ in timestamp, name or distinct_id are
 *       all sent. Each iterator of a group is a {@link dev.hogbeam.event.DuplicateCount}: once
 *       exhausted, it gives the copies dropped from that group (the writer puts them in the group's
 *       stats); a copy made through {@link SortedEventsCoder} gives the same count. The counter
 *       {@code OrderEvents/duplicatesDropped} totals them: the copies found while sorting when a
 *       group is sorted, those of a spilled group's lazy final merge when the group is first read
 *       to the end (a group never read to the end is undercounted).
 *   <li><b>Memory.</b> A worker sorting a group holds at most {@code maxBytesInMemory} (default 64
 *       MiB, estimated) or {@code maxEventsInMemory} buffered events plus about 200 KiB per run
 *       merged ({@code maxOpenRuns}, default 64); larger groups are spilled as sorted LZ4 runs to
 *       the spill directory (default {@code java.io.tmpdir/hogbeam-sort-<host>-<pid>}), about the
 *       group's encoded size on disk. Files go when their group is closed or unreachable, and at
 *       JVM exit.
 *   <li><b>Parallelism.</b> One group is sorted by one worker thread; keys are sorted in parallel.
 * </ul>
 *
 * <p><b>How a sorted group reaches the next transform.</b> The group goes on as a lazy, disk-backed
 * iterable, never as a list. Whether it stays that way depends on the runner passing it by
 * reference to the consumer, which these rules make possible:
 *
 * <ul>
 *   <li>Apply exactly ONE transform to the output (the writer). The input has one consumer (the
 *       group-by-key), the sort is a single-output DoFn and the group-by-key feeds only it, so on
 *       Flink (batch, the default DataSet translation) group-by-key, sort and writer run chained in
 *       one task and the group is handed over by reference. A second consumer of the sorted groups,
 *       or a side output of the sort, would make Flink serialize the whole group into one byte
 *       array (which fails past 2 GiB); a second consumer of the input would decode and shuffle
 *       every event once more. This is why the duplicate counts travel with the group's iterator
 *       instead of in an output of their own.
 *   <li>Dataflow fuses the sort with its consumer and also hands the group over by reference.
 *   <li>The DirectRunner keeps every group in memory in its group-by-key and, with its default
 *       checks, encodes each output into a byte array: it is for tests, not for large groups.
 *   <li>Whenever a runner does copy a group through {@link SortedEventsCoder}, the copy is decoded
 *       into a disk-backed iterable once it passes the in-memory limit.
 * </ul>
 */
public final class OrderEvents
    extends PTransform<
        PCollection<KV<String, CaptureEvent>>, PCollection<KV<String, Iterable<CaptureEvent>>>> {
  private static final Logger LOG = LoggerFactory.getLogger(OrderEvents.class);

  private static final Counter EVENTS_IN = Metrics.counter(OrderEvents.class, "eventsIn");

  /** Incremented by the sort and by the first complete read of a spilled group. */
  static final Counter DUPLICATES = Metrics.counter(OrderEvents.class, "duplicatesDropped");

  private static final Counter GROUPS_SPILLED = Metrics.counter(OrderEvents.class, "groupsSpilled");
  private static final Counter BYTES_SPILLED = Metrics.counter(OrderEvents.class, "bytesSpilled");

  private final SortSettings settings;

  private OrderEvents(SortSettings settings) {
    this.settings = settings;
  }

  /** Orders events per key with {@link SortSettings#defaults()}. */
  public static OrderEvents create() {
    return new OrderEvents(SortSettings.defaults());
  }

  /** Events buffered in memory before a sorted run is spilled to disk (default 250,000). */
  public OrderEvents withMaxEventsInMemory(long maxEventsInMemory) {
    checkArgument(
        maxEventsInMemory >= 1, "maxEventsInMemory must be >= 1, but was %s", maxEventsInMemory);
    return new OrderEvents(settings.withMaxEventsInMemory(maxEventsInMemory));
  }

  /** Estimated heap bytes of buffered events before a sorted run is spilled (default 64 MiB). */
  public OrderEvents withMaxBytesInMemory(long maxBytesInMemory) {
    checkArgument(
        maxBytesInMemory >= 1, "maxBytesInMemory must be >= 1, but was %s", maxBytesInMemory);
    return new OrderEvents(settings.withMaxBytesInMemory(maxBytesInMemory));
  }

  /** Runs merged at once, and so files open at once per group (default 64). */
  public OrderEvents withMaxOpenRuns(int maxOpenRuns) {
    checkArgument(maxOpenRuns >= 2, "maxOpenRuns must be >= 2, but was %s", maxOpenRuns);
    return new OrderEvents(settings.withMaxOpenRuns(maxOpenRuns));
  }

  /**
   * Where spill files go: a local directory of every worker; each JVM uses its own subdirectory
   * {@code hogbeam-sort-<host>-<pid>}. Default: {@code java.io.tmpdir}.
   */
  public OrderEvents withSpillDirectory(String spillDirectory) {
    checkArgument(
        spillDirectory != null && !spillDirectory.isBlank(),
        "spillDirectory must be a directory path, but was '%s'",
        spillDirectory);
    return new OrderEvents(settings.withSpillDirectory(spillDirectory));
  }

  /** Whether spill files are LZ4-compressed (default true: about 40% smaller, as fast to read). */
  public OrderEvents withCompressedSpill(boolean compressedSpill) {
    return new OrderEvents(settings.withCompressSpill(compressedSpill));
  }

  SortSettings settings() {
    return settings;
  }

  /**
   * One element per key: its events in send order without duplicates, as a lazy {@link
   * SortedEvents}. Give it exactly one consumer (see above).
   */
  @Override
  public PCollection<KV<String, Iterable<CaptureEvent>>> expand(
      PCollection<KV<String, CaptureEvent>> input) {
    @SuppressWarnings("unchecked") // the input is KV<String, CaptureEvent>, so is its KvCoder
    Coder<String> keyCoder =
        input.getCoder() instanceof KvCoder
            ? ((KvCoder<String, CaptureEvent>) input.getCoder()).getKeyCoder()
            : StringUtf8Coder.of();

    // 1. One group per shard key. The sort below is its only consumer, so runners can stream the
    //    group into it (Flink hands over a one-pass iterator over its own sorted, spilled data).
    PCollection<KV<String, Iterable<CaptureEvent>>> grouped =
        input.apply("Group by shard", GroupByKey.create());

    // 2. Sort each group with bounded memory and drop repeated events. One output only,
    //    so the sorted group can reach its consumer by reference; the group's iterators count
    //    what was dropped.
    return grouped
        .apply("Sort shard", ParDo.of(new SortShardFn(settings)))
        .setCoder(KvCoder.of(keyCoder, SortedEventsCoder.of(settings)));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("maxEventsInMemory", settings.maxEventsInMemory()))
        .add(DisplayData.item("maxBytesInMemory", settings.maxBytesInMemory()))
        .add(DisplayData.item("maxOpenRuns", settings.maxOpenRuns()))
        .addIfNotNull(DisplayData.item("spillDirectory", settings.spillDirectory()))
        .add(DisplayData.item("compressedSpill", settings.compressSpill()));
  }

  /**
   * Finishes the sort of group {@code key}, with this transform's counters and log line: for a step
   * that feeds an {@link ExternalSorter} itself (the fused read-sort-send path) and must count as
   * this transform does. The result owns the spill files; {@code sorter} is done.
   */
  public static SortedEvents finishGroup(String key, ExternalSorter sorter) throws IOException {
    SortedEvents sorted = sorter.finish();
    long events = sorter.eventsAdded();
    DUPLICATES.inc(sorter.duplicatesDropped());
    if (sorted.isOnDisk()) {
      GROUPS_SPILLED.inc();
      BYTES_SPILLED.inc(sorter.bytesSpilled());
      LOG.info(
          "Sorted shard {} on disk: {} events, {} runs written, {} bytes",
          key,
          events,
          sorter.runsWritten(),
          sorter.bytesSpilled());
    }
    EVENTS_IN.inc(events);
    return sorted;
  }

  /** Sorts one group; the result owns its spill files. Its only output is the sorted group. */
  static final class SortShardFn
      extends DoFn<KV<String, Iterable<CaptureEvent>>, KV<String, Iterable<CaptureEvent>>> {
    private final SortSettings settings;

    SortShardFn(SortSettings settings) {
      this.settings = settings;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<CaptureEvent>> group,
        OutputReceiver<KV<String, Iterable<CaptureEvent>>> out)
        throws IOException {
      SortedEvents sorted;
      try (ExternalSorter sorter = ExternalSorter.create(settings)) {
        for (CaptureEvent e : group.getValue()) {
          sorter.add(e);
        }
        sorted = finishGroup(group.getKey(), sorter);
      }
      out.output(KV.of(group.getKey(), sorted));
    }
  }
}
