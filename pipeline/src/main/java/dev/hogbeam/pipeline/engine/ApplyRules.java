package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.values.TupleOutput;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The shuffle path's step of {@link EventRules}: each keyed event through the rules (its key, the
 * source's group, kept), and what they did summed over the whole run and recorded in the ledger
 * ({@link Ledger#recordRuleCounts}) for the account. The fused path calls the same {@link
 * EventRules#apply} per shard ({@link FusedSend}).
 */
final class ApplyRules
    extends PTransform<PCollection<KV<String, CaptureEvent>>, ApplyRules.Result> {
  /** The ledger's part for the counts of the shuffle path (the fused path records per group). */
  static final String WHOLE_RUN = "all";

  private static final TupleTag<KV<String, CaptureEvent>> EVENTS = new TupleTag<>("events") {};
  private static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<>("counts") {};
  private static final TupleTag<String> RECORDED = new TupleTag<>("recorded") {};

  private final EventRules rules;
  private final Ledger ledger;

  private ApplyRules(EventRules rules, Ledger ledger) {
    this.rules = rules;
    this.ledger = ledger;
  }

  static ApplyRules of(EventRules rules, Ledger ledger) {
    return new ApplyRules(rules, ledger);
  }

  /** The events the rules let through, and a signal once their counts are recorded. */
  static final class Result extends TupleOutput {
    Result(PCollection<KV<String, CaptureEvent>> events, PCollection<String> recorded) {
      super(PCollectionTuple.of(EVENTS, events).and(RECORDED, recorded));
    }

    PCollection<KV<String, CaptureEvent>> events() {
      return get(EVENTS);
    }

    PCollection<String> recorded() {
      return get(RECORDED);
    }
  }

  @Override
  public Result expand(PCollection<KV<String, CaptureEvent>> input) {
    PCollectionTuple out =
        input.apply(
            "Filter and rename",
            ParDo.of(new ApplyFn(rules)).withOutputTags(EVENTS, TupleTagList.of(COUNTS)));
    PCollection<KV<String, CaptureEvent>> events = out.get(EVENTS).setCoder(input.getCoder());
    PCollection<String> recorded =
        out.get(COUNTS)
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            // With defaults: a run that read nothing still records its (zero) counts.
            .apply("Sum rule counts", Combine.globally(new SendInOrder.SumByName()))
            .apply("Record rule counts", ParDo.of(new RecordFn(rules, ledger)));
    return new Result(events, recorded);
  }

  private static final class ApplyFn
      extends DoFn<KV<String, CaptureEvent>, KV<String, CaptureEvent>> {
    private final EventRules rules;
    private transient EventRules.Tally tally;

    ApplyFn(EventRules rules) {
      this.rules = rules;
    }

    @StartBundle
    public void start() {
      tally = new EventRules.Tally();
    }

    @ProcessElement
    public void process(
        @Element KV<String, CaptureEvent> kv, OutputReceiver<KV<String, CaptureEvent>> out) {
      CaptureEvent e = rules.apply(kv.getValue(), tally);
      if (e != null) {
        out.output(e == kv.getValue() ? kv : KV.of(kv.getKey(), e));
      }
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      for (Map.Entry<String, Long> count : tally.flat().entrySet()) {
        c.output(
            COUNTS,
            KV.of(count.getKey(), count.getValue()),
            GlobalWindow.INSTANCE.maxTimestamp(),
            GlobalWindow.INSTANCE);
      }
    }
  }

  private static final class RecordFn extends DoFn<Map<String, Long>, String> {
    private final EventRules rules;
    private final Ledger ledger;

    RecordFn(EventRules rules, Ledger ledger) {
      this.rules = rules;
      this.ledger = ledger;
    }

    @ProcessElement
    public void process(@Element Map<String, Long> counts, OutputReceiver<String> out) {
      EventRules.Tally tally = rules.zeroTally();
      EventRules.Tally.fromFlat(counts)
          .byEntry()
          .forEach((entry, c) -> c.forEach((name, n) -> tally.add(entry, name, n)));
      ledger.recordRuleCounts(WHOLE_RUN, tally);
      out.output(EventRules.SECTION);
    }
  }
}
