package dev.hogbeam.pipeline;

import static dev.hogbeam.pipeline.report.RunReport.DEAD_LETTERS;
import static dev.hogbeam.pipeline.report.RunReport.GROUPS;
import static dev.hogbeam.pipeline.report.RunReport.SHARDS;

import dev.hogbeam.pipeline.engine.EventRules;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.report.RunReport;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The final account printed at the end of a run, from the report the pipeline wrote. */
final class Summary {
  private Summary() {}

  /**
   * What the filters and renames did (the {@code rules} section), one line per rule; "" without
   * rules. Filtered events are neither dead letters nor failures.
   */
  static String rules(RunReport report) {
    Map<String, Map<String, Long>> rules = report.section(EventRules.SECTION);
    if (rules.isEmpty()) {
      return "";
    }
    Map<String, Long> all = rules.getOrDefault(EventRules.ALL_EVENTS, Map.of());
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "  rules:     %,d event(s) seen, %,d kept, %,d filtered out%n",
            all.getOrDefault("in", 0L),
            all.getOrDefault("kept", 0L),
            all.getOrDefault("filtered", 0L)));
    rules.forEach(
        (entry, counters) -> {
          if (entry.equals(EventRules.ALL_EVENTS)) {
            return;
          }
          StringBuilder c = new StringBuilder();
          counters.forEach(
              (name, n) ->
                  c.append(c.length() == 0 ? "" : ", ")
                      .append(String.format(Locale.ROOT, "%,d %s", n, name)));
          sb.append("             ").append(entry).append(": ").append(c).append('\n');
        });
    return sb.toString();
  }

  static String format(
      String name, Duration elapsed, RunReport report, Ledger ledger, @Nullable String cursor) {
    Map<String, Long> shards = report.totals(SHARDS);
    Map<String, Long> groups = report.totals(GROUPS);
    StringBuilder sb = new StringBuilder();
    sb.append("hogbeam ")
        .append(name)
        .append(": finished in ")
        .append(MigrationCommand.clock(elapsed))
        .append('\n');
    long rows = shards.getOrDefault("rowsRead", 0L);
    sb.append(
        String.format(
            Locale.ROOT,
            "  read:      %,d rows from %d shard(s)",
            rows,
            report.section(SHARDS).size()));
    Long sourceRows = shards.get("sourceRowsScanned");
    if (sourceRows != null && rows > 0) {
      if (sourceRows < 0) {
        // Streamed reads: ClickHouse's summary is sent before the query ends (see the README).
        sb.append("; rows the source scanned: not known");
      } else {
        sb.append(
            String.format(
                Locale.ROOT,
                "; the source scanned %,d rows (%.2f per row returned)",
                sourceRows,
                (double) sourceRows / rows));
      }
    }
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "  sent:      %,d events in %,d batches (%,d bytes on the wire) to %d group(s)%n",
            groups.getOrDefault("sent", 0L),
            groups.getOrDefault("batches", 0L),
            groups.getOrDefault("bytes", 0L),
            report.section(GROUPS).size()));
    long copies = shards.getOrDefault("copiesMerged", 0L);
    sb.append(
        String.format(
            Locale.ROOT,
            "  skipped:   %s%,d duplicates dropped, %,d already sent by an earlier run%n",
            copies > 0
                ? String.format(
                    Locale.ROOT, "%,d stored copies merged (the table's rule), ", copies)
                : "",
            groups.getOrDefault("duplicatesDropped", 0L),
            groups.getOrDefault("skippedAlreadySent", 0L)));
    long resent = report.total(RunReport.RUN, "possiblyResent");
    if (resent > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  resumed:   %,d events re-sent that a killed run may already have delivered%n",
              resent));
    }
    sb.append(rules(report));
    sb.append(String.format(Locale.ROOT, "  retries:   %,d%n", groups.getOrDefault("retries", 0L)));
    long dead = report.total(DEAD_LETTERS, "records");
    sb.append(String.format(Locale.ROOT, "  dead:      %,d record(s)", dead));
    if (dead > 0) {
      StringBuilder byStage = new StringBuilder();
      report
          .section(DEAD_LETTERS)
          .forEach(
              (stage, c) ->
                  byStage
                      .append(byStage.length() == 0 ? "" : ", ")
                      .append(stage)
                      .append(' ')
                      .append(c.getOrDefault("records", 0L)));
      sb.append(" (").append(byStage).append(") in ").append(ledger.deadLetterDir());
    }
    sb.append('\n');
    long earlier = report.get(RunReport.MIGRATION, "deadLetters", "fromEarlierRuns");
    if (earlier > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "             and %,d record(s) of earlier runs still on record; fix the cause and"
                  + " re-send them with --retryDeadLetters%n",
              earlier));
    }
    sb.append("  report:    ").append(ledger.store().path(Ledger.REPORT)).append('\n');
    if (cursor != null) {
      sb.append("  cursor:    ").append(cursor).append('\n');
    }
    return sb.toString();
  }

  /** The last lines of a run of several migrations: the totals over its parts. */
  static String total(
      String name,
      String partsName,
      Map<String, RunReport> accounts,
      dev.hogbeam.pipeline.checkpoint.CheckpointStore store) {
    long sent = 0;
    long groups = 0;
    long dead = 0;
    for (RunReport r : accounts.values()) {
      sent += r.total(GROUPS, "sent");
      groups += r.section(GROUPS).size();
      dead += r.get(RunReport.MIGRATION, "deadLetters", Ledger.RECORDS);
    }
    return String.format(
            Locale.ROOT,
            "hogbeam %s: %d %s (%s): %,d events sent to %d group(s), %,d dead letter(s) on"
                + " record%n",
            name,
            accounts.size(),
            partsName,
            String.join(", ", accounts.keySet()),
            sent,
            groups,
            dead)
        + "  report:    "
        + store.path(Ledger.REPORT)
        + '\n';
  }
}
