package dev.hogbeam.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * PostHog's {@code person}, {@code person_distinct_id2} and {@code groups} tables (the DDL resource
 * posthog-persons.sql, single-node ReplacingMergeTree forms) and a generator that fills them, with
 * events in a range for the persons, and returns the final state PostHog itself would show.
 *
 * <p>The data holds what makes persons hard to migrate: several versions per person (each version
 * written by its own INSERT, so the parts stay unmerged and only argMax by version gives the final
 * row), deleted persons (a last version with {@code is_deleted = 1}, their distinct ids deleted
 * too), persons merged into another before the range (the merged person deleted, its distinct ids
 * re-pointed to the other person with a higher version), persons with and without events in the
 * range, and groups of two types ({@code 0: company}, {@code 1: project}) with older and newer
 * rows, some never referenced by an event.
 */
public final class PostHogPersonsGenerator {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The group type names the generated events use, by index. */
  public static final Map<Integer, String> GROUP_TYPES = Map.of(0, "company", 1, "project");

  private final LocalClickHouse clickHouse;
  private final String database;

  private PostHogPersonsGenerator(LocalClickHouse clickHouse, String database) {
    this.clickHouse = requireNonNull(clickHouse, "clickHouse");
    this.database = requireNonNull(database, "database");
  }

  /** Creates {@code person}, {@code person_distinct_id2} and {@code groups} in {@code database}. */
  public static PostHogPersonsGenerator createTables(LocalClickHouse clickHouse, String database) {
    for (String statement : createTablesSql(database)) {
      clickHouse.execute(statement);
    }
    return new PostHogPersonsGenerator(clickHouse, database);
  }

  /** PostHog's CREATE TABLE statements for the three tables in {@code database}. */
  public static List<String> createTablesSql(String database) {
    String all;
    try (InputStream in =
        PostHogPersonsGenerator.class.getResourceAsStream("posthog-persons.sql")) {
      if (in == null) {
        throw new IllegalStateException("posthog-persons.sql is missing from the classpath");
      }
      all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> out = new ArrayList<>();
    for (String part : all.split("\n;\n")) {
      String sql = part.substring(part.indexOf("CREATE TABLE")).trim();
      out.add(sql.replace("${database}", database));
    }
    return out;
  }

  /** What to generate. */
  public record Spec(
      long teamId,
      int persons,
      int companies,
      int projects,
      Instant rangeStart,
      int rangeDays,
      long seed) {}

  /** A person as PostHog shows it at the end: latest properties and every distinct id. */
  public record Person(
      String id,
      long version,
      SortedMap<String, String> properties,
      SortedSet<String> distinctIds,
      boolean seen) {}

  /** A group as PostHog shows it at the end. */
  public record Group(
      int typeIndex, String key, SortedMap<String, String> properties, boolean seen) {}

  /**
   * The source's final state after {@link #generate}: the live persons with at least one distinct
   * id, the groups, what was skipped, and the events written into the range.
   */
  public record FinalState(
      SortedMap<String, Person> persons,
      List<Group> groups,
      int deletedPersons,
      int supersededPersonVersions,
      int events) {

    /** Persons {@code --persons=seen} migrates: a distinct id occurs in the range's events. */
    public List<Person> seenPersons() {
      return persons.values().stream().filter(Person::seen).toList();
    }

    public List<Group> seenGroups() {
      return groups.stream().filter(Group::seen).toList();
    }
  }

  /**
   * Fills the three tables for {@code spec.teamId()} and writes each seen person's events (in the
   * range) with {@code events}; returns the final state.
   */
  public FinalState generate(Spec spec, PostHogDataGenerator events) {
    Random random = new Random(spec.seed());
    int n = spec.persons();
    String[] ids = new String[n];
    List<List<String>> ownIds = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids[i] =
          UUID.nameUUIDFromBytes(
                  ("person-" + spec.seed() + "-" + i).getBytes(StandardCharsets.UTF_8))
              .toString();
      List<String> own = new ArrayList<>();
      own.add("user-" + i);
      for (int k = 0; k < i % 3; k++) {
        own.add("anon-" + i + "-" + k);
      }
      ownIds.add(own);
    }
    // Person versions: 1 + i % 3 of them, each with its own properties; one INSERT per version.
    List<List<Object[]>> personRowsByVersion = new ArrayList<>();
    List<Object[]> deletions = new ArrayList<>();
    List<Object[]> distinctRows = new ArrayList<>();
    List<Object[]> distinctUpdates = new ArrayList<>();
    TreeMap<String, Person> persons = new TreeMap<>();
    int deleted = 0;
    int superseded = 0;
    boolean[] mergedAway = new boolean[n];
    for (int i = 0; i < n; i++) {
      mergedAway[i] = i % 5 == 4 && !isDeleted(i) && !isDeleted(i - 1);
    }
    String[] plans = {"free", "pro", "enterprise"};
    for (int i = 0; i < n; i++) {
      int versions = 1 + i % 3;
      TreeMap<String, String> finalProperties = null;
      for (int v = 0; v < versions; v++) {
        TreeMap<String, String> p = new TreeMap<>();
        p.put("name", "Person " + i + (v == versions - 1 ? "" : " (v" + v + ")"));
        p.put("plan", plans[(i + v) % 3]);
        p.put("email", "p" + i + "@example.com");
        if (i + 1 < n && mergedAway[i + 1]) {
          p.put("merged_from", "Person " + (i + 1));
        }
        while (personRowsByVersion.size() <= v) {
          personRowsByVersion.add(new ArrayList<>());
        }
        personRowsByVersion.get(v).add(personRow(spec.teamId(), ids[i], p, 0, v));
        finalProperties = p;
      }
      superseded += versions - 1;
      for (String d : ownIds.get(i)) {
        distinctRows.add(new Object[] {spec.teamId(), d, ids[i], 0, 0L});
      }
      if (isDeleted(i) || mergedAway[i]) {
        deletions.add(personRow(spec.teamId(), ids[i], finalProperties, 1, versions));
        superseded += 1; // the last live version is superseded by the deletion
        deleted++;
        for (String d : ownIds.get(i)) {
          distinctUpdates.add(
              mergedAway[i]
                  ? new Object[] {spec.teamId(), d, ids[i - 1], 0, 1L}
                  : new Object[] {spec.teamId(), d, ids[i], 1, 1L});
        }
        continue;
      }
      persons.put(
          ids[i],
          new Person(ids[i], versions - 1, finalProperties, new TreeSet<>(ownIds.get(i)), false));
    }
    for (int i = 0; i < n; i++) {
      if (mergedAway[i]) {
        persons.get(ids[i - 1]).distinctIds().addAll(ownIds.get(i));
      }
    }
    for (List<Object[]> rows : personRowsByVersion) {
      insert(
          "person",
          "id, properties, is_deleted, version, team_id, created_at, is_identified, _timestamp, _offset",
          rows);
    }
    insert(
        "person",
        "id, properties, is_deleted, version, team_id, created_at, is_identified, _timestamp, _offset",
        deletions);
    insert(
        "person_distinct_id2",
        "team_id, distinct_id, person_id, is_deleted, version",
        distinctRows);
    insert(
        "person_distinct_id2",
        "team_id, distinct_id, person_id, is_deleted, version",
        distinctUpdates);

    // Groups: an older row for every group, a newer one (later _timestamp) for every other one; the
    // last group of each type is never referenced by an event.
    List<Object[]> older = new ArrayList<>();
    List<Object[]> newer = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    Instant t0 = spec.rangeStart().minus(30, ChronoUnit.DAYS);
    int[] counts = {spec.companies(), spec.projects()};
    String[] prefixes = {"c", "p"};
    for (int type = 0; type < 2; type++) {
      for (int j = 0; j < counts[type]; j++) {
        String key = prefixes[type] + j;
        TreeMap<String, String> old = new TreeMap<>(Map.of("name", "old " + key));
        older.add(groupRow(spec.teamId(), type, key, old, t0));
        TreeMap<String, String> last = old;
        if (j % 2 == 0) {
          last =
              new TreeMap<>(
                  Map.of(
                      "name", GROUP_TYPES.get(type) + " " + j, "size", Integer.toString(10 * j)));
          newer.add(groupRow(spec.teamId(), type, key, last, t0.plusSeconds(60)));
        }
        groups.add(new Group(type, key, last, false));
      }
    }
    insert(
        "groups",
        "team_id, group_type_index, group_key, group_properties, _timestamp, created_at",
        older);
    insert(
        "groups",
        "team_id, group_type_index, group_key, group_properties, _timestamp, created_at",
        newer);

    // Events: persons with i % 4 != 3 (not deleted) have events on their original distinct ids.
    List<PostHogDataGenerator.EventRow> rows = new ArrayList<>();
    java.util.Set<String> seenIds = new java.util.HashSet<>();
    java.util.Set<String> seenGroups = new java.util.HashSet<>();
    long daySeconds = 86_400;
    for (int i = 0; i < n; i++) {
      if (i % 4 == 3 || isDeleted(i)) {
        continue;
      }
      int company = spec.companies() > 1 ? i % (spec.companies() - 1) : 0;
      int project = spec.projects() > 1 ? i % (spec.projects() - 1) : 0;
      List<String> own = ownIds.get(i);
      for (int k = 0; k < own.size(); k++) {
        String d = own.get(k);
        seenIds.add(d);
        for (int e = 0; e < 2; e++) {
          int day = (i + k + e) % spec.rangeDays();
          Instant ts =
              spec.rangeStart()
                  .plusSeconds(day * daySeconds + random.nextInt((int) daySeconds))
                  .plusNanos(random.nextInt(1_000_000) * 1_000L);
          ObjectNode props = JSON.createObjectNode();
          props.putObject("$set").put("name", "stale " + i + "-" + e).put("plan", "trial");
          props.putObject("$set_once").put("plan", "first");
          ObjectNode g = props.putObject("$groups");
          g.put("company", prefixes[0] + company);
          props.put("$group_0", prefixes[0] + company);
          seenGroups.add("0/" + prefixes[0] + company);
          if (e == 1) {
            g.put("project", prefixes[1] + project);
            props.put("$group_1", prefixes[1] + project);
            seenGroups.add("1/" + prefixes[1] + project);
          }
          rows.add(event(spec.teamId(), e == 0 ? "$pageview" : "clicked", d, ts, props));
        }
        if (k > 0) {
          ObjectNode props = JSON.createObjectNode();
          props.put("$anon_distinct_id", d);
          Instant ts =
              spec.rangeStart().plusSeconds(((i + k) % spec.rangeDays()) * daySeconds + 43_200);
          rows.add(event(spec.teamId(), "$identify", own.get(0), ts, props));
        }
      }
    }
    events.insert(rows);

    TreeMap<String, Person> out = new TreeMap<>();
    for (Person p : persons.values()) {
      boolean seen = p.distinctIds().stream().anyMatch(seenIds::contains);
      out.put(p.id(), new Person(p.id(), p.version(), p.properties(), p.distinctIds(), seen));
    }
    List<Group> finalGroups = new ArrayList<>();
    for (Group g : groups) {
      finalGroups.add(
          new Group(
              g.typeIndex(),
              g.key(),
              g.properties(),
              seenGroups.contains(g.typeIndex() + "/" + g.key())));
    }
    return new FinalState(
        Collections.unmodifiableSortedMap(out),
        List.copyOf(finalGroups),
        deleted,
        superseded,
        rows.size());
  }

  private static boolean isDeleted(int i) {
    return i >= 0 && i % 7 == 6;
  }

  private static Object[] personRow(
      long team, String id, Map<String, String> properties, int deleted, long version) {
    return new Object[] {
      id,
      json(properties),
      deleted,
      version,
      team,
      "2023-01-01 00:00:00.000",
      1,
      "2023-01-01 00:00:00",
      0L
    };
  }

  private static Object[] groupRow(
      long team, int type, String key, Map<String, String> properties, Instant at) {
    String time = at.toString().replace('T', ' ').replace("Z", "");
    return new Object[] {team, type, key, json(properties), time, time};
  }

  private static PostHogDataGenerator.EventRow event(
      long team, String name, String distinctId, Instant ts, ObjectNode properties) {
    String uuid =
        UUID.nameUUIDFromBytes(
                (team + "/" + name + "/" + distinctId + "/" + ts).getBytes(StandardCharsets.UTF_8))
            .toString();
    return PostHogDataGenerator.EventRow.builder()
        .uuid(uuid)
        .teamId(team)
        .event(name)
        .distinctId(distinctId)
        .timestamp(ts)
        .properties(properties.toString())
        .build();
  }

  static String json(Map<String, String> properties) {
    ObjectNode n = JSON.createObjectNode();
    new TreeMap<>(properties).forEach(n::put);
    return n.toString();
  }

  private void insert(String table, String columns, List<Object[]> rows) {
    if (rows.isEmpty()) {
      return;
    }
    int arity = columns.split(",").length;
    String sql =
        "INSERT INTO "
            + database
            + "."
            + table
            + " ("
            + columns
            + ") VALUES ("
            + String.join(", ", Collections.nCopies(arity, "?"))
            + ")";
    try (Connection c = clickHouse.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (Object[] row : rows) {
        for (int i = 0; i < arity; i++) {
          ps.setString(i + 1, String.valueOf(row[i]));
        }
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "inserting "
              + rows.size()
              + " rows into "
              + database
              + "."
              + table
              + " failed: "
              + e.getMessage(),
          e);
    }
  }
}
