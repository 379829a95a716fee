package dev.hogbeam.clickhouse;

import static dev.hogbeam.clickhouse.TestEvents.END;
import static dev.hogbeam.clickhouse.TestEvents.START;
import static dev.hogbeam.clickhouse.TestEvents.TEAM;
import static dev.hogbeam.clickhouse.TestEvents.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.clickhouse.TestEvents.Schema;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The read against the real ClickHouse engine through the official driver, for every layout of
 * PostHog's events table: every row of the team and range exactly once, compared with a direct
 * query of the table.
 */
@ExtendWith(TestPipelineExtension.class)
class ClickHouseEventsReadTest {
  private static final DateTimeFormatter CH_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  static LocalClickHouse ch;
  static Connection conn;

  @BeforeAll
  static void connect() throws Exception {
    ch = LocalClickHouse.shared();
    conn = ch.connect();
  }

  @AfterAll
  static void close() throws Exception {
    conn.close();
  }

  static ClickHouseEventsIO.Read read(String db) {
    return ClickHouseEventsIO.read()
        .withUrl(ch.jdbcUrl())
        .withUser(ch.user())
        .withPassword(ch.password())
        .withDatabase(db)
        .withTeamId(TEAM)
        .withRange(START, END);
  }

  /**
   * What identifies a row's content: the fields the reader returns, timestamp to the microsecond.
   */
  static String signature(EventRow r) {
    return String.join(
        "|",
        r.uuid(),
        r.event(),
        r.distinctId(),
        Long.toString(r.timestampMicros()),
        r.properties(),
        r.elementsChain(),
        String.valueOf(r.personId()),
        String.valueOf(r.personProperties()),
        String.valueOf(r.groupProperties(0)));
  }

  /**
   * The same from a direct query of the table's {@code FINAL} view (what the table merges its
   * copies into): the truth. Times parsed here, as UTC text.
   */
  static List<String> truth(String db, boolean persons) throws Exception {
    return rows(db, persons, " FINAL");
  }

  /** The same from a direct query of the table, {@code modifier} after its name. */
  static List<String> rows(String db, boolean persons, String modifier) throws Exception {
    String sql =
        "SELECT toString(uuid), event, distinct_id, toString(timestamp), properties,"
            + " elements_chain"
            + (persons ? ", toString(person_id), person_properties, group0_properties" : "")
            + " FROM `"
            + db
            + "`.events"
            + modifier
            + " WHERE team_id = "
            + TEAM
            + " AND timestamp >= toDateTime64('"
            + PageQueries.clickHouseTime(Timestamps.toMicros(START))
            + "', 6, 'UTC')"
            + " AND timestamp < toDateTime64('"
            + PageQueries.clickHouseTime(Timestamps.toMicros(END))
            + "', 6, 'UTC')";
    List<String> out = new ArrayList<>();
    for (List<String> r : query(conn, sql)) {
      long micros =
          Timestamps.toMicros(LocalDateTime.parse(r.get(3), CH_TIME).toInstant(ZoneOffset.UTC));
      out.add(
          String.join(
              "|",
              r.get(0),
              r.get(1),
              r.get(2),
              Long.toString(micros),
              r.get(4),
              r.get(5),
              persons ? r.get(6) : "null",
              persons ? r.get(7) : "null",
              persons ? r.get(8) : "null"));
    }
    return out;
  }

  static PCollection<String> signatures(PCollection<KV<String, EventRow>> rows) {
    return rows.apply(
        "Signatures",
        MapElements.into(TypeDescriptors.strings()).via(kv -> signature(kv.getValue())));
  }

  @ParameterizedTest
  @EnumSource(Schema.class)
  void everyRowOfTheTeamAndRangeComesOutExactlyOnce(Schema schema, TestPipeline p)
      throws Exception {
    String db = TestEvents.load(ch, "chread_exact", schema);
    ClickHouseEventsIO.Read read = read(db).withFetchSize(7);
    ReadPlan plan = read.plan();

    assertEquals(ReadPlan.PagingMode.SORT_KEY, plan.pagingMode());
    assertEquals(
        schema == Schema.GEN1
            ? List.of("distinct_id", "uuid")
            : List.of("event", "cityHash64(distinct_id)", "cityHash64(uuid)"),
        plan.keys().stream().map(KeyColumn::expression).collect(Collectors.toList()));
    assertEquals(schema == Schema.SHARDED_GEN3 ? "sharded_events" : "events", plan.dataTable());
    assertEquals("events", plan.queryTable());
    assertEquals(
        List.of("team2-2024-05-01", "team2-2024-05-02", "team2-2024-05-03"),
        plan.shards().stream().map(Shard::id).collect(Collectors.toList()));
    // Only what a stage uses: the person and group columns of GEN2/GEN3 are never selected.
    assertEquals(List.of("elements_chain"), plan.optionalColumns());

    assertEquals(CopyRule.LATEST_VERSION, plan.copyRule());
    assertEquals(KeyColumn.of("_timestamp", "DateTime"), plan.versionColumn());
    List<String> stored = rows(db, false, "");
    List<String> truth = truth(db, false);
    // The data set does what it claims: copies present, range edges honoured.
    long copiesOfOne =
        stored.stream()
            .filter(s -> s.contains("\"n\":" + TestEvents.MANY_COPIES_OFFSET + ","))
            .count();
    assertEquals(31, copiesOfOne);
    assertTrue(stored.size() > new HashSet<>(stored).size() + 30);
    assertEquals(new HashSet<>(stored).size(), truth.size(), "FINAL keeps one of each copy");
    long startMicros = Timestamps.toMicros(START);
    long endMicros = Timestamps.toMicros(END);
    assertEquals(
        List.of(startMicros, endMicros - 1),
        truth.stream()
            .filter(t -> t.contains("|edge|edge-user|"))
            .map(t -> Long.parseLong(t.split("\\|")[3]))
            .sorted()
            .collect(Collectors.toList()),
        "of the edge rows, the one at start and the one 1us before end are in range");
    // The other team's rows are numbered from 100,000.
    assertTrue(
        truth.stream().noneMatch(t -> t.matches(".*\"n\":1\\d{5},.*")), "no row of the other team");
    assertEquals(plan.estimatedRows(), stored.size());

    ClickHouseEventsIO.ReadResult result = p.apply("Read", read.withPlan(plan));
    PAssert.that(signatures(result.getRows())).containsInAnyOrder(truth);
    PAssert.that(result.getStats())
        .satisfies(
            stats -> {
              long rows = 0;
              long copies = 0;
              for (ShardReadStats s : stats) {
                rows += s.rowsReturned();
                copies += s.copiesMerged();
                assertTrue(s.pages() > 30, s.toString());
                // Only the pages: each shard is a whole day whose stored rows the plan counted,
                // and every one of them was seen (passed on or merged), so no count was needed.
                // The day with 31 copies of one row: a page of 7 could not hold them, so that tie
                // group was read whole with one more query; other days need none.
                assertEquals(
                    s.shardId().equals("team2-2024-05-01") ? s.pages() + 1 : s.pages(),
                    s.queries(),
                    s.toString());
                assertEquals(s.expectedRows(), s.rowsReturned(), s.toString());
                // Streamed (the default): ClickHouse's summary went out with the first block, so
                // the rows and bytes it read are not known, rather than partial.
                assertEquals(-1, s.readRows(), s.toString());
                assertEquals(-1, s.readBytes(), s.toString());
              }
              assertEquals(truth.size(), rows);
              assertEquals(stored.size() - truth.size(), copies);
              return null;
            });
    p.run().waitUntilFinish();
  }

  @ParameterizedTest
  @EnumSource(
      value = Schema.class,
      names = {"GEN1", "GEN3"})
  void heavyDaysSplitByPersonAndThePartsMakeUpTheDay(Schema schema, TestPipeline p)
      throws Exception {
    String db = TestEvents.load(ch, "chread_split", schema);
    ReadPlan plan = read(db).withSplitThreshold(200).plan();
    assertEquals(
        schema == Schema.GEN1 ? "distinct_id" : "cityHash64(distinct_id)",
        plan.splitColumn().expression());
    List<String> ids = plan.shards().stream().map(Shard::id).collect(Collectors.toList());
    assertTrue(
        ids.contains("team2-2024-05-02-p1of3") && ids.contains("team2-2024-05-02-p3of3"),
        ids.toString());
    for (Shard s : plan.shards()) {
      assertTrue(s.parts() > 1, s.toString());
    }

    List<String> truth = truth(db, false);
    PCollection<KV<String, EventRow>> rows =
        p.apply("Read", read(db).withPlan(plan).withFetchSize(9)).getRows();
    PAssert.that(signatures(rows)).containsInAnyOrder(truth);
    PAssert.that(rows)
        .satisfies(
            all -> {
              Map<String, Set<String>> shardsOfPersonDay = new HashMap<>();
              Set<String> shardsSeen = new HashSet<>();
              for (KV<String, EventRow> kv : all) {
                String day = kv.getKey().substring(0, "team2-2024-05-01".length());
                shardsOfPersonDay
                    .computeIfAbsent(day + "/" + kv.getValue().distinctId(), k -> new HashSet<>())
                    .add(kv.getKey());
                shardsSeen.add(kv.getKey());
              }
              shardsOfPersonDay.forEach((k, v) -> assertEquals(1, v.size(), k + " in " + v));
              assertEquals(new HashSet<>(ids), shardsSeen);
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void aTableWithAnotherSortKeyIsPagedByTimeWithAWarning(TestPipeline p) throws Exception {
    String db = TestEvents.load(ch, "chread_fallback", Schema.GEN1);
    ch.execute(
        "CREATE TABLE `"
            + db
            + "`.events2 AS `"
            + db
            + "`.events ENGINE = MergeTree ORDER BY (uuid)");
    ch.execute("INSERT INTO `" + db + "`.events2 SELECT * FROM `" + db + "`.events");
    ch.execute("EXCHANGE TABLES `" + db + "`.events AND `" + db + "`.events2");
    ClickHouseEventsIO.Read read = read(db).withFetchSize(11);
    ReadPlan plan = read.plan();
    assertEquals(ReadPlan.PagingMode.TIME_ORDER, plan.pagingMode());
    assertEquals(
        List.of("timestamp", "uuid"),
        plan.keys().stream().map(KeyColumn::expression).collect(Collectors.toList()));
    assertTrue(
        plan.warnings().stream().anyMatch(w -> w.contains("paging by (timestamp, uuid)")),
        plan.warnings().toString());
    // A plain MergeTree merges nothing: every stored row is an event.
    assertEquals(CopyRule.KEEP_ALL, plan.copyRule());
    PAssert.that(signatures(p.apply("Read", read.withPlan(plan)).getRows()))
        .containsInAnyOrder(rows(db, false, ""));
    p.run().waitUntilFinish();
  }

  @Test
  void personAndGroupColumnsAreNotReadAndTheEventsAreTheSame() throws Exception {
    String db = TestEvents.load(ch, "chread_columns", Schema.GEN3);
    ReadPlan plan = read(db).plan();
    Shard day = plan.shards().get(1);
    String page = PageQueries.page(plan, day, null, 100).sql();
    for (String column : EventColumns.NOT_READ) {
      assertFalse(page.contains(column), column + " in " + page);
    }
    assertTrue(page.contains("elements_chain"), page);

    // The same shard read as before (person and group columns selected), with exact summaries.
    List<String> wide = new ArrayList<>(EventColumns.OPTIONAL);
    wide.addAll(EventColumns.NOT_READ);
    ClickHouseConnectionConfig exact =
        ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password()).withExactSummaries();
    assertTrue(exact.exactSummaries());
    List<EventRow> narrowRows = new ArrayList<>();
    List<EventRow> wideRows = new ArrayList<>();
    ShardReadStats narrow;
    ShardReadStats widened;
    try (ShardReader reader = new ShardReader(exact, plan, 50, 0, Duration.ZERO)) {
      narrow = reader.read(day, narrowRows::add);
    }
    try (ShardReader reader =
        new ShardReader(exact, plan.withOptionalColumns(wide), 50, 0, Duration.ZERO)) {
      widened = reader.read(day, wideRows::add);
    }
    assertEquals(narrowRows.size(), wideRows.size());
    assertTrue(narrowRows.size() > 100, narrow.toString());
    assertTrue(
        wideRows.stream()
            .anyMatch(r -> r.personProperties() != null && r.personProperties().length() > 2));
    assertTrue(narrowRows.stream().allMatch(r -> r.personProperties() == null));
    // The events sent are the same, byte for byte.
    for (int i = 0; i < narrowRows.size(); i++) {
      MapPostHogEvents.Outcome a = MapPostHogEvents.map(day.id(), narrowRows.get(i));
      MapPostHogEvents.Outcome b = MapPostHogEvents.map(day.id(), wideRows.get(i));
      assertEquals(
          b.event() == null ? b.deadLetter().reason() : b.event().toJson(),
          a.event() == null ? a.deadLetter().reason() : a.event().toJson());
    }
    // Exact figures when every query runs to completion: each row read at least once, and fewer
    // bytes without the person and group columns.
    assertTrue(narrow.readRows() >= narrow.rowsReturned(), narrow.toString());
    assertTrue(widened.readRows() >= widened.rowsReturned(), widened.toString());
    assertTrue(narrow.readBytes() < widened.readBytes(), narrow + " vs " + widened);
  }

  @Test
  void missingRequiredColumnsAreNamed() throws Exception {
    String db = ch.createDatabase("chread_missing");
    ch.execute(
        "CREATE TABLE "
            + db
            + ".events (uuid UUID, event String, timestamp DateTime64(6, 'UTC'),"
            + " team_id Int64) ENGINE = MergeTree ORDER BY (team_id, toDate(timestamp), event)");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> read(db).plan());
    assertEquals(
        "ClickHouse table "
            + db
            + ".events lacks the columns hogbeam needs: properties, distinct_id",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read("chread_no_such_db").plan());
    assertTrue(e.getMessage().contains("has no events table"), e.getMessage());
  }

  @Test
  void aShardThatCannotBeReadFailsTheRunNamingIt(TestPipeline p) throws Exception {
    String db = TestEvents.load(ch, "chread_fail", Schema.GEN2);
    ReadPlan plan = read(db).plan();
    p.apply("Read", read(db).withPlan(plan).withMaxRetries(0));
    // Gone after the pipeline was built (a given plan's layout is checked against ClickHouse then).
    ch.execute("DROP TABLE `" + db + "`.events");
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(e.getMessage().contains("Reading ClickHouse shard team2-2024-05-0"), e.getMessage());
  }

  @Test
  void thePasswordIsNeverShown() {
    ClickHouseEventsIO.Read read = read("posthog").withPassword("hunter2-secret");
    assertFalse(
        org.apache.beam.sdk.transforms.display.DisplayData.from(read)
            .toString()
            .contains("hunter2"));
    assertFalse(read.connectionConfig().toString().contains("hunter2"));
    ClickHouseEventsIO.Read wrong =
        ClickHouseEventsIO.read()
            .withUrl(ch.jdbcUrl())
            .withUser(ch.user())
            .withPassword("hunter2-secret")
            .withTeamId(TEAM)
            .withRange(START, END);
    if (!ch.password().equals("hunter2-secret")) {
      IllegalStateException e = assertThrows(IllegalStateException.class, wrong::plan);
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertFalse(String.valueOf(t.getMessage()).contains("hunter2"), t.toString());
      }
    }
  }
}
