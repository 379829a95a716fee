package dev.hogbeam.mixpanel;

import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.identity.IdentityLinks;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.values.TupleOutput;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Mixpanel export lines in, PostHog events keyed by ordering group out.
 *
 * <ol>
 *   <li>Map each line ({@link MixpanelEventMapper}); a line that makes no event becomes a dead
 *       letter (stage {@code map}, the line as payload, its file or day and line number as source).
 *   <li>Key each event by its ordering group ({@link OrderingKey}, the person being the distinct
 *       id).
 *   <li>Optionally, one {@code $identify} per (device id, user id) pair not yet sent ({@link
 *       IdentityLinks}), as PostHog's importer makes: distinct_id = {@code $user_id}, {@code
 *       $anon_distinct_id} = {@code $device_id}, at the pair's first event, with a uuid named after
 *       the pair.
 * </ol>
 *
 * <p>Every line ends up as exactly one event or one dead letter. Parallel throughout.
 */
public final class ConvertMixpanelEvents
    extends PTransform<PCollection<SourceLine>, ConvertMixpanelEvents.Result> {
  private static final TupleTag<KV<String, CaptureEvent>> MAPPED = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> REFUSED = new TupleTag<>() {};
  private static final TupleTag<KV<String, KV<Long, String>>> SIGHTINGS = new TupleTag<>() {};
  private static final Counter MAPPED_LINES =
      Metrics.counter(ConvertMixpanelEvents.class, "eventsMapped");
  private static final Counter DEAD =
      Metrics.counter(ConvertMixpanelEvents.class, "linesDeadLettered");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final MixpanelEventMapper mapper;
  private final OrderingKey orderingKey;
  private final boolean identify;
  private final transient @Nullable PCollection<String> takenPairs;

  private ConvertMixpanelEvents(
      MixpanelEventMapper mapper,
      OrderingKey orderingKey,
      boolean identify,
      @Nullable PCollection<String> takenPairs) {
    this.mapper = checkNotNull(mapper, "mapper");
    this.orderingKey = checkNotNull(orderingKey, "orderingKey");
    this.identify = identify;
    this.takenPairs = takenPairs;
  }

  /**
   * @param identify make {@code $identify} events for new (device, user) pairs
   * @param takenPairs pair keys no {@code $identify} is made for (sent already), or null
   */
  public static ConvertMixpanelEvents of(
      MixpanelEventMapper mapper,
      OrderingKey orderingKey,
      boolean identify,
      @Nullable PCollection<String> takenPairs) {
    return new ConvertMixpanelEvents(mapper, orderingKey, identify, takenPairs);
  }

  /** The {@code $identify} linking a device to its user, first seen at {@code timestampMicros}. */
  public static CaptureEvent identifyEvent(String deviceId, String userId, long timestampMicros) {
    ObjectNode props = NODES.objectNode();
    props.put("$anon_distinct_id", deviceId);
    props.put("$mixpanel_user_id", userId);
    props.put("$mixpanel_device_id", deviceId);
    props.put("historical_migration", true);
    props.put("analytics_source", "mixpanel");
    props.put("$geoip_disable", true);
    String uuid = NameUuids.v5("mixpanel-identify\n" + AliasPairs.pairKey(deviceId, userId));
    return CaptureEvent.of(uuid, "$identify", userId, timestampMicros, props.toString());
  }

  @Override
  public Result expand(PCollection<SourceLine> lines) {
    PCollectionTuple mapped =
        lines.apply(
            "Map lines",
            ParDo.of(new MapFn(mapper, orderingKey, identify))
                .withOutputTags(MAPPED, TupleTagList.of(REFUSED).and(SIGHTINGS)));
    KvCoder<String, CaptureEvent> keyed = KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of());
    KvCoder<String, Long> countCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    List<PCollection<KV<String, CaptureEvent>>> events = new ArrayList<>();
    events.add(mapped.get(MAPPED).setCoder(keyed));
    mapped.get(REFUSED).setCoder(DeadLetterCoder.of());
    mapped.get(SIGHTINGS).setCoder(IdentityLinks.SIGHTING_CODER);
    List<KV<String, Long>> zeros = new ArrayList<>();
    for (String name : IdentityLinks.COUNT_NAMES) {
      zeros.add(KV.of(name, 0L));
    }
    List<PCollection<KV<String, Long>>> counts = new ArrayList<>();
    counts.add(lines.getPipeline().apply("Count names", Create.of(zeros).withCoder(countCoder)));
    PCollection<NewAliasPair> newPairs;
    if (identify) {
      PCollectionTuple links =
          mapped
              .get(SIGHTINGS)
              .apply("First sightings", IdentityLinks.firstSightings())
              .apply(
                  "New pairs",
                  IdentityLinks.newOnly(
                      ConvertMixpanelEvents::identifyEvent, orderingKey, takenPairs));
      events.add(links.get(IdentityLinks.EVENTS).setCoder(keyed));
      newPairs = links.get(IdentityLinks.NEW_PAIRS);
      counts.add(links.get(IdentityLinks.COUNTS).setCoder(countCoder));
    } else {
      newPairs = lines.getPipeline().apply("No pairs", Create.empty(NewAliasPair.Coder.of()));
    }
    return new Result(
        PCollectionList.of(events).apply("All events", Flatten.pCollections()),
        mapped.get(REFUSED),
        newPairs,
        PCollectionList.of(counts)
            .apply("All counts", Flatten.pCollections())
            .apply("Sum counts", Sum.longsPerKey()));
  }

  private static final class MapFn extends DoFn<SourceLine, KV<String, CaptureEvent>> {
    private final MixpanelEventMapper mapper;
    private final OrderingKey orderingKey;
    private final boolean identify;

    MapFn(MixpanelEventMapper mapper, OrderingKey orderingKey, boolean identify) {
      this.mapper = mapper;
      this.orderingKey = orderingKey;
      this.identify = identify;
    }

    @ProcessElement
    public void process(@Element SourceLine line, MultiOutputReceiver out) {
      MixpanelEventMapper.Outcome o = mapper.map(line.text());
      CaptureEvent e = o.event();
      if (e == null) {
        DEAD.inc();
        out.get(REFUSED)
            .output(DeadLetter.of("map", line.origin(), null, line.text(), 0, o.refusal(), 0));
        return;
      }
      MAPPED_LINES.inc();
      out.get(MAPPED).output(KV.of(orderingKey.keyFor(e.distinctId(), e.timestampMicros()), e));
      String device = o.deviceId();
      String user = o.userId();
      if (identify && device != null && user != null && !device.equals(user)) {
        out.get(SIGHTINGS)
            .output(KV.of(AliasPairs.pairKey(device, user), KV.of(e.timestampMicros(), e.uuid())));
      }
    }
  }

  /** What the conversion produced. */
  public static final class Result extends TupleOutput {
    private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events");
    private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");
    private static final TupleTag<NewAliasPair> NEW_PAIRS = new TupleTag<>("newPairs");
    private static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<>("counts");

    private Result(
        PCollection<KV<String, CaptureEvent>> events,
        PCollection<DeadLetter> deadLetters,
        PCollection<NewAliasPair> newPairs,
        PCollection<KV<String, Long>> counts) {
      super(
          PCollectionTuple.of(EVENTS, events)
              .and(DEAD_LETTERS, deadLetters)
              .and(NEW_PAIRS, newPairs)
              .and(COUNTS, counts));
    }

    /** Every event to send (mapped and {@code $identify}), keyed by ordering group. */
    public PCollection<KV<String, CaptureEvent>> getEvents() {
      return get(EVENTS);
    }

    /** Lines that make no event (stage {@code map}). */
    public PCollection<DeadLetter> getDeadLetters() {
      return get(DEAD_LETTERS);
    }

    /** The pairs this run sends an {@code $identify} for, with each event's position. */
    public PCollection<NewAliasPair> getNewPairs() {
      return get(NEW_PAIRS);
    }

    /** Identity-link counts by {@link IdentityLinks#COUNT_NAMES}, each present. */
    public PCollection<KV<String, Long>> getCounts() {
      return get(COUNTS);
    }
  }
}
