package dev.hogbeam.pipeline.verify;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.EventRow;
import dev.hogbeam.clickhouse.EventRowCoder;
import dev.hogbeam.clickhouse.MapPostHogEvents;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The source of {@code verify --repair} on a ClickHouse migration: the rows of the missing uuids,
 * read by uuid ({@value ClickHouseVerify#REPAIR_CHUNK} per query, within their UTC day so that
 * ClickHouse reads only that day's part of its sort key), mapped by {@link MapPostHogEvents} as in
 * the migration, one group per day ({@code repair-2024-03-01}).
 */
final class ClickHouseRepair implements EventSource<KV<String, EventRow>> {
  private final ClickHouseConnectionConfig connection;
  private final ReadPlan plan;
  private final List<KV<String, List<String>>> chunks;

  ClickHouseRepair(
      ClickHouseConnectionConfig connection, ReadPlan plan, List<KV<String, List<String>>> chunks) {
    this.connection = connection;
    this.plan = plan;
    this.chunks = chunks;
  }

  static String group(String day) {
    return "repair-" + day;
  }

  @Override
  public SourcePlan plan() {
    Set<String> days = new TreeSet<>();
    long events = 0;
    for (KV<String, List<String>> c : chunks) {
      days.add(c.getKey());
      events += c.getValue().size();
    }
    return SourcePlan.builder()
        .description(
            "repair: "
                + events
                + " missing event(s) on "
                + days.size()
                + " day(s) of "
                + PageQueries.qualifiedTable(plan)
                + ", team "
                + plan.teamId())
        .shards(days.size())
        .dayGroup("day")
        .expectedEvents(events)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<KV<String, EventRow>>> read(SourceContext context) {
    List<KV<String, List<String>>> todo = new ArrayList<>();
    for (KV<String, List<String>> c : chunks) {
      if (!context.finishedGroups().contains(group(c.getKey()))) {
        todo.add(c);
      }
    }
    ReadByUuid fn = new ReadByUuid(connection, plan);
    return new PTransform<>() {
      @Override
      public SourceRead<KV<String, EventRow>> expand(PBegin input) {
        PCollection<KV<String, EventRow>> rows =
            input
                .apply(
                    "Missing uuids",
                    Create.of(todo)
                        .withCoder(
                            KvCoder.of(StringUtf8Coder.of(), ListCoder.of(StringUtf8Coder.of()))))
                .apply("Read rows by uuid", ParDo.of(fn))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), EventRowCoder.of()));
        return SourceRead.of(
            rows, input.apply("No read dead letters", Create.empty(DeadLetterCoder.of())));
      }
    };
  }

  @Override
  public PTransform<PCollection<KV<String, EventRow>>, SourceEvents> map(SourceContext context) {
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<KV<String, EventRow>> rows) {
        MapPostHogEvents.Result mapped = rows.apply("Map rows", MapPostHogEvents.create());
        return SourceEvents.of(mapped.getEvents(), mapped.getDeadLetters());
      }
    };
  }

  /** One chunk of uuids of one day: their rows, keyed by the day's repair group. */
  static final class ReadByUuid extends DoFn<KV<String, List<String>>, KV<String, EventRow>> {
    private final ClickHouseConnectionConfig connection;
    private final ReadPlan plan;
    private transient @Nullable Connection conn;

    ReadByUuid(ClickHouseConnectionConfig connection, ReadPlan plan) {
      this.connection = connection;
      this.plan = plan;
    }

    @ProcessElement
    public void process(
        @Element KV<String, List<String>> chunk, OutputReceiver<KV<String, EventRow>> out)
        throws Exception {
      boolean chain = plan.optionalColumns().contains("elements_chain");
      String sql =
          "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties"
              + (chain ? ", elements_chain" : "")
              + " FROM "
              + PageQueries.qualifiedTable(plan)
              + " WHERE team_id = ? AND toDate(timestamp, 'UTC') = toDate(?)"
              + " AND timestamp >= toDateTime64(?, 6, 'UTC') AND timestamp < toDateTime64(?, 6, 'UTC')"
              + " AND toString(uuid) IN ("
              + String.join(", ", Collections.nCopies(chunk.getValue().size(), "?"))
              + ")";
      List<Object> params = new ArrayList<>();
      params.add(plan.teamId());
      params.add(chunk.getKey());
      params.add(PageQueries.clickHouseTime(plan.startMicros()));
      params.add(PageQueries.clickHouseTime(plan.endMicros()));
      params.addAll(chunk.getValue());
      if (conn == null) {
        conn = connection.open();
      }
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        PageQueries.bind(ps, params);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            EventRow.Builder b =
                EventRow.builder()
                    .uuid(rs.getString(1))
                    .event(rs.getString(2))
                    .distinctId(rs.getString(3))
                    .timestampMicros(rs.getLong(4))
                    .properties(rs.getString(5));
            if (chain) {
              b.elementsChain(rs.getString(6));
            }
            out.output(KV.of(group(chunk.getKey()), b.build()));
          }
        }
      }
    }

    @Teardown
    public void teardown() throws Exception {
      if (conn != null) {
        conn.close();
        conn = null;
      }
    }
  }
}
