package dev.hogbeam.pipeline.engine;

import com.google.auto.value.AutoValue;
import com.google.common.collect.ImmutableSortedSet;
import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.capture.WriteResult;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.values.TupleOutput;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The shared tail of every migration: a source's events in, PostHog (or files, or nothing) out,
 * every step recorded in the {@link Ledger}.
 *
 * <ol>
 *   <li>Record the source's dead letters (read and map stages) durably, before any event goes on.
 *   <li>Apply the migration's filters and renames ({@link EventRules}), counting what they did.
 *   <li>Skip the groups an earlier run finished.
 *   <li>Order each group in time ({@link OrderEvents}: a GroupByKey, then a sort with bounded
 *       memory that drops copies).
 *   <li>Send each group in order ({@link CaptureIO.Write}), the group's checkpoint written before
 *       and after every batch.
 *   <li>The capture stage's dead letters are recorded by the ledger as the writer refuses them,
 *       before the checkpoint that settles them.
 *   <li>Record the source's counts, then write the account ({@code report.json}) once everything
 *       above is done.
 * </ol>
 */
@AutoValue
public abstract class SendInOrder extends PTransform<SourceEvents, SendInOrder.Result> {

  abstract Ledger ledger();

  abstract ImmutableSortedSet<String> finishedGroups();

  abstract CaptureIO.Write writer();

  abstract @Nullable EventCursor runCursor();

  abstract EventRules rules();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder ledger(Ledger ledger);

    abstract Builder finishedGroups(ImmutableSortedSet<String> groups);

    abstract Builder writer(CaptureIO.Write writer);

    abstract Builder runCursor(@Nullable EventCursor cursor);

    abstract Builder rules(EventRules rules);

    abstract SendInOrder build();
  }

  /**
   * Sends with {@code writer} (its checkpoint hook is set here), recording everything in {@code
   * ledger}.
   */
  public static SendInOrder to(CaptureIO.Write writer, Ledger ledger) {
    return new AutoValue_SendInOrder.Builder()
        .ledger(ledger)
        .finishedGroups(ImmutableSortedSet.of())
        .writer(writer)
        .rules(EventRules.NONE)
        .build();
  }

  /** The migration's filters and renames, applied before the skip and the ordering. */
  public SendInOrder withRules(EventRules rules) {
    return toBuilder().rules(rules).build();
  }

  /** Groups an earlier run finished: not sent again. */
  public SendInOrder skipping(ImmutableSortedSet<String> finished) {
    return toBuilder().finishedGroups(finished).build();
  }

  /** The run's {@code --cursor}: groups resume after the later of it and their own cursor. */
  public SendInOrder resumingAfter(@Nullable EventCursor cursor) {
    return toBuilder().runCursor(cursor).build();
  }

  @Override
  public Result expand(SourceEvents input) {
    // 1. The source's dead letters (read and map stages) are made durable first: no event reaches
    // the writer, whose checkpoints move past whole stretches of the source, before they are.
    PCollection<String> sourceDeadLetterFiles =
        input
            .getDeadLetters()
            .apply(
                "Record source dead letters",
                DeadLetterIO.write()
                    .to(ledger().deadLetterDir())
                    .withFilePrefix(ledger().deadLetterPrefix()));
    PCollection<KV<String, CaptureEvent>> events =
        input
            .getEvents()
            .apply("After source dead letters", Wait.on(sourceDeadLetterFiles))
            .setCoder(input.getEvents().getCoder());
    // 2. The filters and renames, the same function as on the fused path.
    PCollection<String> rulesRecorded;
    if (rules().isEmpty()) {
      rulesRecorded =
          input.getPipeline().apply("No rules to record", Create.empty(StringUtf8Coder.of()));
    } else {
      ApplyRules.Result ruled = events.apply("Apply rules", ApplyRules.of(rules(), ledger()));
      events = ruled.events();
      rulesRecorded = ruled.recorded();
    }
    // 3. Skip groups an earlier run finished.
    if (!finishedGroups().isEmpty()) {
      ImmutableSortedSet<String> finished = finishedGroups();
      events =
          events
              .apply("Skip finished groups", Filter.by(kv -> !finished.contains(kv.getKey())))
              .setCoder(input.getEvents().getCoder());
    }
    // 4. Order each group in time.
    PCollection<KV<String, Iterable<CaptureEvent>>> ordered =
        events.apply("Order each group", OrderEvents.create());
    // 5. Send, with a checkpoint before and after every batch; the ledger records the capture
    // stage's dead letters durably before each checkpoint that settles them.
    WriteResult written =
        ordered.apply(
            "Send each group", writer().withSendProgress(ledger().sendProgress(runCursor())));
    PCollection<DeadLetter> deadLetters =
        PCollectionList.of(input.getDeadLetters())
            .and(written.getDeadLetters())
            .apply("All dead letters", Flatten.pCollections());
    // 6. The account: the source's counts, then report.json once everything else is recorded.
    PCollection<String> countsRecorded =
        input.countsSection() == null
            ? input.getPipeline().apply("No counts to record", Create.empty(StringUtf8Coder.of()))
            : input
                .getCounts()
                .apply("Sum source counts", Combine.globally(new SumByName()).withoutDefaults())
                .apply(
                    "Record source counts",
                    ParDo.of(
                        new RecordCountsFn(ledger(), input.countsSection(), input.countsEntry())));
    PCollection<String> account =
        writeAccount(
            input.getPipeline(),
            ledger(),
            written.getStats(),
            sourceDeadLetterFiles,
            countsRecorded,
            rulesRecorded);
    return new Result(written.getStats(), deadLetters, account);
  }

  /** Writes the account ({@code report.json}) once every one of {@code after} is done. */
  static PCollection<String> writeAccount(
      org.apache.beam.sdk.Pipeline p, Ledger ledger, PCollection<?>... after) {
    return p.apply("Account", Create.of(Ledger.REPORT))
        .apply("After everything", Wait.on(after))
        .apply("Write the account", ParDo.of(new WriteAccountFn(ledger)));
  }

  /** What the tail produced: per-group send stats, every dead letter, the account's path. */
  public static final class Result extends TupleOutput {
    private static final TupleTag<KV<String, GroupSendStats>> STATS = new TupleTag<>("stats");
    private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");
    private static final TupleTag<String> ACCOUNT = new TupleTag<>("account");

    Result(
        PCollection<KV<String, GroupSendStats>> stats,
        PCollection<DeadLetter> deadLetters,
        PCollection<String> account) {
      super(PCollectionTuple.of(STATS, stats).and(DEAD_LETTERS, deadLetters).and(ACCOUNT, account));
    }

    /** One element per group sent: what the writer did with it. */
    public PCollection<KV<String, GroupSendStats>> getStats() {
      return get(STATS);
    }

    /** Every dead letter of the run, all stages. */
    public PCollection<DeadLetter> getDeadLetters() {
      return get(DEAD_LETTERS);
    }

    /** The account's path, once written. */
    public PCollection<String> getAccount() {
      return get(ACCOUNT);
    }
  }

  /** Named counts summed into one map. */
  static final class SumByName
      extends Combine.CombineFn<KV<String, Long>, Map<String, Long>, Map<String, Long>> {
    @Override
    public Map<String, Long> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public Map<String, Long> addInput(Map<String, Long> acc, KV<String, Long> count) {
      acc.merge(count.getKey(), count.getValue(), Long::sum);
      return acc;
    }

    @Override
    public Map<String, Long> mergeAccumulators(Iterable<Map<String, Long>> accs) {
      Map<String, Long> out = new TreeMap<>();
      accs.forEach(a -> a.forEach((k, v) -> out.merge(k, v, Long::sum)));
      return out;
    }

    @Override
    public Map<String, Long> extractOutput(Map<String, Long> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, Long>> getAccumulatorCoder(
        CoderRegistry registry, Coder<KV<String, Long>> inputCoder) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }

    @Override
    public Coder<Map<String, Long>> getDefaultOutputCoder(
        CoderRegistry registry, Coder<KV<String, Long>> inputCoder) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }
  }

  private static final class RecordCountsFn extends DoFn<Map<String, Long>, String> {
    private final Ledger ledger;
    private final String section;
    private final String entry;

    RecordCountsFn(Ledger ledger, String section, String entry) {
      this.ledger = ledger;
      this.section = section;
      this.entry = entry;
    }

    @ProcessElement
    public void process(@Element Map<String, Long> counts, OutputReceiver<String> out) {
      ledger.recordCounts(section, entry, counts);
      out.output(section);
    }
  }

  private static final class WriteAccountFn extends DoFn<String, String> {
    private final Ledger ledger;

    WriteAccountFn(Ledger ledger) {
      this.ledger = ledger;
    }

    @ProcessElement
    public void process(OutputReceiver<String> out) {
      ledger.writeAccount();
      out.output(ledger.store().path(Ledger.REPORT));
    }
  }
}
