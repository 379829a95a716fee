package dev.hogbeam.order;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.values.TupleOutput;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a record-by-record map stage gives: capture events keyed by their ordering group ({@link
 * OrderingKey}), and dead letters (stage {@code map}) for the records that make no event. {@link
 * #map} builds such a stage from a pure function of one record; the SQL and event-file sources map
 * this way.
 */
public final class KeyedEvents extends TupleOutput {
  private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events") {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  private KeyedEvents(PCollectionTuple outputs) {
    super(outputs);
  }

  /** What one record became: exactly one of the two is set. */
  public record Outcome(@Nullable CaptureEvent event, @Nullable DeadLetter deadLetter) {}

  /**
   * A map stage: each record through {@code map} (pure, no state), each event keyed by {@code key}
   * from its distinct_id and timestamp. One output per record, no shuffle.
   */
  public static <T> PTransform<PCollection<T>, KeyedEvents> map(
      String name, SerializableFunction<T, Outcome> map, OrderingKey key) {
    return new PTransform<>() {
      @Override
      public KeyedEvents expand(PCollection<T> records) {
        PCollectionTuple out =
            records.apply(
                name,
                ParDo.of(new MapFn<>(map, key))
                    .withOutputTags(EVENTS, TupleTagList.of(DEAD_LETTERS)));
        out.get(EVENTS).setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
        out.get(DEAD_LETTERS).setCoder(DeadLetterCoder.of());
        return new KeyedEvents(out);
      }
    };
  }

  public PCollection<KV<String, CaptureEvent>> getEvents() {
    return get(EVENTS);
  }

  public PCollection<DeadLetter> getDeadLetters() {
    return get(DEAD_LETTERS);
  }

  private static final class MapFn<T> extends DoFn<T, KV<String, CaptureEvent>> {
    private final SerializableFunction<T, Outcome> map;
    private final OrderingKey key;

    MapFn(SerializableFunction<T, Outcome> map, OrderingKey key) {
      this.map = map;
      this.key = key;
    }

    @ProcessElement
    public void process(@Element T record, MultiOutputReceiver out) {
      Outcome m = map.apply(record);
      CaptureEvent e = m.event();
      if (e != null) {
        out.get(EVENTS).output(KV.of(key.keyFor(e.distinctId(), e.timestampMicros()), e));
      } else {
        out.get(DEAD_LETTERS).output(m.deadLetter());
      }
    }
  }
}
