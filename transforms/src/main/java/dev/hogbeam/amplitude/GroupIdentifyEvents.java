package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.order.OrderingKey;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code $groupidentify} events from the group properties Amplitude events carry ({@code
 * group_properties}: type -> key -> properties): ONE per group (type, key) per run, with the
 * properties of the latest event (in send order) that carried that group, at that event's time.
 *
 * <p>Why only the latest: PostHog keeps only a group's current properties (events do not carry a
 * version of them), {@code $group_set} merges rather than replaces, and with per-day ordering the
 * days are sent in parallel, so several group-identify events of one group could arrive in any
 * order. One per group makes the final properties exactly the latest Amplitude knew, whatever the
 * ordering. Its uuid derives from the group and its properties, so a re-run re-sends the same uuid.
 *
 * <p>The event: distinct_id {@code $<type>_<key>} (as posthog-python's group_identify), properties
 * {@code $group_type}, {@code $group_key}, {@code $group_set}, {@code $lib}, {@code
 * $geoip_disable}; keyed by the ordering group of that distinct id.
 */
public final class GroupIdentifyEvents
    extends PTransform<PCollection<MappedAmplitudeEvent>, PCollection<KV<String, CaptureEvent>>> {
  private static final Counter MADE =
      Metrics.counter(GroupIdentifyEvents.class, "groupIdentifyEvents");

  private final OrderingKey orderingKey;

  private GroupIdentifyEvents(OrderingKey orderingKey) {
    this.orderingKey = orderingKey;
  }

  public static GroupIdentifyEvents keyedBy(OrderingKey orderingKey) {
    return new GroupIdentifyEvents(checkNotNull(orderingKey, "orderingKey"));
  }

  @Override
  public PCollection<KV<String, CaptureEvent>> expand(PCollection<MappedAmplitudeEvent> events) {
    return events
        .apply("Group snapshots", ParDo.of(new SnapshotFn()))
        .setCoder(
            KvCoder.of(
                KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()),
                KvCoder.of(
                    KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of()), StringUtf8Coder.of())))
        .apply("Latest per group", Combine.perKey(new LatestFn()))
        .apply("Group identify", ParDo.of(new EventFn(orderingKey)));
  }

  /**
   * The group identify event of group (type, key) with {@code propertiesJson} (a JSON object's
   * text) at a time.
   */
  static CaptureEvent groupIdentifyEvent(
      String type, String key, String propertiesJson, long timestampMicros) {
    JsonStringEncoder enc = JsonStringEncoder.getInstance();
    StringBuilder props = new StringBuilder(propertiesJson.length() + 128);
    props.append("{\"$group_type\":\"");
    enc.quoteAsString(type, props);
    props.append("\",\"$group_key\":\"");
    enc.quoteAsString(key, props);
    props.append("\",\"$group_set\":").append(propertiesJson);
    props.append(",\"$lib\":\"").append(AmplitudeEventMapper.LIB);
    props.append("\",\"$geoip_disable\":true}");
    String uuid =
        NameUuids.v5("amplitude-groupidentify\n" + type + "\n" + key + "\n" + propertiesJson);
    return CaptureEvent.of(
        uuid, "$groupidentify", "$" + type + "_" + key, timestampMicros, props.toString());
  }

  /** ((type, key), ((timestamp, uuid), properties)) for each group an event carried. */
  private static final class SnapshotFn
      extends DoFn<MappedAmplitudeEvent, KV<KV<String, String>, KV<KV<Long, String>, String>>> {
    @ProcessElement
    public void process(
        @Element MappedAmplitudeEvent e,
        OutputReceiver<KV<KV<String, String>, KV<KV<Long, String>, String>>> out) {
      for (MappedAmplitudeEvent.GroupSnapshot g : e.groupSnapshots()) {
        out.output(
            KV.of(
                KV.of(g.type(), g.key()),
                KV.of(KV.of(e.event().timestampMicros(), e.event().uuid()), g.propertiesJson())));
      }
    }
  }

  /** The later snapshot in send order. */
  static final class LatestFn extends Combine.BinaryCombineFn<KV<KV<Long, String>, String>> {
    @Override
    public KV<KV<Long, String>, String> apply(
        KV<KV<Long, String>, String> a, KV<KV<Long, String>, String> b) {
      KV<Long, String> x = a.getKey();
      KV<Long, String> y = b.getKey();
      return EventOrder.compare(x.getKey(), x.getValue(), y.getKey(), y.getValue()) >= 0 ? a : b;
    }
  }

  private static final class EventFn
      extends DoFn<KV<KV<String, String>, KV<KV<Long, String>, String>>, KV<String, CaptureEvent>> {
    private final OrderingKey orderingKey;

    EventFn(OrderingKey orderingKey) {
      this.orderingKey = orderingKey;
    }

    @ProcessElement
    public void process(
        @Element KV<KV<String, String>, KV<KV<Long, String>, String>> latest,
        OutputReceiver<KV<String, CaptureEvent>> out) {
      CaptureEvent e =
          groupIdentifyEvent(
              latest.getKey().getKey(),
              latest.getKey().getValue(),
              latest.getValue().getValue(),
              latest.getValue().getKey().getKey());
      MADE.inc();
      out.output(KV.of(orderingKey.keyFor(e.distinctId(), e.timestampMicros()), e));
    }
  }
}
