package dev.hogbeam.amplitude;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.values.BundleCounts;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Maps Amplitude export lines to PostHog events ({@link AmplitudeEventMapper} does the work).
 *
 * <p>Outputs: {@link #EVENTS} (main), {@link #DEAD_LETTERS} (stage {@code map}: lines that are not
 * JSON objects, lack an event type or both ids, or have an unreadable time; with the line's file,
 * entry and line number as source and the line as payload), and {@link #COUNTS}: the number of
 * dropped session events ({@link AmplitudeCounts#SESSION_EVENTS_DROPPED}), one element per bundle
 * that dropped any.
 */
public final class MapAmplitudeEvents extends DoFn<SourceLine, MappedAmplitudeEvent> {
  public static final TupleTag<MappedAmplitudeEvent> EVENTS =
      new TupleTag<MappedAmplitudeEvent>() {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<DeadLetter>() {};
  public static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<KV<String, Long>>() {};

  private static final Counter MAPPED = Metrics.counter(MapAmplitudeEvents.class, "eventsMapped");
  private static final Counter DROPPED =
      Metrics.counter(MapAmplitudeEvents.class, "sessionEventsDropped");
  private static final Counter INVALID =
      Metrics.counter(MapAmplitudeEvents.class, "linesDeadLettered");

  private final AmplitudeEventMapper mapper;
  private transient BundleCounts counts;

  MapAmplitudeEvents(AmplitudeEventMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * @param keepEventNames send Amplitude's event names unchanged
   * @param keepSessionEvents send session_start / session_end instead of dropping them
   * @param collectGroups record group properties for {@code $groupidentify}
   */
  public static MapAmplitudeEvents of(
      boolean keepEventNames, boolean keepSessionEvents, boolean collectGroups) {
    return new MapAmplitudeEvents(
        new AmplitudeEventMapper(keepEventNames, keepSessionEvents, collectGroups));
  }

  /** What {@link #mapAgain} gave: an event, a dead letter, or neither (a dropped event). */
  public record Again(@Nullable CaptureEvent event, @Nullable DeadLetter deadLetter) {}

  /**
   * Maps one line again, outside a pipeline (a dead letter's payload, for {@code
   * --retryDeadLetters}), with the same settings as {@link #of}. Alias events are not made here:
   * the pairs a line holds were taken care of by the run that read it.
   */
  public static Again mapAgain(
      boolean keepEventNames, boolean keepSessionEvents, String origin, String line) {
    AmplitudeEventMapper.Outcome o =
        new AmplitudeEventMapper(keepEventNames, keepSessionEvents, false).map(line);
    switch (o.kind) {
      case EVENT:
        return new Again(o.event.event(), null);
      case DROPPED:
        return new Again(null, null);
      default:
        return new Again(null, DeadLetter.of("map", origin, o.uuid, line, 0, o.detail, 0));
    }
  }

  @StartBundle
  public void startBundle() {
    counts = new BundleCounts();
  }

  @ProcessElement
  public void process(@Element SourceLine line, MultiOutputReceiver out) {
    AmplitudeEventMapper.Outcome o = mapper.map(line.text());
    switch (o.kind) {
      case EVENT:
        MAPPED.inc();
        out.get(EVENTS).output(o.event);
        break;
      case DROPPED:
        DROPPED.inc();
        counts.add(AmplitudeCounts.SESSION_EVENTS_DROPPED, 1);
        break;
      case INVALID:
        INVALID.inc();
        out.get(DEAD_LETTERS)
            .output(DeadLetter.of("map", line.origin(), o.uuid, line.text(), 0, o.detail, 0));
        break;
      default:
        throw new IllegalStateException("unknown outcome " + o.kind);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    counts.flush(c, COUNTS);
  }
}
