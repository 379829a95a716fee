package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogPersonsGenerator;
import dev.hogbeam.testing.PostHogPersonsGenerator.FinalState;
import dev.hogbeam.testing.PostHogPersonsGenerator.Group;
import dev.hogbeam.testing.PostHogPersonsGenerator.Person;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The final-state stage end to end: the source's person, distinct id and group tables, the
 * migration's events, then PostHog's person processing (a test-side model) applied to what the fake
 * capture server received, in arrival order.
 */
class FinalStateTest extends ClickHouseHarness {
  static final Set<String> STAGE_EVENTS = Set.of("$merge_dangerously", "$set", "$groupidentify");

  static FinalState loadPersons(String db) {
    PostHogDataGenerator events = PostHogDataGenerator.createEvents(ch, db, Layout.GEN3);
    return PostHogPersonsGenerator.createTables(ch, db)
        .generate(new PostHogPersonsGenerator.Spec(2, 120, 5, 4, START, 3, 17), events);
  }

  @ParameterizedTest
  @CsvSource({"day, seen", "person, seen", "day, all"})
  void everyMigratedPersonAndGroupEndsInTheSourcesFinalState(String orderBy, String scope)
      throws Exception {
    String db = ch.createDatabase("final_state");
    FinalState state = loadPersons(db);
    server = FakeCaptureServer.start();

    Run r =
        run(
            array(
                args(
                    db,
                    "--orderBy=" + orderBy,
                    "--persons=" + scope,
                    "--groups=" + scope,
                    "--personShards=3",
                    "--personPageSize=7")));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    List<Person> persons =
        scope.equals("all") ? List.copyOf(state.persons().values()) : state.seenPersons();
    List<Group> groups = scope.equals("all") ? state.groups() : state.seenGroups();
    assertTrue(persons.size() > 20 && groups.size() > 3);
    List<ReceivedEvent> received = server.events();

    // Exactly the expected stage events, each once, after every event of the range.
    long links = persons.stream().mapToLong(p -> p.distinctIds().size() - 1).sum();
    Map<String, Integer> stage = new HashMap<>();
    int firstStage = -1;
    for (int i = 0; i < received.size(); i++) {
      ReceivedEvent e = received.get(i);
      if (STAGE_EVENTS.contains(e.json().path("event").asText())) {
        stage.merge(e.uuid(), 1, Integer::sum);
        firstStage = firstStage < 0 ? i : firstStage;
      } else {
        assertTrue(firstStage < 0, "an event of the range arrived after the final state");
      }
    }
    assertEquals(state.events(), firstStage, "every event of the range first");
    assertEquals(persons.size() + links + groups.size(), stage.size());
    assertTrue(stage.values().stream().allMatch(n -> n == 1), "each once");

    PersonModel model = PersonModel.of(received);
    for (Person p : persons) {
      PersonModel.Person m = model.byDistinctId.get(p.distinctIds().first());
      assertEquals(p.distinctIds(), m.distinctIds, "distinct ids of " + p.id());
      assertEquals(p.properties(), m.properties, "properties of " + p.id());
    }
    for (Group g : groups) {
      String type = PostHogPersonsGenerator.GROUP_TYPES.get(g.typeIndex());
      assertEquals(g.properties(), model.groups.get(type + "/" + g.key()), g.key());
    }
    assertEquals(groups.size(), model.groups.size());

    RunReport report = report(tmp.resolve("checkpoints"));
    assertEquals(persons.size(), report.get("finalState", "clickhouse", "persons"));
    assertEquals(links, report.get("finalState", "clickhouse", "links"));
    assertEquals(groups.size(), report.get("finalState", "clickhouse", "groups"));
    assertEquals(state.deletedPersons(), report.get("finalState", "clickhouse", "personsDeleted"));
    assertEquals(
        state.supersededPersonVersions(),
        report.get("finalState", "clickhouse", "personVersionsSuperseded"));
    assertEquals(
        scope.equals("all") ? 0 : state.persons().size() - persons.size(),
        report.get("finalState", "clickhouse", "personsNotSeen"));
    assertTrue(r.out().contains("group types inferred from the events: 0:company"), r.out());
    assertTrue(r.out().contains("final state: " + persons.size() + " person(s)"), r.out());
  }
}
