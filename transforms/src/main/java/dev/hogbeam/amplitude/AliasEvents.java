package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.order.OrderingKey;
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
 * Alias events: one per (device id, user id) pair, the first time the pair is seen, so the events a
 * device sent before its user logged in join that user's person in PostHog.
 *
 * <p>{@link #firstSightings()} finds, across the whole input and in parallel, each pair's earliest
 * event. {@link #newOnly} drops the pairs an earlier run already sent (a CoGroupByKey against the
 * {@link AliasPairStore}'s pairs, so millions of pairs need no side input) and those PostHog would
 * refuse to merge, and makes the alias event of every remaining pair: at the time of the pair's
 * first event, with a uuid derived from the pair (a re-send is de-duplicated by PostHog), keyed to
 * the ordering group of the USER's events so it is sent before that user's later events.
 */
public final class AliasEvents {
  /** Alias events, keyed by ordering group. */
  public static final TupleTag<KV<String, CaptureEvent>> EVENTS =
      new TupleTag<KV<String, CaptureEvent>>() {};

  /** The pairs those events are for, with each alias event's position. */
  public static final TupleTag<NewAliasPair> NEW_PAIRS = new TupleTag<NewAliasPair>() {};

  /** New, already-sent and refused pair counts. */
  public static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<KV<String, Long>>() {};

  private static final Counter NEW = Metrics.counter(AliasEvents.class, "aliasPairsNew");
  private static final Counter SENT = Metrics.counter(AliasEvents.class, "aliasPairsAlreadySent");
  private static final Counter REFUSED = Metrics.counter(AliasEvents.class, "aliasPairsRefused");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AliasEvents() {}

  /**
   * The alias event for a pair first seen at {@code timestampMicros}.
   *
   * @param mode {@link AliasMode#CREATE_ALIAS} or {@link AliasMode#IDENTIFY}
   */
  public static CaptureEvent aliasEvent(
      AliasMode mode, String deviceId, String userId, long timestampMicros) {
    checkArgument(mode != AliasMode.NONE, "no alias event in mode NONE");
    ObjectNode props = NODES.objectNode();
    String distinctId;
    if (mode == AliasMode.CREATE_ALIAS) {
      distinctId = deviceId;
      props.put("alias", userId);
    } else {
      distinctId = userId;
      props.put("$anon_distinct_id", deviceId);
    }
    props.put("$lib", AmplitudeEventMapper.LIB);
    props.put("$geoip_disable", true);
    String uuid =
        NameUuids.v5(
            "amplitude-alias\n" + mode.eventName() + "\n" + AliasPairs.pairKey(deviceId, userId));
    return CaptureEvent.of(uuid, mode.eventName(), distinctId, timestampMicros, props.toString());
  }

  /** Each pair's earliest event: pair key -> (timestamp micros, uuid). */
  public static FirstSightings firstSightings() {
    return new FirstSightings();
  }

  /**
   * Alias events for the pairs not in {@code recordedPairs} (pair keys from {@link
   * AliasPairStore#read}); null when there is no record yet.
   */
  public static NewOnly newOnly(
      AliasMode mode, OrderingKey orderingKey, @Nullable PCollection<String> recordedPairs) {
    checkArgument(mode != AliasMode.NONE, "mode NONE makes no alias events");
    return new NewOnly(mode, checkNotNull(orderingKey, "orderingKey"), recordedPairs);
  }

  /** See {@link #firstSightings()}. */
  public static final class FirstSightings
      extends PTransform<
          PCollection<MappedAmplitudeEvent>, PCollection<KV<String, KV<Long, String>>>> {
    private FirstSightings() {}

    @Override
    public PCollection<KV<String, KV<Long, String>>> expand(
        PCollection<MappedAmplitudeEvent> events) {
      return events
          .apply("Pairs of events", ParDo.of(new PairFn()))
          .setCoder(
              KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of())))
          .apply("Earliest per pair", Combine.perKey(new EarliestFn()));
    }
  }

  private static final class PairFn
      extends DoFn<MappedAmplitudeEvent, KV<String, KV<Long, String>>> {
    @ProcessElement
    public void process(
        @Element MappedAmplitudeEvent e, OutputReceiver<KV<String, KV<Long, String>>> out) {
      String device = e.deviceId();
      String user = e.userId();
      if (device != null && user != null && !device.equals(user)) {
        out.output(
            KV.of(
                AliasPairs.pairKey(device, user),
                KV.of(e.event().timestampMicros(), e.event().uuid())));
      }
    }
  }

  /** The earlier of two (timestamp, uuid) in send order. */
  static final class EarliestFn extends Combine.BinaryCombineFn<KV<Long, String>> {
    @Override
    public KV<Long, String> apply(KV<Long, String> a, KV<Long, String> b) {
      return EventOrder.compare(a.getKey(), a.getValue(), b.getKey(), b.getValue()) <= 0 ? a : b;
    }
  }

  /** See {@link #newOnly}. Output tags: {@link #EVENTS}, {@link #NEW_PAIRS}, {@link #COUNTS}. */
  public static final class NewOnly
      extends PTransform<PCollection<KV<String, KV<Long, String>>>, PCollectionTuple> {
    private final AliasMode mode;
    private final OrderingKey orderingKey;
    private final transient @Nullable PCollection<String> recordedPairs;

    private NewOnly(
        AliasMode mode, OrderingKey orderingKey, @Nullable PCollection<String> recordedPairs) {
      this.mode = mode;
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
              "Alias new pairs",
              ParDo.of(new NewPairFn(mode, orderingKey, seenTag, recordedTag))
                  .withOutputTags(EVENTS, TupleTagList.of(NEW_PAIRS).and(COUNTS)));
    }
  }

  private static final class NewPairFn
      extends DoFn<KV<String, CoGbkResult>, KV<String, CaptureEvent>> {
    private final AliasMode mode;
    private final OrderingKey orderingKey;
    private final TupleTag<KV<Long, String>> seenTag;
    private final TupleTag<Void> recordedTag;
    private transient BundleCounts counts;

    NewPairFn(
        AliasMode mode,
        OrderingKey orderingKey,
        TupleTag<KV<Long, String>> seenTag,
        TupleTag<Void> recordedTag) {
      this.mode = mode;
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
        counts.add(AmplitudeCounts.ALIAS_PAIRS_ALREADY_SENT, 1);
        return;
      }
      String device = AliasPairs.deviceId(pair.getKey());
      String user = AliasPairs.userId(pair.getKey());
      if (AliasPairs.isRefusedId(device) || AliasPairs.isRefusedId(user)) {
        REFUSED.inc();
        counts.add(AmplitudeCounts.ALIAS_PAIRS_REFUSED, 1);
        return;
      }
      CaptureEvent alias = aliasEvent(mode, device, user, seen.getKey());
      String group = orderingKey.keyFor(user, alias.timestampMicros());
      NEW.inc();
      counts.add(AmplitudeCounts.ALIAS_PAIRS_NEW, 1);
      out.get(EVENTS).output(KV.of(group, alias));
      out.get(NEW_PAIRS)
          .output(new NewAliasPair(pair.getKey(), group, alias.timestampMicros(), alias.uuid()));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      counts.flush(c, COUNTS);
    }
  }
}
