package dev.hogbeam.runners.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.order.ExternalSorter;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.order.SortSettings;
import dev.hogbeam.order.SortedEvents;
import dev.hogbeam.testing.OrderTestEvents;
import dev.hogbeam.testing.PipelineCounters;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;

/**
 * Sorts one group of N synthetic events (about {@code --propertiesBytes} of properties each, 1% of
 * them repeated) and reports time, throughput, spill size and heap: the heap peak sampled every 10
 * ms (garbage included) and the largest heap left after a garbage collection (what the sort really
 * keeps). Run it with a small fixed {@code -Xmx} to show that the heap does not grow with the
 * group.
 *
 * <pre>{@code
 * java -Xmx512m -cp <runners classpath> dev.hogbeam.runners.bench.SortBenchmark \
 *     [--events=1000000,5000000] [--propertiesBytes=700] [--spillDirectory=DIR] [--flink]
 * }</pre>
 *
 * <p>{@code --sorter} (the default) drives {@link ExternalSorter} directly; {@code --flink} runs
 * the same group through {@link OrderEvents} on embedded Flink, with a consumer that checks the
 * order and counts.
 */
public final class SortBenchmark {
  private static final long T0 = 1_714_521_600_000_000L; // 2024-05-01T00:00:00Z
  private static final long DAY_MICROS = 86_400_000_000L;
  private static final double COPIES = 0.01;

  private SortBenchmark() {}

  public static void main(String[] args) throws Exception {
    long[] sizes = {1_000_000, 5_000_000};
    int propertiesBytes = 700;
    String spillDirectory = null;
    boolean flink = false;
    for (String a : args) {
      if (a.startsWith("--events=")) {
        String[] parts = a.substring(9).split(",");
        sizes = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
          sizes[i] = Long.parseLong(parts[i].trim());
        }
      } else if (a.startsWith("--propertiesBytes=")) {
        propertiesBytes = Integer.parseInt(a.substring(18));
      } else if (a.startsWith("--spillDirectory=")) {
        spillDirectory = a.substring(17);
      } else if (a.equals("--flink")) {
        flink = true;
      } else if (!a.equals("--sorter")) {
        throw new IllegalArgumentException(
            "unknown argument "
                + a
                + "; expected --events=N[,N...], --propertiesBytes=N, "
                + "--spillDirectory=DIR, --sorter or --flink");
      }
    }
    HeapWatch heap = HeapWatch.start();
    System.out.printf(
        "max heap (-Xmx) %d MiB, %d cores, properties ~%d bytes, %.0f%% copies%n",
        Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors(),
        propertiesBytes,
        COPIES * 100);
    for (long n : sizes) {
      if (flink) {
        runFlink(n, propertiesBytes, spillDirectory, heap);
      } else {
        runSorter(n, propertiesBytes, spillDirectory, heap);
      }
    }
    heap.stop();
  }

  private static Iterator<CaptureEvent> events(long n, int propertiesBytes) {
    return OrderTestEvents.of(n, n, T0, DAY_MICROS, propertiesBytes, COPIES);
  }

  private static void runSorter(long n, int propertiesBytes, String spillDirectory, HeapWatch heap)
      throws Exception {
    // Generating the events costs time too: measured alone, so the sort's share is visible.
    long g0 = System.nanoTime();
    long generated = 0;
    for (Iterator<CaptureEvent> it = events(n, propertiesBytes); it.hasNext(); ) {
      generated += it.next().propertiesJson().length() + 100;
    }
    double generateSeconds = (System.nanoTime() - g0) / 1e9;

    heap.reset();
    SortSettings settings = SortSettings.defaults().withSpillDirectory(spillDirectory);
    long t0 = System.nanoTime();
    SortedEvents sorted;
    long runs;
    long spilled;
    try (ExternalSorter sorter = ExternalSorter.create(settings)) {
      for (Iterator<CaptureEvent> it = events(n, propertiesBytes); it.hasNext(); ) {
        sorter.add(it.next());
      }
      sorted = sorter.finish();
      runs = sorter.runsWritten();
      spilled = sorter.bytesSpilled();
    }
    long t1 = System.nanoTime();
    long out = 0;
    CaptureEvent previous = null;
    SortedEvents.EventIterator it = sorted.iterator();
    while (it.hasNext()) {
      CaptureEvent e = it.next();
      if (previous != null && EventOrder.EVENTS.compare(previous, e) >= 0) {
        throw new AssertionError("out of order: " + e + " after " + previous);
      }
      previous = e;
      out++;
    }
    long t2 = System.nanoTime();
    long duplicates = it.duplicatesDropped();
    sorted.close();
    if (out + duplicates != n) {
      throw new AssertionError(out + " events out + " + duplicates + " duplicates != " + n);
    }
    double sortSeconds = (t1 - t0) / 1e9;
    double mergeSeconds = (t2 - t1) / 1e9;
    System.out.printf(
        "ExternalSorter %,d events (~%,d MB of events): generate alone %.1f s; sort+spill %.1f s,"
            + " merge+read %.1f s, total %.1f s = %,.0f events/s (generation included);"
            + " out %,d, duplicates %,d, runs written %d, spill %,d MB;"
            + " heap peak %d MiB (sampled, garbage included), max live after GC %d MiB%n",
        n,
        generated >> 20,
        generateSeconds,
        sortSeconds,
        mergeSeconds,
        sortSeconds + mergeSeconds,
        n / (sortSeconds + mergeSeconds),
        out,
        duplicates,
        runs,
        spilled >> 20,
        heap.peakUsed() >> 20,
        heap.maxLiveAfterGc() >> 20);
  }

  private static void runFlink(long n, int propertiesBytes, String spillDirectory, HeapWatch heap)
      throws Exception {
    heap.reset();
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    OrderEvents order = OrderEvents.create();
    if (spillDirectory != null) {
      order = order.withSpillDirectory(spillDirectory);
    }
    p.apply("Indexes", GenerateSequence.from(0).to(n))
        .apply("Events", ParDo.of(new EventFn(propertiesBytes)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()))
        .apply("Order", order)
        .apply("Check", ParDo.of(new CheckFn()));
    long t0 = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long checked = counter(result, CheckFn.class, "events");
    long duplicates = counter(result, OrderEvents.class, "duplicatesDropped");
    long input = counter(result, OrderEvents.class, "eventsIn");
    System.out.printf(
        "OrderEvents on embedded Flink, one group of %,d events (+%,d copies): %.1f s = %,.0f"
            + " events/s (generation, shuffle, sort and check); checked %,d in order, duplicates"
            + " %,d, spill %,d MB; heap peak %d MiB (sampled), max live after GC %d MiB%n",
        n,
        input - n,
        seconds,
        input / seconds,
        checked,
        duplicates,
        counter(result, OrderEvents.class, "bytesSpilled") >> 20,
        heap.peakUsed() >> 20,
        heap.maxLiveAfterGc() >> 20);
    if (checked != n || duplicates != input - n) {
      throw new AssertionError("expected " + n + " events and " + (input - n) + " duplicates");
    }
  }

  private static long counter(PipelineResult result, Class<?> namespace, String name) {
    return PipelineCounters.attempted(result, namespace, name);
  }

  /** Event i of one day; every 100th is emitted twice (the copy is a duplicate). */
  static final class EventFn extends DoFn<Long, KV<String, CaptureEvent>> {
    private final int propertiesBytes;

    EventFn(int propertiesBytes) {
      this.propertiesBytes = propertiesBytes;
    }

    @ProcessElement
    public void process(@Element Long i, OutputReceiver<KV<String, CaptureEvent>> out) {
      CaptureEvent e = OrderTestEvents.of(i, 1, T0, DAY_MICROS, propertiesBytes, 0).next();
      out.output(KV.of("2024-05-01", e));
      if (i % 100 == 0) {
        out.output(KV.of("2024-05-01", e));
      }
    }
  }

  /** Iterates each group once, as the writer does, checking the order. */
  static final class CheckFn extends DoFn<KV<String, Iterable<CaptureEvent>>, Void> {
    private static final Counter EVENTS = Metrics.counter(CheckFn.class, "events");

    @ProcessElement
    public void process(@Element KV<String, Iterable<CaptureEvent>> group) {
      CaptureEvent previous = null;
      long count = 0;
      for (CaptureEvent e : group.getValue()) {
        if (previous != null && EventOrder.EVENTS.compare(previous, e) >= 0) {
          throw new IllegalStateException("out of order: " + e + " after " + previous);
        }
        previous = e;
        count++;
      }
      EVENTS.inc(count);
    }
  }

  /** Heap peak sampled every 10 ms, and the largest heap in use right after a GC. */
  static final class HeapWatch {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong liveAfterGc = new AtomicLong();
    private final Thread sampler;
    private volatile boolean running = true;

    private HeapWatch() {
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((NotificationEmitter) gc)
            .addNotificationListener(
                (notification, handback) -> {
                  if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                      notification.getType())) {
                    GarbageCollectionNotificationInfo info =
                        GarbageCollectionNotificationInfo.from(
                            (CompositeData) notification.getUserData());
                    long used =
                        info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                            .filter(en -> isHeapPool(en.getKey()))
                            .mapToLong(en -> en.getValue().getUsed())
                            .sum();
                    liveAfterGc.accumulateAndGet(used, Math::max);
                  }
                },
                null,
                null);
      }
      sampler =
          new Thread(
              () -> {
                while (running) {
                  peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                  try {
                    Thread.sleep(10);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "heap-sampler");
      sampler.setDaemon(true);
      sampler.start();
    }

    private static boolean isHeapPool(String pool) {
      return ManagementFactory.getMemoryPoolMXBeans().stream()
          .anyMatch(
              p -> p.getName().equals(pool) && p.getType() == java.lang.management.MemoryType.HEAP);
    }

    static HeapWatch start() {
      return new HeapWatch();
    }

    void reset() {
      System.gc();
      peak.set(memory.getHeapMemoryUsage().getUsed());
      liveAfterGc.set(0);
    }

    long peakUsed() {
      return peak.get();
    }

    long maxLiveAfterGc() {
      return liveAfterGc.get();
    }

    void stop() {
      running = false;
      sampler.interrupt();
    }
  }
}
