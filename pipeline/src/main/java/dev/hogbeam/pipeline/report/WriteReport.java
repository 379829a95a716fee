package dev.hogbeam.pipeline.report;

import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The report stage: sums every {@link ReportPart} of the run into one {@link RunReport} and writes
 * it as {@code report.json} into the checkpoint directory, where the command line reads it back.
 * Runs once per pipeline, after everything it accounts for; writes a report even when the run had
 * nothing to do.
 */
public final class WriteReport extends PTransform<PCollection<ReportPart>, PCollection<String>> {
  public static final String FILE = "report.json";

  private final CheckpointStore store;

  private WriteReport(CheckpointStore store) {
    this.store = store;
  }

  public static WriteReport to(CheckpointStore store) {
    return new WriteReport(store);
  }

  @Override
  public PCollection<String> expand(PCollection<ReportPart> parts) {
    return parts
        .apply("Gather report parts", Combine.globally(new Gather()))
        .apply("Write report.json", ParDo.of(new WriteFn(store)));
  }

  /** Collects every part in one list (a report has a part per shard and group: small). */
  private static final class Gather
      extends Combine.CombineFn<ReportPart, List<ReportPart>, List<ReportPart>> {
    @Override
    public List<ReportPart> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<ReportPart> addInput(List<ReportPart> acc, ReportPart part) {
      acc.add(part);
      return acc;
    }

    @Override
    public List<ReportPart> mergeAccumulators(Iterable<List<ReportPart>> accs) {
      List<ReportPart> out = new ArrayList<>();
      accs.forEach(out::addAll);
      return out;
    }

    @Override
    public List<ReportPart> extractOutput(List<ReportPart> acc) {
      return acc;
    }

    @Override
    public Coder<List<ReportPart>> getAccumulatorCoder(
        CoderRegistry registry, Coder<ReportPart> inputCoder) {
      return ListCoder.of(SerializableCoder.of(ReportPart.class));
    }

    @Override
    public Coder<List<ReportPart>> getDefaultOutputCoder(
        CoderRegistry registry, Coder<ReportPart> inputCoder) {
      return ListCoder.of(SerializableCoder.of(ReportPart.class));
    }
  }

  private static final class WriteFn extends DoFn<List<ReportPart>, String> {
    private final CheckpointStore store;

    WriteFn(CheckpointStore store) {
      this.store = store;
    }

    @ProcessElement
    public void process(@Element List<ReportPart> parts, OutputReceiver<String> out) {
      String json = RunReport.fromParts(parts).toJson();
      store.writeText(FILE, json);
      out.output(store.path(FILE));
    }
  }
}
