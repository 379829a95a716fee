package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.order.OrderingKey;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The source of a {@code --retryDeadLetters} run: the migration's dead letters on record, as events
 * again. A capture dead letter holds the event as it was sent; a read or map dead letter is
 * re-mapped from its payload by the migration's own source ({@link EventSource#remapper()}). The
 * events then go through the same tail as any migration: ordered, batched, rate-limited, retried,
 * checkpointed (in {@code <checkpointDir>/retries/<run>}), and refused again into the dead-letter
 * record.
 */
final class RetryDeadLetters implements EventSource<DeadLetter> {
  private final List<DeadLetter> letters;
  private final @Nullable Remapper remapper;

  /**
   * @param letters the dead letters to re-send (those this source can re-send: see {@link
   *     #retryable})
   */
  RetryDeadLetters(List<DeadLetter> letters, @Nullable Remapper remapper) {
    this.letters = List.copyOf(letters);
    this.remapper = remapper;
  }

  /** Whether a dead letter can be re-sent: a capture one always, others when the source re-maps. */
  static boolean retryable(DeadLetter letter, @Nullable Remapper remapper) {
    return letter.stage().equals("capture") || remapper != null;
  }

  @Override
  public SourcePlan plan() {
    Map<String, Long> byStage = new TreeMap<>();
    letters.forEach(d -> byStage.merge(d.stage(), 1L, Long::sum));
    return SourcePlan.builder()
        .description("re-sending " + letters.size() + " dead letter(s) on record " + byStage)
        .shards(1)
        .dayGroup("day")
        .expectedEvents(letters.size())
        .groupStarts(Map.of())
        .rangeEndMicros(0)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<DeadLetter>> read(SourceContext context) {
    return new Read(letters);
  }

  @Override
  public PTransform<PCollection<DeadLetter>, SourceEvents> map(SourceContext context) {
    return new Again(remapper, context.orderingKey());
  }

  /** The dead letters, as the records of this source. */
  private static final class Read extends PTransform<PBegin, SourceRead<DeadLetter>> {
    private final List<DeadLetter> letters;

    Read(List<DeadLetter> letters) {
      this.letters = letters;
    }

    @Override
    public SourceRead<DeadLetter> expand(PBegin begin) {
      PCollection<DeadLetter> all =
          begin.apply("Dead letters on record", Create.of(letters).withCoder(DeadLetterCoder.of()));
      PCollection<DeadLetter> none =
          begin.apply("No read failures", Create.empty(DeadLetterCoder.of()));
      return SourceRead.of(all, none);
    }
  }

  /** Dead letters to events again, keyed by ordering group. */
  private static final class Again extends PTransform<PCollection<DeadLetter>, SourceEvents> {
    private final @Nullable Remapper remapper;
    private final OrderingKey key;

    Again(@Nullable Remapper remapper, OrderingKey key) {
      this.remapper = remapper;
      this.key = key;
    }

    @Override
    public SourceEvents expand(PCollection<DeadLetter> input) {
      TupleTag<CaptureEvent> eventsTag = new TupleTag<>("events");
      TupleTag<DeadLetter> refusedTag = new TupleTag<>("refusedAgain");
      PCollectionTuple out =
          input.apply(
              "Events again",
              ParDo.of(new AgainFn(remapper, eventsTag, refusedTag))
                  .withOutputTags(eventsTag, TupleTagList.of(refusedTag)));
      OrderingKey orderingKey = key;
      PCollection<KV<String, CaptureEvent>> keyed =
          out.get(eventsTag)
              .setCoder(CaptureEventCoder.of())
              .apply(
                  "Key by group",
                  MapElements.into(
                          TypeDescriptors.kvs(
                              TypeDescriptors.strings(), TypeDescriptor.of(CaptureEvent.class)))
                      .via(e -> KV.of(orderingKey.keyFor(e.distinctId(), e.timestampMicros()), e)))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
      return SourceEvents.of(keyed, out.get(refusedTag).setCoder(DeadLetterCoder.of()));
    }
  }

  /** A dead letter back to its event, or to why it still cannot be one. */
  private static final class AgainFn extends DoFn<DeadLetter, CaptureEvent> {
    private final @Nullable Remapper remapper;
    private final TupleTag<CaptureEvent> events;
    private final TupleTag<DeadLetter> refused;

    AgainFn(
        @Nullable Remapper remapper, TupleTag<CaptureEvent> events, TupleTag<DeadLetter> refused) {
      this.remapper = remapper;
      this.events = events;
      this.refused = refused;
    }

    @ProcessElement
    public void process(@Element DeadLetter letter, MultiOutputReceiver out) {
      if (letter.stage().equals("capture")) {
        try {
          out.get(events).output(CaptureEvent.fromJson(letter.payload()));
        } catch (IllegalArgumentException e) {
          out.get(refused).output(again(letter, "the payload is not an event: " + e.getMessage()));
        }
        return;
      }
      Remapped r = remapper.apply(letter);
      if (r.event() != null) {
        out.get(events).output(r.event());
      } else if (r.stillRefused() != null) {
        out.get(refused).output(r.stillRefused());
      }
    }

    private static DeadLetter again(DeadLetter d, String reason) {
      return DeadLetter.of(d.stage(), d.source(), d.uuid(), d.payload(), d.status(), reason, 0);
    }
  }
}
