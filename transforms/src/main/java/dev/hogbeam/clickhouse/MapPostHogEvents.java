package dev.hogbeam.clickhouse;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.values.TupleOutput;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Turns rows of PostHog's events table into capture events, keeping the key (the shard id).
 *
 * <p>Each event carries the source uuid (so PostHog can recognise a repeat), event, distinct_id,
 * the timestamp to the microsecond, and the stored properties plus {@code $geoip_disable: true}
 * and, for every row with a non-empty chain, {@code $elements_chain} (see {@link
 * PostHogProperties}). Stored {@code $lib} / {@code $lib_version} are kept.
 *
 * <p>A row that cannot make a valid event (empty event name, empty distinct_id, invalid uuid,
 * properties that are not one JSON object) becomes a {@link DeadLetter} (stage {@code map}, source
 * = shard id, the row as JSON as payload, a reason naming the problem); nothing is dropped.
 */
public final class MapPostHogEvents
    extends PTransform<PCollection<KV<String, EventRow>>, MapPostHogEvents.Result> {

  private static final Counter ROWS = Metrics.counter(MapPostHogEvents.class, "rows");
  private static final Counter EVENTS = Metrics.counter(MapPostHogEvents.class, "events");
  private static final Counter DEAD_LETTERS =
      Metrics.counter(MapPostHogEvents.class, "deadLetters");
  private static final Counter CHAINS = Metrics.counter(MapPostHogEvents.class, "elementsChains");
  private static final Counter REPLACED_KEYS =
      Metrics.counter(MapPostHogEvents.class, "replacedExistingKeys");

  private MapPostHogEvents() {}

  public static MapPostHogEvents create() {
    return new MapPostHogEvents();
  }

  /** What one row became: exactly one of {@code event} and {@code deadLetter} is set. */
  public record Outcome(@Nullable CaptureEvent event, @Nullable DeadLetter deadLetter) {}

  /** Maps one row: a capture event, or a dead letter saying why not. Pure; the DoFn only routes. */
  public static Outcome map(String shardId, EventRow row) {
    String reason = null;
    if (row.event().isEmpty()) {
      reason = "event name is empty";
    } else if (row.distinctId().isEmpty()) {
      reason = "distinct_id is empty";
    } else if (!CaptureEvent.isValidUuid(row.uuid())) {
      reason = "uuid is not a valid UUID";
    }
    if (reason == null) {
      try {
        PostHogProperties.Result props =
            PostHogProperties.rewrite(row.propertiesUtf8(), row.elementsChain());
        if (props.change() == PostHogProperties.Change.REPLACED_EXISTING_KEYS) {
          REPLACED_KEYS.inc();
        }
        return new Outcome(
            CaptureEvent.ofUtf8Properties(
                row.uuid(), row.event(), row.distinctId(), row.timestampMicros(), props.utf8()),
            null);
      } catch (PostHogProperties.InvalidPropertiesException e) {
        reason = e.getMessage();
      }
    }
    String uuid = CaptureEvent.isValidUuid(row.uuid()) ? row.uuid() : null;
    return new Outcome(null, DeadLetter.of("map", shardId, uuid, row.toJson(), 0, reason, 0));
  }

  /**
   * {@link #map}, counted in this transform's metrics: for a step that maps rows itself (the fused
   * read-sort-send path) and must count as this transform does.
   */
  public static Outcome mapCounted(String shardId, EventRow row) {
    ROWS.inc();
    Outcome mapped = map(shardId, row);
    if (mapped.event() != null) {
      EVENTS.inc();
      if (!row.elementsChain().isEmpty()) {
        CHAINS.inc();
      }
    } else {
      DEAD_LETTERS.inc();
    }
    return mapped;
  }

  @Override
  public Result expand(PCollection<KV<String, EventRow>> rows) {
    TupleTag<KV<String, CaptureEvent>> eventsTag = new TupleTag<KV<String, CaptureEvent>>() {};
    TupleTag<DeadLetter> deadTag = new TupleTag<DeadLetter>() {};
    PCollectionTuple out =
        rows.apply(
            "Map rows",
            ParDo.of(new MapFn(eventsTag, deadTag))
                .withOutputTags(eventsTag, TupleTagList.of(deadTag)));
    out.get(eventsTag).setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
    out.get(deadTag).setCoder(DeadLetterCoder.of());
    return new Result(out, eventsTag, deadTag);
  }

  private static final class MapFn extends DoFn<KV<String, EventRow>, KV<String, CaptureEvent>> {
    private final TupleTag<KV<String, CaptureEvent>> eventsTag;
    private final TupleTag<DeadLetter> deadTag;

    MapFn(TupleTag<KV<String, CaptureEvent>> eventsTag, TupleTag<DeadLetter> deadTag) {
      this.eventsTag = eventsTag;
      this.deadTag = deadTag;
    }

    @ProcessElement
    public void process(@Element KV<String, EventRow> in, MultiOutputReceiver out) {
      Outcome mapped = mapCounted(in.getKey(), in.getValue());
      if (mapped.event() != null) {
        out.get(eventsTag).output(KV.of(in.getKey(), mapped.event()));
      } else {
        out.get(deadTag).output(mapped.deadLetter());
      }
    }
  }

  /** The events (keyed as their rows were) and the rows that could not be mapped. */
  public static final class Result extends TupleOutput {
    private final TupleTag<KV<String, CaptureEvent>> eventsTag;
    private final TupleTag<DeadLetter> deadTag;

    private Result(
        PCollectionTuple outputs,
        TupleTag<KV<String, CaptureEvent>> eventsTag,
        TupleTag<DeadLetter> deadTag) {
      super(outputs);
      this.eventsTag = eventsTag;
      this.deadTag = deadTag;
    }

    public PCollection<KV<String, CaptureEvent>> getEvents() {
      return get(eventsTag);
    }

    public PCollection<DeadLetter> getDeadLetters() {
      return get(deadTag);
    }
  }
}
