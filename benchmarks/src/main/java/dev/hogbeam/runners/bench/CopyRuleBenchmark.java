package dev.hogbeam.runners.bench;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import dev.hogbeam.clickhouse.CopyRule;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.clickhouse.Shard;
import dev.hogbeam.clickhouse.ShardReadStats;
import dev.hogbeam.clickhouse.ShardReader;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.joda.time.Duration;

/**
 * What merging copies costs, two ways, on the local ClickHouse engine: the reader's own rule
 * ({@link CopyRule#LATEST_VERSION}: pages along the sort key, copies merged as they come) against
 * {@code FINAL} in every page query ({@link CopyRule#FINAL}: ClickHouse merges them). One generated
 * team-day (GEN3 layout, a fraction of unmerged copies in parts of their own, merges stopped so the
 * copies stay), read whole with {@link ShardReader} at the default page size; wall time,
 * ClickHouse's rows read, rows passed on (each run includes the shard's reconciliation count, which
 * is also timed on its own at the end). The modes alternate ({@code --repeats} rounds) so that a
 * busy machine hurts both alike. Arguments: {@code --rows=1000000}, {@code --copies=0.01}, {@code
 * --repeats=2}.
 */
public final class CopyRuleBenchmark {
  private static final long TEAM = 2;
  private static final Instant DAY = Instant.parse("2024-06-01T00:00:00Z");

  private CopyRuleBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = 1_000_000;
    double copies = 0.01;
    int repeats = 2;
    for (String a : args) {
      if (a.startsWith("--rows=")) {
        rows = Long.parseLong(a.substring(7));
      } else if (a.startsWith("--copies=")) {
        copies = Double.parseDouble(a.substring(9));
      } else if (a.startsWith("--repeats=")) {
        repeats = Integer.parseInt(a.substring(10));
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + a + "; use --rows=, --copies=, --repeats=");
      }
    }
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("bench_copies");
    long t0 = System.nanoTime();
    PostHogDataGenerator.createEvents(ch, db, PostHogDataGenerator.Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(TEAM)
                .startDay(LocalDate.ofInstant(DAY, ZoneOffset.UTC))
                .days(1)
                .eventsPerTeamDay(rows)
                .duplicateFraction(copies)
                .seed(1)
                .build());
    ch.execute("SYSTEM STOP MERGES " + db + ".events");
    // Exact summaries (each query run to completion first): the rows-read column needs them.
    ClickHouseConnectionConfig config =
        ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password()).withExactSummaries();
    try (Connection c = config.open();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(DISTINCT _part), count() FROM " + db + ".events");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      System.out.printf(
          "generated %,d stored rows (%,d events, %.1f%% copies) in %d data parts, %.1f s%n",
          rs.getLong(2), rows, copies * 100, rs.getLong(1), (System.nanoTime() - t0) / 1e9);
    }
    ReadPlan reader =
        ClickHouseEventsIO.read()
            .withUrl(ch.jdbcUrl())
            .withUser(ch.user())
            .withPassword(ch.password())
            .withDatabase(db)
            .withTeamId(TEAM)
            .withRange(DAY, DAY.plusSeconds(86_400))
            .plan();
    ReadPlan fin = reader.withCopyRule(CopyRule.FINAL, null);
    List<String> lines = new ArrayList<>();
    double[] seconds = new double[2];
    for (int round = 0; round < repeats; round++) {
      int i = 0;
      for (ReadPlan plan : List.of(reader, fin)) {
        long start = System.nanoTime();
        long returned = 0;
        long merged = 0;
        long readRows = 0;
        try (ShardReader r =
            new ShardReader(
                config,
                plan,
                ClickHouseEventsIO.DEFAULT_FETCH_SIZE,
                0,
                Duration.standardSeconds(1))) {
          for (Shard s : plan.shards()) {
            ShardReadStats stats = r.read(s, row -> {});
            returned += stats.rowsReturned();
            merged += stats.copiesMerged();
            readRows += stats.readRows();
          }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        seconds[i++] += secs;
        lines.add(
            String.format(
                "| %d | %-14s | %,10d | %,8d | %,12d | %7.1f | %6.2f |",
                round + 1,
                plan.copyRule(),
                returned,
                merged,
                readRows,
                secs,
                secs * 1e6 / returned));
      }
    }
    System.out.println();
    System.out.println(
        "| round | copies merged by | rows passed on | copies merged in reader | ClickHouse rows"
            + " read | s | us/row |");
    System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    lines.forEach(System.out::println);
    System.out.printf(
        "%nFINAL / reader, total wall time over %d round(s): %.2f%n",
        repeats, seconds[1] / seconds[0]);
    // What the reconciliation count (part of every run above) costs on its own.
    for (ReadPlan plan : List.of(reader, fin)) {
      long start = System.nanoTime();
      long counted = 0;
      try (Connection c = config.open()) {
        for (Shard s : plan.shards()) {
          PageQueries.Query q = PageQueries.shardCount(plan, s);
          try (PreparedStatement ps = c.prepareStatement(q.sql())) {
            PageQueries.bind(ps, q.params());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              counted += rs.getLong(1);
            }
          }
        }
      }
      System.out.printf(
          "reconciliation count under %s: %,d rows counted in %.1f s%n",
          plan.copyRule(), counted, (System.nanoTime() - start) / 1e9);
    }
    ch.dropDatabase(db);
  }
}
