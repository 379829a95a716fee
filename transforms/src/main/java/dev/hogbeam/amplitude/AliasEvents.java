package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.identity.IdentityLinks;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.order.OrderingKey;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Amplitude's identity links ({@link IdentityLinks}): a {@code $create_alias} or {@code $identify}
 * ({@link AliasMode}) per (device_id, user_id) pair, the first time the pair is seen.
 */
public final class AliasEvents {
  /** Alias events, keyed by ordering group. */
  public static final TupleTag<KV<String, CaptureEvent>> EVENTS = IdentityLinks.EVENTS;

  /** The pairs those events are for, with each alias event's position. */
  public static final TupleTag<NewAliasPair> NEW_PAIRS = IdentityLinks.NEW_PAIRS;

  /** New, already-sent and refused pair counts. */
  public static final TupleTag<KV<String, Long>> COUNTS = IdentityLinks.COUNTS;

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
  public static PTransform<
          PCollection<MappedAmplitudeEvent>, PCollection<KV<String, KV<Long, String>>>>
      firstSightings() {
    return new PTransform<>() {
      @Override
      public PCollection<KV<String, KV<Long, String>>> expand(
          PCollection<MappedAmplitudeEvent> events) {
        return events
            .apply("Pairs of events", ParDo.of(new PairFn()))
            .setCoder(IdentityLinks.SIGHTING_CODER)
            .apply("First sightings", IdentityLinks.firstSightings());
      }
    };
  }

  /**
   * Alias events for the pairs not in {@code recordedPairs} (pair keys from {@link
   * dev.hogbeam.identity.AliasPairStore#read}); null when there is no record yet.
   */
  public static IdentityLinks.NewOnly newOnly(
      AliasMode mode, OrderingKey orderingKey, @Nullable PCollection<String> recordedPairs) {
    checkArgument(mode != AliasMode.NONE, "mode NONE makes no alias events");
    return IdentityLinks.newOnly(
        (device, user, micros) -> aliasEvent(mode, device, user, micros),
        orderingKey,
        recordedPairs);
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
}
