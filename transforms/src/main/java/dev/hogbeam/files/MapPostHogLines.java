package dev.hogbeam.files;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.order.OrderingKey;
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

/**
 * Turns the lines of PostHog-shaped event files into capture events keyed by their ordering group
 * ({@link PostHogLines#map}), or dead letters (stage {@code map}, the line's file and line number
 * as source, the line as payload). One output per line; no state, no shuffle.
 */
public final class MapPostHogLines
    extends PTransform<PCollection<SourceLine>, MapPostHogLines.Result> {
  private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events") {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};
  private static final Counter MAPPED = Metrics.counter(MapPostHogLines.class, "eventsMapped");
  private static final Counter REFUSED = Metrics.counter(MapPostHogLines.class, "linesRefused");

  private final OrderingKey key;

  private MapPostHogLines(OrderingKey key) {
    this.key = key;
  }

  /** Keys each event with {@code key} (by its distinct_id and timestamp). */
  public static MapPostHogLines keyedBy(OrderingKey key) {
    return new MapPostHogLines(key);
  }

  /** Events keyed by ordering group, and dead letters. */
  public static final class Result extends TupleOutput {
    Result(PCollectionTuple outputs) {
      super(outputs);
    }

    public PCollection<KV<String, CaptureEvent>> getEvents() {
      return get(EVENTS);
    }

    public PCollection<DeadLetter> getDeadLetters() {
      return get(DEAD_LETTERS);
    }
  }

  @Override
  public Result expand(PCollection<SourceLine> lines) {
    PCollectionTuple out =
        lines.apply(
            "Map lines",
            ParDo.of(new MapFn(key)).withOutputTags(EVENTS, TupleTagList.of(DEAD_LETTERS)));
    out.get(EVENTS).setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
    out.get(DEAD_LETTERS).setCoder(DeadLetterCoder.of());
    return new Result(out);
  }

  private static final class MapFn extends DoFn<SourceLine, KV<String, CaptureEvent>> {
    private final OrderingKey key;

    MapFn(OrderingKey key) {
      this.key = key;
    }

    @ProcessElement
    public void process(@Element SourceLine line, MultiOutputReceiver out) {
      PostHogLines.Outcome m = PostHogLines.map(line);
      CaptureEvent e = m.event();
      if (e != null) {
        MAPPED.inc();
        out.get(EVENTS).output(KV.of(key.keyFor(e.distinctId(), e.timestampMicros()), e));
      } else {
        REFUSED.inc();
        out.get(DEAD_LETTERS).output(m.deadLetter());
      }
    }
  }
}
