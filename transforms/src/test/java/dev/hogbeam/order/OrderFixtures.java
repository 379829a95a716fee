package dev.hogbeam.order;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DuplicateCount;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.testing.OrderTestEvents;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/** Input and expectations shared by the OrderEvents tests on the DirectRunner and on Flink. */
final class OrderFixtures {
  static final long T0 = 1_714_521_600_000_000L; // 2024-05-01T00:00:00Z
  static final String BIG = "2024-05-01";
  static final String MEDIUM = "2024-05-02";
  static final String SINGLE = "2024-05-03";
  static final String TINY = "2024-05-04";

  static final String A = "0a000000-0000-0000-0000-000000000000";
  static final String B = "0b000000-0000-0000-0000-000000000000";

  /** Big: 600 events, 60 of them copies; medium: 40 events, none; single: 1; tiny: spelled out. */
  static Map<String, List<CaptureEvent>> input() {
    Map<String, List<CaptureEvent>> byKey = new LinkedHashMap<>();
    byKey.put(BIG, events(11, 540, 60));
    byKey.put(MEDIUM, events(12, 40, 0));
    byKey.put(SINGLE, events(13, 1, 0));
    byKey.put(
        TINY,
        List.of(
            CaptureEvent.of(B, "$pageview", "u1", T0 + 2, "{\"n\":1}"),
            CaptureEvent.of(A, "$pageview", "u1", T0 + 2, "{\"n\":2}"),
            CaptureEvent.of(B, "$pageview", "u1", T0 + 1, "{\"n\":3}"),
            CaptureEvent.of(A, "$pageview", "u1", T0 + 2, "{\"n\":2}")));
    return byKey;
  }

  /** {@code unique} events plus {@code copies} repeats of random earlier ones, shuffled. */
  private static List<CaptureEvent> events(long seed, int unique, int copies) {
    List<CaptureEvent> events = new ArrayList<>();
    // Timestamps within 100 µs: many ties, broken by uuid.
    OrderTestEvents.of(seed, unique, T0, 100, 150, 0).forEachRemaining(events::add);
    Random r = new Random(seed);
    for (int i = 0; i < copies; i++) {
      CaptureEvent e = events.get(r.nextInt(unique));
      events.add(
          CaptureEvent.of(
              e.uuid(), e.event(), e.distinctId(), e.timestampMicros(), "{\"copy\":" + i + "}"));
    }
    Collections.shuffle(events, r);
    return events;
  }

  static List<KV<String, CaptureEvent>> inputKvs() {
    List<KV<String, CaptureEvent>> kvs = new ArrayList<>();
    input().forEach((k, events) -> events.forEach(e -> kvs.add(KV.of(k, e))));
    return kvs;
  }

  /** The rule, independently: sort by the total order, keep the first of each (ts, uuid). */
  static List<CaptureEvent> expectedOrder(List<CaptureEvent> events) {
    List<CaptureEvent> sorted = new ArrayList<>(events);
    sorted.sort(ExternalSorter.TOTAL_ORDER);
    List<CaptureEvent> kept = new ArrayList<>();
    for (CaptureEvent e : sorted) {
      if (kept.isEmpty() || EventOrder.EVENTS.compare(kept.get(kept.size() - 1), e) != 0) {
        kept.add(e);
      }
    }
    return kept;
  }

  /** Sorts {@code events} with {@code settings}. */
  static SortedEvents sort(SortSettings settings, Iterator<CaptureEvent> events)
      throws IOException {
    try (ExternalSorter sorter = ExternalSorter.create(settings)) {
      while (events.hasNext()) {
        sorter.add(events.next());
      }
      return sorter.finish();
    }
  }

  /** Limits small enough that BIG spills 24 runs (merged down to 3) and MEDIUM 2. */
  static OrderEvents spilling(Path spillParent) {
    return OrderEvents.create()
        .withMaxEventsInMemory(25)
        .withMaxOpenRuns(3)
        .withSpillDirectory(spillParent.toString());
  }

  /**
   * What the one consumer of the ordered groups saw: per key, how the group was held and its events
   * in iteration order; and per key, the duplicates its iterator reported once exhausted.
   */
  record Ordered(
      PCollection<KV<String, KV<String, List<CaptureEvent>>>> seen,
      PCollection<KV<String, Long>> duplicates) {}

  static Ordered orderAndInspect(Pipeline p, OrderEvents order) {
    PCollectionTuple inspected =
        p.apply(
                "Events",
                Create.of(inputKvs())
                    .withCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of())))
            .apply("Order", order)
            .apply(
                "Inspect",
                ParDo.of(new InspectFn()).withOutputTags(SEEN, TupleTagList.of(DUPLICATES)));
    return new Ordered(
        inspected.get(SEEN).setCoder(SEEN_CODER),
        inspected.get(DUPLICATES).setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())));
  }

  /** Every key with the copies its group lost: BIG 60, TINY 1, the others none. */
  static List<KV<String, Long>> expectedDuplicates() {
    return List.of(KV.of(BIG, 60L), KV.of(MEDIUM, 0L), KV.of(SINGLE, 0L), KV.of(TINY, 1L));
  }

  static List<CaptureEvent> expected(String key) {
    return expectedOrder(input().get(key));
  }

  static KV<String, KV<String, List<CaptureEvent>>> seen(String key, String held) {
    return KV.of(key, KV.of(held, expected(key)));
  }

  static final KvCoder<String, KV<String, List<CaptureEvent>>> SEEN_CODER =
      KvCoder.of(
          StringUtf8Coder.of(),
          KvCoder.of(StringUtf8Coder.of(), ListCoder.of(CaptureEventCoder.of())));

  static final TupleTag<KV<String, KV<String, List<CaptureEvent>>>> SEEN = new TupleTag<>() {};
  static final TupleTag<KV<String, Long>> DUPLICATES = new TupleTag<>() {};

  /**
   * The consumer of the sorted groups, reading each group once as a writer does: outputs how the
   * group is held and its events in iteration order ({@link #SEEN}), and what the exhausted
   * iterator says was dropped ({@link #DUPLICATES}; -1 if it does not say).
   */
  static final class InspectFn
      extends DoFn<KV<String, Iterable<CaptureEvent>>, KV<String, KV<String, List<CaptureEvent>>>> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<CaptureEvent>> group, MultiOutputReceiver out) {
      List<CaptureEvent> events = new ArrayList<>();
      Iterator<CaptureEvent> it = group.getValue().iterator();
      it.forEachRemaining(events::add);
      long duplicates =
          it instanceof DuplicateCount ? ((DuplicateCount) it).duplicatesDropped() : -1;
      out.get(SEEN).output(KV.of(group.getKey(), KV.of(describe(group.getValue()), events)));
      out.get(DUPLICATES).output(KV.of(group.getKey(), duplicates));
    }
  }

  static String describe(Iterable<CaptureEvent> events) {
    if (!(events instanceof SortedEvents)) {
      return "not SortedEvents: " + events.getClass().getName();
    }
    SortedEvents s = (SortedEvents) events;
    return s.isOnDisk() ? "disk, " + s.runCount() + " runs" : "memory";
  }

  private OrderFixtures() {}
}
