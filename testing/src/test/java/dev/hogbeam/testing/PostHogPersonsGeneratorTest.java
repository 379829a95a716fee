package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogPersonsGenerator.FinalState;
import dev.hogbeam.testing.PostHogPersonsGenerator.Person;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The generated tables read back with PostHog's own latest-state SQL give the generator's model.
 */
class PostHogPersonsGeneratorTest {

  @Test
  void latestStateSqlGivesTheModel() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("persons_gen");
    PostHogDataGenerator events = PostHogDataGenerator.createEvents(ch, db, Layout.GEN3);
    FinalState state =
        PostHogPersonsGenerator.createTables(ch, db)
            .generate(
                new PostHogPersonsGenerator.Spec(
                    2, 40, 4, 3, Instant.parse("2024-03-01T00:00:00Z"), 3, 5),
                events);
    Map<String, String> props = new TreeMap<>();
    Map<String, TreeSet<String>> ids = new TreeMap<>();
    try (Connection c = ch.connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT toString(id), argMax(properties, version) FROM "
                  + db
                  + ".person WHERE team_id = 2 GROUP BY id"
                  + " HAVING argMax(is_deleted, version) = 0")) {
        while (rs.next()) {
          props.put(rs.getString(1), rs.getString(2));
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT distinct_id, toString(argMax(person_id, version)) FROM "
                  + db
                  + ".person_distinct_id2 WHERE team_id = 2 GROUP BY distinct_id"
                  + " HAVING argMax(is_deleted, version) = 0")) {
        while (rs.next()) {
          ids.computeIfAbsent(rs.getString(2), k -> new TreeSet<>()).add(rs.getString(1));
        }
      }
    }
    assertEquals(state.persons().keySet(), props.keySet());
    for (Person p : state.persons().values()) {
      assertEquals(PostHogPersonsGenerator.json(p.properties()), props.get(p.id()));
      assertEquals(p.distinctIds(), ids.get(p.id()));
    }
    assertTrue(state.deletedPersons() > 0);
    assertTrue(state.seenPersons().size() < state.persons().size());
    assertTrue(state.seenGroups().size() < state.groups().size());
    assertTrue(
        state.persons().values().stream().anyMatch(p -> p.properties().containsKey("merged_from")));
  }
}
