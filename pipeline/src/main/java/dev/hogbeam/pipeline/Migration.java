package dev.hogbeam.pipeline;

import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.report.RunReport;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;

/**
 * One planned migration from one source: what it will do (for the log and the progress line) and
 * how to add its stages to a pipeline. Built from options by a source's factory, after every flag
 * was checked and the source was asked what there is to read.
 */
public interface Migration {

  /** A few lines describing the plan: source, range, shards, estimates. */
  String describe();

  /** Where checkpoints, the report and (by default) dead letters go. */
  CheckpointStore checkpoints();

  /** Where dead letters go. */
  String deadLetterDir();

  /** The plan's estimate of events to send (0 when unknown), for the ETA. */
  long expectedEvents();

  /** Source shards in the plan. */
  int shards();

  /**
   * Every send group known before the run, with the earliest timestamp (epoch micros) its events
   * can have; empty when groups are only known once the data is read. Used for the printed cursor.
   */
  Map<String, Long> groupStarts();

  /** End of the migrated range, exclusive, epoch micros. */
  long rangeEndMicros();

  /** Adds every stage (plan, read, map, order, write, checkpoint, report) to {@code pipeline}. */
  void expand(Pipeline pipeline);

  /**
   * Work for the launcher once the pipeline has finished successfully, before the report is read
   * (e.g. recording what the run delivered outside the checkpoints). An exception fails the run.
   */
  default void afterRun() throws Exception {}

  /** Lines the source adds to the printed summary (each ending in a newline), or "". */
  default String reportDetails(RunReport report) {
    return "";
  }
}
