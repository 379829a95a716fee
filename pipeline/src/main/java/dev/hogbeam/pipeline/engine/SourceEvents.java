package dev.hogbeam.pipeline.engine;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.order.KeyedEvents;
import dev.hogbeam.values.TupleOutput;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A source's events, ready for the shared tail ({@link SendInOrder}): capture events keyed by
 * ordering group, the dead letters of every stage so far, and the source's own counts for the
 * account (section and entry named by the source, e.g. {@code amplitude} / {@code conversion}).
 */
public final class SourceEvents extends TupleOutput implements PInput {
  private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events");
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");
  private static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<>("counts");

  private final @Nullable String countsSection;
  private final @Nullable String countsEntry;

  private SourceEvents(
      PCollectionTuple outputs, @Nullable String countsSection, @Nullable String countsEntry) {
    super(outputs);
    this.countsSection = countsSection;
    this.countsEntry = countsEntry;
  }

  /** A source's map stage that is a record-by-record map ({@link KeyedEvents#map}). */
  public static <R> PTransform<PCollection<R>, SourceEvents> of(
      String name, PTransform<PCollection<R>, KeyedEvents> map) {
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<R> records) {
        KeyedEvents mapped = records.apply(name, map);
        return SourceEvents.of(mapped.getEvents(), mapped.getDeadLetters());
      }
    };
  }

  /** Events keyed by ordering group, and the dead letters of the stages that made them. */
  public static SourceEvents of(
      PCollection<KV<String, CaptureEvent>> events, PCollection<DeadLetter> deadLetters) {
    return new SourceEvents(
        PCollectionTuple.of(EVENTS, events)
            .and(DEAD_LETTERS, deadLetters)
            .and(
                COUNTS,
                events
                    .getPipeline()
                    .apply(
                        "No source counts",
                        Create.empty(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))),
        null,
        null);
  }

  /** The same, with the source's own named counts shown as {@code section} / {@code entry}. */
  public SourceEvents withCounts(
      String section, String entry, PCollection<KV<String, Long>> counts) {
    checkArgument(!section.isEmpty() && !entry.isEmpty(), "counts need a section and an entry");
    return new SourceEvents(
        PCollectionTuple.of(EVENTS, getEvents())
            .and(DEAD_LETTERS, getDeadLetters())
            .and(COUNTS, counts),
        section,
        entry);
  }

  /** The same, with {@code more} dead letters (e.g. the read's). */
  public SourceEvents withDeadLetters(PCollection<DeadLetter> more) {
    PCollection<DeadLetter> all =
        PCollectionList.of(getDeadLetters())
            .and(more)
            .apply("Dead letters so far", Flatten.pCollections());
    return new SourceEvents(
        PCollectionTuple.of(EVENTS, getEvents()).and(DEAD_LETTERS, all).and(COUNTS, getCounts()),
        countsSection,
        countsEntry);
  }

  /** Applies {@code transform} (the tail) to these events. */
  public <OutputT extends POutput> OutputT apply(
      String name, PTransform<? super SourceEvents, OutputT> transform) {
    return Pipeline.applyTransform(name, this, transform);
  }

  /** Events keyed by ordering group. */
  public PCollection<KV<String, CaptureEvent>> getEvents() {
    return get(EVENTS);
  }

  /** Dead letters of the stages before the tail. */
  public PCollection<DeadLetter> getDeadLetters() {
    return get(DEAD_LETTERS);
  }

  /** The source's own counts, by name (several elements per name are summed). */
  public PCollection<KV<String, Long>> getCounts() {
    return get(COUNTS);
  }

  /** The account section the counts go in, or null when the source has none. */
  public @Nullable String countsSection() {
    return countsSection;
  }

  /** The entry of that section. */
  public @Nullable String countsEntry() {
    return countsEntry;
  }
}
