package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.auto.value.AutoValue;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.values.TupleOutput;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Amplitude export lines in, PostHog events keyed by ordering group out: the whole Amplitude side
 * between a read ({@link AmplitudeIO}) and the ordering and write stages.
 *
 * <ol>
 *   <li>Map each line ({@link MapAmplitudeEvents}); bad lines become dead letters, session events
 *       are dropped and counted.
 *   <li>Drop copies with the same (device_id, $insert_id) ({@link DeduplicateInsertIds}).
 *   <li>Key each event by its ordering group ({@link OrderingKey}) and the person it belongs to.
 *   <li>Alias events for (device, user) pairs not yet recorded as sent ({@link AliasEvents}).
 *   <li>Optionally, one {@code $groupidentify} per group ({@link GroupIdentifyEvents}).
 * </ol>
 *
 * <p>Guarantees: bounded; every line ends up as exactly one of: an event, a dead letter, a counted
 * drop (session event, insert-id duplicate). Made-up uuids are deterministic, so re-running on the
 * same input yields the same events. Parallel throughout (the de-duplication and the pair join are
 * shuffles, no side inputs).
 */
public final class ConvertAmplitudeEvents
    extends PTransform<PCollection<SourceLine>, ConvertAmplitudeEvents.Result> {
  /** The conversion's configuration. */
  @AutoValue
  abstract static class Settings implements Serializable {
    abstract boolean keepEventNames();

    abstract boolean keepSessionEvents();

    abstract AliasMode aliasMode();

    abstract boolean groupIdentify();

    abstract OrderingKey orderingKey();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder keepEventNames(boolean keep);

      abstract Builder keepSessionEvents(boolean keep);

      abstract Builder aliasMode(AliasMode mode);

      abstract Builder groupIdentify(boolean enabled);

      abstract Builder orderingKey(OrderingKey key);

      abstract Settings build();
    }
  }

  private final Settings settings;
  private final transient @Nullable PCollection<String> recordedAliasPairs;

  private ConvertAmplitudeEvents(
      Settings settings, @Nullable PCollection<String> recordedAliasPairs) {
    this.settings = settings;
    this.recordedAliasPairs = recordedAliasPairs;
  }

  /**
   * Defaults: PostHog's event names, session events dropped, {@code $create_alias} for new pairs,
   * no group identify, ordering by UTC day, no pairs recorded yet.
   */
  public static ConvertAmplitudeEvents create() {
    return new ConvertAmplitudeEvents(
        new AutoValue_ConvertAmplitudeEvents_Settings.Builder()
            .keepEventNames(false)
            .keepSessionEvents(false)
            .aliasMode(AliasMode.CREATE_ALIAS)
            .groupIdentify(false)
            .orderingKey(OrderingKey.day())
            .build(),
        null);
  }

  private ConvertAmplitudeEvents with(Settings.Builder changed) {
    return new ConvertAmplitudeEvents(changed.build(), recordedAliasPairs);
  }

  /** Send Amplitude's event names as they are (no $pageview, $autocapture, $set renames). */
  public ConvertAmplitudeEvents withKeepEventNames(boolean keep) {
    return with(settings.toBuilder().keepEventNames(keep));
  }

  /** Send session_start / session_end instead of dropping them. */
  public ConvertAmplitudeEvents withKeepSessionEvents(boolean keep) {
    return with(settings.toBuilder().keepSessionEvents(keep));
  }

  /** How new (device, user) pairs are told to PostHog; {@link AliasMode#NONE} for not at all. */
  public ConvertAmplitudeEvents withAliasMode(AliasMode mode) {
    checkArgument(mode != null, "aliasMode must not be null");
    return with(settings.toBuilder().aliasMode(mode));
  }

  /** Make one {@code $groupidentify} per group from the events' group properties. */
  public ConvertAmplitudeEvents withGroupIdentify(boolean enabled) {
    return with(settings.toBuilder().groupIdentify(enabled));
  }

  /** How events are grouped for ordering (default {@link OrderingKey#day()}). */
  public ConvertAmplitudeEvents withOrderingKey(OrderingKey key) {
    checkArgument(key != null, "orderingKey must not be null");
    return with(settings.toBuilder().orderingKey(key));
  }

  /** Pairs already sent by earlier runs ({@link AliasPairStore#read}); no alias event for them. */
  public ConvertAmplitudeEvents withRecordedAliasPairs(PCollection<String> pairKeys) {
    checkNotNull(pairKeys, "recordedAliasPairs");
    return new ConvertAmplitudeEvents(settings, pairKeys);
  }

  @Override
  public Result expand(PCollection<SourceLine> lines) {
    Pipeline p = lines.getPipeline();
    List<PCollection<KV<String, CaptureEvent>>> events = new ArrayList<>();
    List<PCollection<KV<String, Long>>> counts = new ArrayList<>();
    List<KV<String, Long>> zeros = new ArrayList<>();
    for (String name : AmplitudeCounts.ALL) {
      zeros.add(KV.of(name, 0L));
    }
    KvCoder<String, Long> countCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    counts.add(p.apply("Count names", Create.of(zeros).withCoder(countCoder)));

    // 1. Map lines to events.
    PCollectionTuple mapped =
        lines.apply(
            "Map events",
            ParDo.of(
                    MapAmplitudeEvents.of(
                        settings.keepEventNames(),
                        settings.keepSessionEvents(),
                        settings.groupIdentify()))
                .withOutputTags(
                    MapAmplitudeEvents.EVENTS,
                    TupleTagList.of(MapAmplitudeEvents.DEAD_LETTERS)
                        .and(MapAmplitudeEvents.COUNTS)));
    counts.add(mapped.get(MapAmplitudeEvents.COUNTS).setCoder(countCoder));

    // 2. Drop (device_id, $insert_id) duplicates.
    PCollectionTuple deduplicated =
        mapped
            .get(MapAmplitudeEvents.EVENTS)
            .apply("Deduplicate insert ids", DeduplicateInsertIds.create());
    PCollection<MappedAmplitudeEvent> unique = deduplicated.get(DeduplicateInsertIds.EVENTS);
    counts.add(deduplicated.get(DeduplicateInsertIds.COUNTS));

    // 3. Key events by ordering group.
    KvCoder<String, CaptureEvent> keyedCoder =
        KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of());
    events.add(
        unique
            .apply("Key by ordering group", ParDo.of(new KeyFn(settings.orderingKey())))
            .setCoder(keyedCoder));

    // 4. Alias events for new (device, user) pairs.
    PCollection<NewAliasPair> newPairs;
    if (settings.aliasMode() == AliasMode.NONE) {
      newPairs = p.apply("No alias pairs", Create.empty(NewAliasPair.Coder.of()));
    } else {
      PCollectionTuple aliases =
          unique
              .apply("First sightings", AliasEvents.firstSightings())
              .apply(
                  "New aliases",
                  AliasEvents.newOnly(
                      settings.aliasMode(), settings.orderingKey(), recordedAliasPairs));
      events.add(aliases.get(AliasEvents.EVENTS).setCoder(keyedCoder));
      newPairs = aliases.get(AliasEvents.NEW_PAIRS);
      counts.add(aliases.get(AliasEvents.COUNTS).setCoder(countCoder));
    }

    // 5. Group identify.
    if (settings.groupIdentify()) {
      PCollection<KV<String, CaptureEvent>> groups =
          unique.apply("Group identify", GroupIdentifyEvents.keyedBy(settings.orderingKey()));
      events.add(groups);
      counts.add(
          groups
              .apply(
                  "Count group identify",
                  MapElements.into(
                          TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                      .via(e -> KV.of(AmplitudeCounts.GROUP_IDENTIFY_EVENTS, 1L)))
              .setCoder(countCoder));
    }

    PCollection<KV<String, CaptureEvent>> all =
        PCollectionList.of(events).apply("All events", Flatten.pCollections());
    PCollection<KV<String, Long>> totals =
        PCollectionList.of(counts)
            .apply("All counts", Flatten.pCollections())
            .apply("Sum counts", Sum.longsPerKey());
    return new Result(all, mapped.get(MapAmplitudeEvents.DEAD_LETTERS), newPairs, totals);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("keepEventNames", settings.keepEventNames()))
        .add(DisplayData.item("keepSessionEvents", settings.keepSessionEvents()))
        .add(DisplayData.item("aliasMode", settings.aliasMode().name()))
        .add(DisplayData.item("groupIdentify", settings.groupIdentify()))
        .add(DisplayData.item("orderingKey", settings.orderingKey().toString()));
  }

  private static final class KeyFn extends DoFn<MappedAmplitudeEvent, KV<String, CaptureEvent>> {
    private final OrderingKey orderingKey;

    KeyFn(OrderingKey orderingKey) {
      this.orderingKey = orderingKey;
    }

    @ProcessElement
    public void process(
        @Element MappedAmplitudeEvent e, OutputReceiver<KV<String, CaptureEvent>> out) {
      out.output(KV.of(orderingKey.keyFor(e.personId(), e.event().timestampMicros()), e.event()));
    }
  }

  /** What the conversion produced. */
  public static final class Result extends TupleOutput {
    private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events");
    private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");
    private static final TupleTag<NewAliasPair> NEW_PAIRS = new TupleTag<>("newAliasPairs");
    private static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<>("counts");

    private Result(
        PCollection<KV<String, CaptureEvent>> events,
        PCollection<DeadLetter> deadLetters,
        PCollection<NewAliasPair> newAliasPairs,
        PCollection<KV<String, Long>> counts) {
      super(
          PCollectionTuple.of(EVENTS, events)
              .and(DEAD_LETTERS, deadLetters)
              .and(NEW_PAIRS, newAliasPairs)
              .and(COUNTS, counts));
    }

    /** Every event to send (mapped, alias, group identify), keyed by ordering group. */
    public PCollection<KV<String, CaptureEvent>> getEvents() {
      return get(EVENTS);
    }

    /** Lines that could not be mapped (stage {@code map}). */
    public PCollection<DeadLetter> getDeadLetters() {
      return get(DEAD_LETTERS);
    }

    /** The pairs this run sends alias events for, with each alias event's position. */
    public PCollection<NewAliasPair> getNewAliasPairs() {
      return get(NEW_PAIRS);
    }

    /** Exact counts by {@link AmplitudeCounts} name; every name present, 0 when nothing. */
    public PCollection<KV<String, Long>> getCounts() {
      return get(COUNTS);
    }
  }
}
