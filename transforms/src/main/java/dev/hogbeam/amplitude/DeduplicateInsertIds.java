package dev.hogbeam.amplitude;

import java.util.Comparator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Drops the extra copies of an event Amplitude would have de-duplicated: same {@code $insert_id}
 * from the same device (Amplitude de-duplicates on that pair within 7 days, but an export can hold
 * both copies, with different uuids). Of the copies, the one with the earliest server_upload_time
 * is kept, then the smallest uuid: the choice does not depend on the order events arrive in. Events
 * without an insert id pass through untouched. Copies that share only a uuid are left to the
 * ordering stage, which drops uuid duplicates.
 *
 * <p>Output: {@link #EVENTS} and {@link #COUNTS} ({@link
 * AmplitudeCounts#INSERT_ID_DUPLICATES_DROPPED}, one element per key that had copies).
 */
public final class DeduplicateInsertIds
    extends PTransform<PCollection<MappedAmplitudeEvent>, PCollectionTuple> {
  public static final TupleTag<MappedAmplitudeEvent> EVENTS =
      new TupleTag<MappedAmplitudeEvent>() {};
  public static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<KV<String, Long>>() {};

  private static final TupleTag<KV<String, MappedAmplitudeEvent>> WITH_ID =
      new TupleTag<KV<String, MappedAmplitudeEvent>>() {};
  private static final Counter DUPLICATES =
      Metrics.counter(DeduplicateInsertIds.class, "insertIdDuplicatesDropped");

  /** Which copy is kept: earliest upload, then smallest uuid. */
  static final Comparator<MappedAmplitudeEvent> PREFERRED =
      Comparator.comparingLong(MappedAmplitudeEvent::serverUploadMicros)
          .thenComparing(m -> m.event().uuid());

  private DeduplicateInsertIds() {}

  public static DeduplicateInsertIds create() {
    return new DeduplicateInsertIds();
  }

  /** The de-duplication key: the device (or, without one, the user) and the insert id. */
  static @Nullable String key(MappedAmplitudeEvent e) {
    if (e.insertId() == null) {
      return null;
    }
    String who = e.deviceId() != null ? "d" + e.deviceId() : "u" + e.userId();
    return who.length() + ":" + who + e.insertId();
  }

  @Override
  public PCollectionTuple expand(PCollection<MappedAmplitudeEvent> events) {
    PCollectionTuple split =
        events.apply(
            "Split by insert id",
            ParDo.of(new SplitFn()).withOutputTags(EVENTS, TupleTagList.of(WITH_ID)));
    PCollectionTuple kept =
        split
            .get(WITH_ID)
            .setCoder(KvCoder.of(StringUtf8Coder.of(), MappedAmplitudeEvent.Coder.of()))
            .apply("Group copies", GroupByKey.create())
            .apply(
                "Keep one",
                ParDo.of(new KeepOneFn()).withOutputTags(EVENTS, TupleTagList.of(COUNTS)));
    PCollection<MappedAmplitudeEvent> all =
        PCollectionList.of(split.get(EVENTS))
            .and(kept.get(EVENTS))
            .apply("All events", Flatten.pCollections());
    return PCollectionTuple.of(EVENTS, all)
        .and(
            COUNTS, kept.get(COUNTS).setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())));
  }

  private static final class SplitFn extends DoFn<MappedAmplitudeEvent, MappedAmplitudeEvent> {
    @ProcessElement
    public void process(@Element MappedAmplitudeEvent e, MultiOutputReceiver out) {
      String k = key(e);
      if (k == null) {
        out.get(EVENTS).output(e);
      } else {
        out.get(WITH_ID).output(KV.of(k, e));
      }
    }
  }

  private static final class KeepOneFn
      extends DoFn<KV<String, Iterable<MappedAmplitudeEvent>>, MappedAmplitudeEvent> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<MappedAmplitudeEvent>> copies, MultiOutputReceiver out) {
      MappedAmplitudeEvent best = null;
      long n = 0;
      for (MappedAmplitudeEvent e : copies.getValue()) {
        n++;
        if (best == null || PREFERRED.compare(e, best) < 0) {
          best = e;
        }
      }
      out.get(EVENTS).output(best);
      if (n > 1) {
        DUPLICATES.inc(n - 1);
        out.get(COUNTS).output(KV.of(AmplitudeCounts.INSERT_ID_DUPLICATES_DROPPED, n - 1));
      }
    }
  }
}
