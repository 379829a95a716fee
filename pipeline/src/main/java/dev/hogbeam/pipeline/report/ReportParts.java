package dev.hogbeam.pipeline.report;

import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.clickhouse.ShardReadStats;
import dev.hogbeam.event.DeadLetter;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Turns each stage's statistics into {@link ReportPart}s, with the counter names the report uses.
 */
public final class ReportParts {
  /** Section for facts about the run as a whole. */
  public static final String RUN = "run";

  private ReportParts() {}

  /** Per read shard: rows returned, and what the source scanned to return them. */
  public static MapElements<ShardReadStats, ReportPart> fromShardStats() {
    return MapElements.into(TypeDescriptor.of(ReportPart.class))
        .via(
            (ShardReadStats s) -> {
              Map<String, Long> c = new TreeMap<>();
              c.put("rowsRead", s.rowsReturned());
              c.put("sourceRowsScanned", s.readRows());
              c.put("sourceBytesScanned", s.readBytes());
              c.put("pages", s.pages());
              c.put("queries", s.queries());
              c.put("readMillis", s.elapsedMillis());
              return ReportPart.of(ReportPart.SHARDS, s.shardId(), c);
            });
  }

  /** One counter per key of a section, e.g. lines read per input file (section {@code shards}). */
  public static MapElements<KV<String, Long>, ReportPart> perKey(String section, String counter) {
    return MapElements.into(TypeDescriptor.of(ReportPart.class))
        .via((KV<String, Long> kv) -> ReportPart.of(section, kv.getKey(), counter, kv.getValue()));
  }

  /** Named counts as the counters of one entry, e.g. a source's own totals. */
  public static MapElements<KV<String, Long>, ReportPart> asCounters(String section, String key) {
    return MapElements.into(TypeDescriptor.of(ReportPart.class))
        .via((KV<String, Long> kv) -> ReportPart.of(section, key, kv.getKey(), kv.getValue()));
  }

  /**
   * Per send group: what the writer did, and the duplicates the ordering stage dropped from the
   * group ({@code duplicatesDropped}, only when there were some: absent reads as 0).
   */
  public static MapElements<KV<String, GroupSendStats>, ReportPart> fromSendStats() {
    return MapElements.into(TypeDescriptor.of(ReportPart.class))
        .via(
            (KV<String, GroupSendStats> kv) -> {
              GroupSendStats s = kv.getValue();
              Map<String, Long> c = new TreeMap<>();
              c.put("sent", s.eventsSent());
              c.put("batches", s.batches());
              c.put("requests", s.requests());
              c.put("bytes", s.wireBytes());
              c.put("retries", s.retries());
              s.retriesByStatus()
                  .forEach(
                      (status, n) ->
                          c.put(
                              status == GroupSendStats.NO_RESPONSE
                                  ? "retriesNoResponse"
                                  : "retries" + status,
                              n));
              c.put("deadLettered", s.deadLettered());
              c.put("skippedAlreadySent", s.skippedAlreadySent());
              if (s.duplicatesDropped() > 0) {
                c.put("duplicatesDropped", s.duplicatesDropped());
              }
              c.put("rateLimitWaitMillis", s.rateLimitWaitMillis());
              return ReportPart.of(ReportPart.GROUPS, kv.getKey(), c);
            });
  }

  /** Per stage: dead letters. */
  public static MapElements<DeadLetter, ReportPart> fromDeadLetters() {
    return MapElements.into(TypeDescriptor.of(ReportPart.class))
        .via((DeadLetter d) -> ReportPart.of(ReportPart.DEAD_LETTERS, d.stage(), "records", 1L));
  }

  /** A fact known when the pipeline is built (e.g. events in flight when a run was killed). */
  public static PTransform<PBegin, PCollection<ReportPart>> constant(String counter, long value) {
    return Create.of(ReportPart.of(RUN, "resume", counter, value));
  }
}
