package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.pipeline.ChildJvm;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogPersonsGenerator;
import dev.hogbeam.testing.PostHogPersonsGenerator.FinalState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code hogbeam clickhouse --teamIds}: several projects in one run, each team's events to its own
 * project key, one account with a section per team, and a resume per team after a kill.
 */
class ClickHouseTeamsTest extends ClickHouseHarness {
  static final Map<Long, String> KEYS =
      Map.of(2L, "phc_teamTwoKey000", 5L, "phc_teamFiveKey00", 9L, "phc_teamNineKey00");

  @ParameterizedTest
  @ValueSource(strings = {"--shuffle=fused", "--shuffle=groupByKey", "--orderBy=person"})
  void threeTeamsInOneRunEachToItsOwnKey(String order) throws Exception {
    String db = load(Layout.GEN3, 60, 1, 2, 5, 9);
    Map<Long, Map<String, Expected>> expected = expected(db);
    server = FakeCaptureServer.start();

    Run r = run(array(teamArgs(db, order)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertEachTeamOnceWithItsKey(expected, server.events());
    JsonNode report = JSON.readTree(Files.readString(tmp.resolve("checkpoints/report.json")));
    long all = 0;
    for (long team : KEYS.keySet()) {
      JsonNode section = report.path("teams").path("team-" + team);
      int n = expected.get(team).size();
      assertEquals(n, section.path("groups").path("total").path("sent").asLong(), "team " + team);
      assertEquals(
          n, section.path("migration").path("entries").path("groups").path("sent").asLong());
      assertEquals(
          n,
          report
              .path("total")
              .path("groups")
              .path("entries")
              .path("team-" + team)
              .path("sent")
              .asLong());
      // Send groups carry their team.
      section
          .path("groups")
          .path("entries")
          .fieldNames()
          .forEachRemaining(g -> assertTrue(g.startsWith("team" + team + "-"), g));
      assertTrue(r.out().contains("hogbeam clickhouse team-" + team + ": finished in"), r.out());
      all += n;
    }
    assertEquals(all, report.path("total").path("groups").path("total").path("sent").asLong());
    assertEquals(
        0,
        report
            .path("total")
            .path("migration")
            .path("entries")
            .path("deadLetters")
            .path("records")
            .asLong());
    assertTrue(r.out().contains("hogbeam clickhouse: 3 teams (team-2, team-5, team-9)"), r.out());
    // Each team's checkpoints in its own directory.
    for (long team : KEYS.keySet()) {
      Map<String, GroupCheckpoint> groups =
          CheckpointStore.at(tmp.resolve("checkpoints/team-" + team).toString()).readAllGroups();
      assertFalse(groups.isEmpty());
      assertTrue(groups.values().stream().allMatch(GroupCheckpoint::done));
    }
    for (String secret : KEYS.values()) {
      assertFalse(r.out().contains(secret) || r.err().contains(secret), "a key was printed");
    }

    // A second run: every team's groups are done, so nothing is read or sent again.
    long received = server.acceptedEventCount();
    Run again = run(array(teamArgs(db, order)));
    assertEquals(ExitCodes.OK, again.exitCode(), again.out() + again.err());
    assertEquals(received, server.acceptedEventCount());
  }

  @org.junit.jupiter.api.Test
  void filesOfEachTeamGoToItsOwnDirectoryAndNeedNoKeys() throws Exception {
    String db = load(Layout.GEN3, 30, 2, 5);
    server = FakeCaptureServer.start();
    Path out = tmp.resolve("out");
    List<String> a = new ArrayList<>();
    for (String arg : teamArgs(db, "--teamIds=2,5", "--outputDir=" + out)) {
      if (!arg.startsWith("--projectKeysFile=") && !arg.startsWith("--posthogUrl=")) {
        a.add(arg);
      }
    }

    Run r = run(array(a));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    for (long team : List.of(2L, 5L)) {
      Set<String> groups = new TreeSet<>();
      long lines = 0;
      try (var files = Files.walk(out.resolve("team-" + team))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          groups.add(f.getParent().getFileName().toString());
          lines += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        }
      }
      assertEquals(
          Set.of(
              "team" + team + "-2024-03-01",
              "team" + team + "-2024-03-02",
              "team" + team + "-2024-03-03"),
          groups);
      assertEquals(SourceEvents.expected(ch, db, "events", team, START, END).size(), lines);
    }
    assertEquals(0, server.acceptedEventCount());
  }

  @org.junit.jupiter.api.Test
  void eachTeamsDeadLettersAreReSentWithItsKey() throws Exception {
    String db = load(Layout.GEN3, 40, 2, 5);
    Map<Long, Map<String, Expected>> expected = expected(db, Set.of(2L, 5L));
    Set<String> refuse = java.util.concurrent.ConcurrentHashMap.newKeySet();
    new TreeSet<>(expected.get(5L).keySet()).stream().limit(3).forEach(refuse::add);
    int refusedOfTeam5 = refuse.size();
    refuse.add(new TreeSet<>(expected.get(2L).keySet()).first());
    assertTrue(refusedOfTeam5 > 0);
    server =
        FakeCaptureServer.builder()
            .eventRule(e -> refuse.contains(e.path("uuid").asText()) ? "refused by test" : null)
            .start();

    Run first = run(array(teamArgs(db, "--teamIds=2,5")));

    assertEquals(ExitCodes.DEAD_LETTERS, first.exitCode(), first.out() + first.err());
    JsonNode report = JSON.readTree(Files.readString(tmp.resolve("checkpoints/report.json")));
    assertEquals(
        refusedOfTeam5, report.at("/teams/team-5/migration/entries/deadLetters/records").asLong());
    assertEquals(1, report.at("/teams/team-2/migration/entries/deadLetters/records").asLong());
    assertEquals(
        refusedOfTeam5 + 1, report.at("/total/migration/entries/deadLetters/records").asLong());

    refuse.clear();
    Run retry = run(array(teamArgs(db, "--teamIds=2,5", "--retryDeadLetters")));

    assertEquals(ExitCodes.OK, retry.exitCode(), retry.out() + retry.err());
    assertEachTeamOnceWithItsKey(expected, server.events());
    report = JSON.readTree(Files.readString(tmp.resolve("checkpoints/report.json")));
    assertEquals(0, report.at("/total/migration/entries/deadLetters/records").asLong());
    assertTrue(retry.out().contains("hogbeam clickhouse team-5: finished in"), retry.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"seen"})
  void theFinalStateStageRunsForEachTeamWithItsKey(String scope) throws Exception {
    String db = ch.createDatabase("teams_final_state");
    PostHogDataGenerator events = PostHogDataGenerator.createEvents(ch, db, Layout.GEN3);
    PostHogPersonsGenerator persons = PostHogPersonsGenerator.createTables(ch, db);
    Map<Long, FinalState> states = new TreeMap<>();
    states.put(
        2L, persons.generate(new PostHogPersonsGenerator.Spec(2, 16, 2, 2, START, 3, 17), events));
    states.put(
        5L, persons.generate(new PostHogPersonsGenerator.Spec(5, 10, 2, 1, START, 3, 29), events));
    server = FakeCaptureServer.start();

    Run r =
        run(
            array(
                teamArgs(
                    db,
                    "--teamIds=2,5",
                    "--persons=" + scope,
                    "--groups=" + scope,
                    "--personShards=2")));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    Map<String, Map<String, Integer>> stageByKey = new HashMap<>();
    Map<String, Integer> eventsByKey = new HashMap<>();
    for (ReceivedEvent e : server.events()) {
      if (FinalStateTest.STAGE_EVENTS.contains(e.event())) {
        stageByKey
            .computeIfAbsent(e.token(), k -> new HashMap<>())
            .merge(e.uuid(), 1, Integer::sum);
      } else {
        eventsByKey.merge(e.token(), 1, Integer::sum);
      }
    }
    for (Map.Entry<Long, FinalState> t : states.entrySet()) {
      FinalState state = t.getValue();
      String key = KEYS.get(t.getKey());
      long links = state.seenPersons().stream().mapToLong(p -> p.distinctIds().size() - 1).sum();
      assertEquals(state.events(), eventsByKey.get(key), "team " + t.getKey() + "'s events");
      Map<String, Integer> stage = stageByKey.get(key);
      assertEquals(
          state.seenPersons().size() + links + state.seenGroups().size(),
          stage.size(),
          "team " + t.getKey() + "'s persons, links and groups");
      assertTrue(stage.values().stream().allMatch(n -> n == 1), "each once");
    }
    assertEquals(Set.of(KEYS.get(2L), KEYS.get(5L)), stageByKey.keySet());
    assertTrue(
        Files.exists(tmp.resolve("checkpoints/team-5/final-state/report.json")), "per-team stage");
    JsonNode stages =
        JSON.readTree(Files.readString(tmp.resolve("checkpoints/next-stages/report.json")));
    for (Map.Entry<Long, Map<String, Integer>> t :
        Map.of(2L, stageByKey.get(KEYS.get(2L)), 5L, stageByKey.get(KEYS.get(5L))).entrySet()) {
      assertEquals(
          t.getValue().size(),
          stages
              .path("teams")
              .path("team-" + t.getKey())
              .path("groups")
              .path("total")
              .path("sent")
              .asLong(),
          "team " + t.getKey() + "'s stage in the stages' account");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"--shuffle=fused"})
  void aKilledRunResumesEachTeamOnItsOwn(String order) throws Exception {
    String db = load(Layout.GEN3, 150, 1, 2, 5, 9);
    Map<Long, Map<String, Expected>> expected = expected(db);
    int total = expected.values().stream().mapToInt(Map::size).sum();
    server =
        FakeCaptureServer.builder()
            .faultPlan(FaultPlan.always(Fault.acceptThenDelay(Duration.ofMillis(150))))
            .start();
    Path keys = keysFile("2,5,9");
    List<String> args = teamArgs(db, order, "--maxConcurrentQueries=3");
    args.remove("--projectKeysFile=" + keys);
    Map<String, String> env = Map.of("POSTHOG_PROJECT_KEYS", Files.readString(keys));

    // Killed once a group is finished and others are not.
    ChildJvm child = ChildJvm.start(ClickHouseMigration.class, args, env, tmp.resolve("child.log"));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (doneGroups().isEmpty() && System.nanoTime() < deadline) {
      assertTrue(child.isAlive(), () -> "the run ended before it was killed:\n" + child.output());
      Thread.sleep(20);
    }
    child.kill();
    Map<Long, Set<String>> doneAtKill = doneGroups();
    long deliveredBeforeKill = server.acceptedEventCount();
    assertFalse(doneAtKill.isEmpty(), () -> "no group finished:\n" + child.output());
    assertTrue(deliveredBeforeKill < total, "killed in the middle");

    server.setFaultPlan(FaultPlan.none());
    Run second = runWith(env, array(args));

    assertEquals(ExitCodes.OK, second.exitCode(), second.out() + second.err());
    // Everything once with its team's key (a re-sent in-flight batch counted apart).
    List<ReceivedEvent> received = server.events();
    Map<String, ReceivedEvent> last = new LinkedHashMap<>();
    received.forEach(e -> last.put(e.uuid(), e));
    assertEachTeamOnceWithItsKey(expected, new ArrayList<>(last.values()));
    JsonNode report = JSON.readTree(Files.readString(tmp.resolve("checkpoints/report.json")));
    long possiblyResent =
        report.path("total").path("run").path("total").path("possiblyResent").asLong();
    long twice = received.size() - total;
    System.out.printf(
        "killed after %d of %d events (%s done); the re-run delivered %d twice, %d in flight%n",
        deliveredBeforeKill, total, doneAtKill, twice, possiblyResent);
    assertTrue(twice <= possiblyResent, twice + " re-sent, " + possiblyResent + " in flight");
    // A group finished before the kill is not read again; the others of its team are.
    for (Map.Entry<Long, Set<String>> team : doneAtKill.entrySet()) {
      JsonNode shards =
          report.path("teams").path("team-" + team.getKey()).path("shards").path("entries");
      for (String group : team.getValue()) {
        assertTrue(shards.path(group).isMissingNode(), group + " was read again");
      }
    }
    int readAgain = 0;
    for (long team : KEYS.keySet()) {
      readAgain += report.path("teams").path("team-" + team).path("shards").path("entries").size();
    }
    assertTrue(readAgain > 0 && readAgain < 9, "only the unfinished groups read: " + readAgain);
  }

  /** Finished groups per team, from the checkpoints. */
  private Map<Long, Set<String>> doneGroups() {
    Map<Long, Set<String>> out = new TreeMap<>();
    for (long team : KEYS.keySet()) {
      Path dir = tmp.resolve("checkpoints/team-" + team);
      if (!Files.isDirectory(dir.resolve("groups"))) {
        continue;
      }
      try {
        for (GroupCheckpoint g : CheckpointStore.at(dir.toString()).readAllGroups().values()) {
          if (g.done()) {
            out.computeIfAbsent(team, t -> new TreeSet<>()).add(g.group());
          }
        }
      } catch (RuntimeException e) {
        // a checkpoint being written; the next poll reads it
      }
    }
    return out;
  }

  private Map<Long, Map<String, Expected>> expected(String db) throws Exception {
    return expected(db, KEYS.keySet());
  }

  private Map<Long, Map<String, Expected>> expected(String db, Set<Long> teams) throws Exception {
    Map<Long, Map<String, Expected>> expected = new TreeMap<>();
    for (long team : teams) {
      expected.put(team, SourceEvents.expected(ch, db, "events", team, START, END));
      assertTrue(expected.get(team).size() > 50, "team " + team + " has events");
    }
    return expected;
  }

  /** Each team's events, field by field, exactly once, all with the team's key. */
  private static void assertEachTeamOnceWithItsKey(
      Map<Long, Map<String, Expected>> expected, List<ReceivedEvent> received) {
    Map<String, List<ReceivedEvent>> byToken = new HashMap<>();
    for (ReceivedEvent e : received) {
      byToken.computeIfAbsent(e.token(), k -> new ArrayList<>()).add(e);
    }
    Set<String> keys = new TreeSet<>();
    expected.keySet().forEach(t -> keys.add(KEYS.get(t)));
    assertEquals(keys, byToken.keySet(), "the keys used");
    int total = 0;
    for (Map.Entry<Long, Map<String, Expected>> team : expected.entrySet()) {
      List<ReceivedEvent> withKey = byToken.get(KEYS.get(team.getKey()));
      assertEquals(team.getValue().size(), withKey.size(), "team " + team.getKey() + ": once each");
      SourceEvents.assertDelivered(team.getValue(), withKey, KEYS.get(team.getKey()));
      total += withKey.size();
    }
    assertEquals(total, received.size());
  }

  /** A keys file of {@code teams}: {"2": "phc_...", ...}. */
  private Path keysFile(String teams) throws Exception {
    Path file = tmp.resolve("keys-" + teams.replace(',', '-') + ".json");
    StringBuilder json = new StringBuilder("{");
    for (String t : teams.split(",")) {
      json.append(json.length() > 1 ? ",\n " : "")
          .append('"')
          .append(t)
          .append("\": \"")
          .append(KEYS.get(Long.parseLong(t)))
          .append('"');
    }
    Files.writeString(file, json.append("}\n").toString());
    return file;
  }

  /** The harness's arguments with --teamIds=2,5,9 and the keys file instead of one team and key. */
  private List<String> teamArgs(String db, String... extra) throws Exception {
    List<String> a = new ArrayList<>();
    for (String arg : args(db)) {
      if (!arg.startsWith("--teamId=") && !arg.startsWith("--posthogApiKey=")) {
        a.add(arg);
      }
    }
    String teams = "2,5,9";
    for (String e : extra) {
      if (e.startsWith("--teamIds=")) {
        teams = e.substring("--teamIds=".length());
      } else {
        a.add(e);
      }
    }
    a.add("--teamIds=" + teams);
    a.add("--projectKeysFile=" + keysFile(teams));
    return a;
  }
}
