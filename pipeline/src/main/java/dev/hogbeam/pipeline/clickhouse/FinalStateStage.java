package dev.hogbeam.pipeline.clickhouse;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.FinalStateScope;
import dev.hogbeam.pipeline.options.Flags;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The final-state stage as the next stage of a ClickHouse migration: decided (tables present, group
 * type names given or inferred) before any event is sent, planned and run after the event migration
 * finished every group, with its checkpoints in {@code <checkpointDir>/final-state}.
 */
final class FinalStateStage implements Migration.NextStage {
  private final ClickHouseOptions options;
  private final Destination destination;
  private final String directory;
  private final FinalState.Settings settings;
  private final Ledger events;

  private FinalStateStage(
      ClickHouseOptions options,
      Destination destination,
      String directory,
      FinalState.Settings settings,
      Ledger events) {
    this.options = options;
    this.destination = destination;
    this.directory = directory;
    this.settings = settings;
    this.events = events;
  }

  /**
   * The stage for a migration of {@code plan}, or null when there is nothing to send ({@code
   * --persons=none --groups=none}, or no such tables, which {@code out} is told).
   */
  static @Nullable FinalStateStage decide(
      ClickHouseOptions o,
      Destination destination,
      ClickHouseConnectionConfig connection,
      ReadPlan plan,
      Migration.Setup setup,
      PrintStream out)
      throws SQLException {
    FinalStateScope persons = o.getPersons();
    FinalStateScope groups = o.getGroups();
    if (persons == FinalStateScope.none && groups == FinalStateScope.none) {
      return null;
    }
    Flags.checkPositive("personPageSize", o.getPersonPageSize());
    Flags.checkPositive("personShards", o.getPersonShards());
    FinalStateQueries queries =
        new FinalStateQueries(
            o.getClickhouseDatabase(),
            PageQueries.qualifiedTable(plan),
            plan.teamId(),
            plan.startMicros(),
            plan.endMicros());
    Map<Integer, String> types = new TreeMap<>();
    try (Connection c = connection.open()) {
      Set<String> tables = new TreeSet<>();
      FinalState.query(c, queries.existingTables(), rs -> tables.add(rs.getString(1)));
      if (persons != FinalStateScope.none
          && !(tables.contains("person") && tables.contains("person_distinct_id2"))) {
        out.println(
            "final state: "
                + o.getClickhouseDatabase()
                + " has no person and person_distinct_id2 tables; persons are not migrated");
        persons = FinalStateScope.none;
      }
      if (groups != FinalStateScope.none && !tables.contains("groups")) {
        out.println(
            "final state: "
                + o.getClickhouseDatabase()
                + " has no groups table; groups are not migrated");
        groups = FinalStateScope.none;
      }
      if (groups != FinalStateScope.none) {
        types = groupTypes(o, c, queries, out);
      }
    }
    if (persons == FinalStateScope.none && groups == FinalStateScope.none) {
      return null;
    }
    FinalState.Settings settings =
        new FinalState.Settings(
            connection,
            queries,
            plan.teamId(),
            plan.endMicros(),
            persons,
            groups,
            types,
            o.getPersonPageSize(),
            o.getPersonShards());
    return new FinalStateStage(
        o, destination, setup.store().path(FinalState.DIRECTORY), settings, setup.ledger());
  }

  /** From {@code --groupTypes}, or inferred from the range's events (and said so). */
  private static Map<Integer, String> groupTypes(
      ClickHouseOptions o, Connection c, FinalStateQueries queries, PrintStream out)
      throws SQLException {
    if (o.getGroupTypes() != null) {
      return new TreeMap<>(FinalState.parseGroupTypes(o.getGroupTypes()));
    }
    List<Integer> indexes = new ArrayList<>();
    FinalState.query(c, queries.groupTypeIndexes(), rs -> indexes.add(rs.getInt(1)));
    Map<Integer, Map<String, Long>> byIndex = new TreeMap<>();
    Map<String, Set<Integer>> byName = new TreeMap<>();
    FinalState.query(
        c,
        queries.groupTypeEvidence(),
        rs -> {
          byIndex
              .computeIfAbsent(rs.getInt(1), k -> new TreeMap<>())
              .put(rs.getString(2), rs.getLong(3));
          byName.computeIfAbsent(rs.getString(2), k -> new TreeSet<>()).add(rs.getInt(1));
        });
    Map<Integer, String> types = new TreeMap<>();
    for (int index : indexes) {
      Map<String, Long> names = byIndex.getOrDefault(index, Map.of());
      if (names.isEmpty()) {
        throw new IllegalArgumentException(
            "cannot infer the name of group type "
                + index
                + ": no event of the range names it in $groups; give --groupTypes (e.g."
                + " --groupTypes=0:company,1:project; PostHog lists them under Settings > Groups)");
      }
      if (names.size() > 1) {
        throw new IllegalArgumentException(
            "group type "
                + index
                + " is ambiguous: the range's events call it "
                + names
                + " (events per name); give --groupTypes");
      }
      String name = names.keySet().iterator().next();
      if (byName.get(name).size() > 1) {
        throw new IllegalArgumentException(
            "group type name "
                + name
                + " is ambiguous: the range's events use it for indexes "
                + byName.get(name)
                + "; give --groupTypes");
      }
      types.put(index, name);
    }
    StringBuilder said = new StringBuilder("final state: group types inferred from the events:");
    types.forEach(
        (i, n) ->
            said.append(' ')
                .append(i)
                .append(':')
                .append(n)
                .append(" (")
                .append(byIndex.get(i).get(n))
                .append(" events)"));
    out.println(said + "; --groupTypes overrides");
    return types;
  }

  @Override
  public Migration<?> open() throws Exception {
    Migration.Setup setup = Migration.Setup.open(options, destination, directory).withoutRules();
    Map<String, Long> skips = new TreeMap<>();
    if (settings.persons() != FinalStateScope.none) {
      try (Connection c = settings.connection().open()) {
        FinalState.query(
            c,
            settings.queries().personSkips(),
            rs -> {
              skips.put("personsDeleted", rs.getLong(1));
              skips.put("personVersionsSuperseded", rs.getLong(2));
            });
        FinalState.query(
            c,
            settings.queries().distinctIdSkips(),
            rs -> {
              skips.put("distinctIdsDeleted", rs.getLong(1));
              skips.put("distinctIdMappingsSuperseded", rs.getLong(2));
            });
      }
    }
    setup
        .store()
        .writeText(
            "skips.json",
            new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(skips));
    return Migration.of(new FinalState(settings), setup, null);
  }

  @Override
  public String finished(Migration<?> stage) throws Exception {
    Map<String, Long> skips = new TreeMap<>();
    String text = stage.setup().store().readText("skips.json");
    if (text != null) {
      new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(text)
          .fields()
          .forEachRemaining(e -> skips.put(e.getKey(), e.getValue().asLong()));
    }
    Map<String, Long> totals = FinalState.totals(stage.ledger(), skips);
    totals.put(
        "groupsDone", stage.ledger().groups().values().stream().filter(g -> g.done()).count());
    totals.put("groupsPlanned", (long) stage.plan().shards());
    events.recordCounts(FinalState.SECTION, "clickhouse", totals);
    return String.format(
        "final state: %d person(s) with %d link(s), %d group(s) sent; skipped: %d deleted"
            + " person(s), %d superseded version(s), %d person(s) not in the range, %d without a"
            + " distinct id%n",
        totals.getOrDefault("persons", 0L),
        totals.getOrDefault("links", 0L),
        totals.getOrDefault("groups", 0L),
        totals.getOrDefault("personsDeleted", 0L),
        totals.getOrDefault("personVersionsSuperseded", 0L),
        totals.getOrDefault("personsNotSeen", 0L),
        totals.getOrDefault("personsWithoutDistinctIds", 0L));
  }
}
