package dev.hogbeam.identity;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.values.BundleCounts;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Identity links, for every source that knows a device id and a user id per event (Amplitude's
 * aliases, Mixpanel's {@code $identify}): one link event per (device id, user id) pair, the first
 * time the pair is seen, so the events a device sent before its user logged in join that user's
 * person in PostHog.
 *
 * <p>The source turns its events into sightings (pair key from {@link AliasPairs#pairKey} ->
 * (timestamp micros, event uuid)). {@link #firstSightings()} keeps each pair's earliest, across the
 * whole input and in parallel. {@link #newOnly} drops the pairs an earlier run already sent (a
 * CoGroupByKey against the {@link AliasPairStore}'s pairs, so millions of pairs need no side input)
 * and those PostHog would refuse to merge, and makes the source's link event for every remaining
 * pair at the time of its first event, keyed to the ordering group of the USER's events so it is
 * sent before that user's later events. The link event's uuid must be derived from the pair (a
 * re-send is de-duplicated by PostHog).
 */
public final class IdentityLinks {
  /** Link events, keyed by ordering group. */
  public static final TupleTag<KV<String, CaptureEvent>> EVENTS =
      new TupleTag<KV<String, CaptureEvent>>() {};

  /** The pairs those events are for, with each link event's position. */
  public static final TupleTag<NewAliasPair> NEW_PAIRS = new TupleTag<NewAliasPair>() {};

  /** New, already-sent and refused pair counts ({@link #COUNT_NAMES}). */
  public static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<KV<String, Long>>() {};

  /** (device, user) pairs seen for the first time: one link event each. */
  public static final String PAIRS_NEW = "alias_pairs_new";

  /** Pairs the pair store already holds: no link event. */
  public static final String PAIRS_ALREADY_SENT = "alias_pairs_already_sent";

  /** Pairs with an id PostHog refuses to merge (see {@link AliasPairs#isRefusedId}). */
  public static final String PAIRS_REFUSED = "alias_pairs_refused";

  /** Every count name. */
  public static final List<String> COUNT_NAMES =
      List.of(PAIRS_NEW, PAIRS_ALREADY_SENT, PAIRS_REFUSED);

  private static final Counter NEW = Metrics.counter(IdentityLinks.class, "aliasPairsNew");
  private static final Counter SENT = Metrics.counter(IdentityLinks.class, "aliasPairsAlreadySent");
  private static final Counter REFUSED = Metrics.counter(IdentityLinks.class, "aliasPairsRefused");

  private IdentityLinks() {}

  /** A source's link event for a pair first seen at {@code timestampMicros}. */
  public interface LinkEvent extends Serializable {
    CaptureEvent make(String deviceId, String userId, long timestampMicros);
  }

  /** The coder of sightings (pair key, (timestamp micros, uuid)): set it on the source's output. */
  public static final KvCoder<String, KV<Long, String>> SIGHTING_CODER =
      KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of()));

  /**
   * Each pair's earliest sighting: pair key -> (timestamp micros, uuid), earliest in send order.
   */
  public static PTransform<
          PCollection<KV<String, KV<Long, String>>>, PCollection<KV<String, KV<Long, String>>>>
      firstSightings() {
    return new PTransform<>() {
      @Override
      public PCollection<KV<String, KV<Long, String>>> expand(
          PCollection<KV<String, KV<Long, String>>> sightings) {
        return sightings.apply("Earliest per pair", Combine.perKey(new EarliestFn()));
      }
    };
  }

  /** The earlier of two (timestamp, uuid) in send order. */
  public static final class EarliestFn extends Combine.BinaryCombineFn<KV<Long, String>> {
    @Override
    public KV<Long, String> apply(KV<Long, String> a, KV<Long, String> b) {
      return EventOrder.compare(a.getKey(), a.getValue(), b.getKey(), b.getValue()) <= 0 ? a : b;
    }
  }

  /**
   * Link events for the first sightings whose pair is not in {@code recordedPairs} (pair keys from
   * {@link AliasPairStore#read}; null when there is no record yet). Output tags: {@link #EVENTS},
   * {@link #NEW_PAIRS}, {@link #COUNTS}.
   */
  public static NewOnly newOnly(
      LinkEvent linkEvent, OrderingKey orderingKey, @Nullable PCollection<String> recordedPairs) {
    return new NewOnly(
        checkNotNull(linkEvent, "linkEvent"),
        checkNotNull(orderingKey, "orderingKey"),
        recordedPairs);
  }

  /** See {@link #newOnly}. */
  public static final class NewOnly
      extends PTransform<PCollection<KV<String, KV<Long, String>>>, PCollectionTuple> {
    private final LinkEvent linkEvent;
    private final OrderingKey orderingKey;
    private final transient @Nullable PCollection<String> recordedPairs;

    private NewOnly(
        LinkEvent linkEvent, OrderingKey orderingKey, @Nullable PCollection<String> recordedPairs) {
      this.linkEvent = linkEvent;
      this.orderingKey = orderingKey;
      this.recordedPairs = recordedPairs;
    }

    @Override
    public PCollectionTuple expand(PCollection<KV<String, KV<Long, String>>> firstSeen) {
      TupleTag<KV<Long, String>> seenTag = new TupleTag<>();
      TupleTag<Void> recordedTag = new TupleTag<>();
      PCollection<String> recorded =
          recordedPairs != null
              ? recordedPairs
              : firstSeen
                  .getPipeline()
                  .apply("No recorded pairs", Create.empty(StringUtf8Coder.of()));
      PCollection<KV<String, Void>> recordedKeyed =
          recorded
              .apply(
                  "Key recorded pairs",
                  MapElements.into(
                          TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.voids()))
                      .via((String pair) -> KV.of(pair, (Void) null)))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), VoidCoder.of()));
      return KeyedPCollectionTuple.of(seenTag, firstSeen)
          .and(recordedTag, recordedKeyed)
          .apply("Join recorded pairs", CoGroupByKey.create())
          .apply(
              "Link new pairs",
              ParDo.of(new NewPairFn(linkEvent, orderingKey, seenTag, recordedTag))
                  .withOutputTags(EVENTS, TupleTagList.of(NEW_PAIRS).and(COUNTS)));
    }
  }

  private static final class NewPairFn
      extends DoFn<KV<String, CoGbkResult>, KV<String, CaptureEvent>> {
    private final LinkEvent linkEvent;
    private final OrderingKey orderingKey;
    private final TupleTag<KV<Long, String>> seenTag;
    private final TupleTag<Void> recordedTag;
    private transient BundleCounts counts;

    NewPairFn(
        LinkEvent linkEvent,
        OrderingKey orderingKey,
        TupleTag<KV<Long, String>> seenTag,
        TupleTag<Void> recordedTag) {
      this.linkEvent = linkEvent;
      this.orderingKey = orderingKey;
      this.seenTag = seenTag;
      this.recordedTag = recordedTag;
    }

    @StartBundle
    public void startBundle() {
      counts = new BundleCounts();
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> pair, MultiOutputReceiver out) {
      KV<Long, String> seen = pair.getValue().getOnly(seenTag, null);
      if (seen == null) {
        return; // recorded earlier, not in this input
      }
      if (pair.getValue().getAll(recordedTag).iterator().hasNext()) {
        SENT.inc();
        counts.add(PAIRS_ALREADY_SENT, 1);
        return;
      }
      String device = AliasPairs.deviceId(pair.getKey());
      String user = AliasPairs.userId(pair.getKey());
      if (AliasPairs.isRefusedId(device) || AliasPairs.isRefusedId(user)) {
        REFUSED.inc();
        counts.add(PAIRS_REFUSED, 1);
        return;
      }
      CaptureEvent link = linkEvent.make(device, user, seen.getKey());
      String group = orderingKey.keyFor(user, link.timestampMicros());
      NEW.inc();
      counts.add(PAIRS_NEW, 1);
      out.get(EVENTS).output(KV.of(group, link));
      out.get(NEW_PAIRS)
          .output(new NewAliasPair(pair.getKey(), group, link.timestampMicros(), link.uuid()));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      counts.flush(c, COUNTS);
    }
  }
}
