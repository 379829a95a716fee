package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakePostHog;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code hogbeam verify} of ClickHouse migrations, through the command lines, every count exact.
 */
class VerifyClickHouseTest extends VerifyHarness {

  /**
   * A run over several teams is verified against each team's project with {@code
   * --posthogProjectIds} (one section per team, each team's own verify in its directory); the run's
   * directory without project ids is refused with the way to do it.
   */
  @Test
  void aRunOverSeveralTeamsIsVerifiedTeamByTeam() throws Exception {
    load(100);
    String teamOneKey = "phc_verifyteamonekey";
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY).project(teamOneKey, 11);
    List<String> lost = new java.util.ArrayList<>();
    try (var c = ch.connect(db);
        var st = c.createStatement();
        var rs =
            st.executeQuery(
                "SELECT DISTINCT toString(uuid) AS u FROM "
                    + db
                    + ".events WHERE team_id = 1 AND timestamp >= '2024-03-01' AND timestamp <"
                    + " '2024-03-04' AND event != '' AND distinct_id != '' ORDER BY"
                    + " cityHash64(u) LIMIT 7")) {
      while (rs.next()) {
        lost.add(rs.getString(1));
      }
    }
    posthog.loseEvents(lost);
    java.nio.file.Path keys =
        java.nio.file.Files.writeString(
            tmp.resolve("keys.json"), "{\"1\": \"" + teamOneKey + "\", \"2\": \"" + KEY + "\"}");
    List<String> args = new java.util.ArrayList<>();
    for (String a : migrationArgs()) {
      if (!a.startsWith("--teamId=") && !a.startsWith("--posthogApiKey=")) {
        args.add(a);
      }
    }
    args.add("--teamIds=1,2");
    args.add("--projectKeysFile=" + keys);
    Run m =
        run(
            (a, env) -> dev.hogbeam.pipeline.clickhouse.ClickHouseMigration.command().run(a, env),
            args,
            java.util.Map.of(),
            MIGRATION_CLOCK);
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run refused = verify("--ingestionLagSeconds=0");
    assertEquals(ExitCodes.USAGE, refused.exitCode(), refused.out() + refused.err());
    assertTrue(
        refused.err().contains("holds a run over several teams (--teamIds=1,2)")
            && refused.err().contains("--posthogProjectIds=<team>:<project>")
            && refused.err().contains("--checkpointDir=" + checkpoints().resolve("team-<id>")),
        refused.err());

    Run all = verify("--ingestionLagSeconds=0", "--posthogProjectIds=1:11,2:" + PROJECT);
    assertEquals(ExitCodes.MISSING, all.exitCode(), all.out() + all.err());
    JsonNode json = verifyJson();
    assertEquals("missing", json.get("verdict").asText());
    assertEquals("missing", json.at("/teams/team-1/verdict").asText());
    assertEquals(lost.size(), json.at("/teams/team-1/totals/missing").asLong());
    assertEquals("complete", json.at("/teams/team-2/verdict").asText());
    assertEquals(sourceEvents(), json.at("/teams/team-2/totals/destination").asLong());
    assertEquals(ExitCodes.OK, json.at("/exitCodes/team-2").asInt());

    // Each team's own verify.json, written by the same one-team verify a user can run there.
    assertEquals(
        "complete",
        JSON.readTree(java.nio.file.Files.readString(checkpoints().resolve("team-2/verify.json")))
            .get("verdict")
            .asText());
  }

  @Test
  void cleanMigrationVerifiesEveryDayAndEventEqual() throws Exception {
    load(300);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    Run m = migrate();
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.OK, v.exitCode(), v.out() + v.err());
    JsonNode json = verifyJson();
    assertEquals("complete", json.get("verdict").asText());
    long expected = sourceEvents();
    assertEquals(expected, json.at("/totals/source").asLong());
    assertEquals(expected, json.at("/totals/destination").asLong());
    assertEquals(0, json.at("/totals/missing").asLong());
    assertEquals(0, json.at("/totals/unexpected").asLong());
    Set<String> days = new TreeSet<>();
    for (JsonNode c : json.get("cells")) {
      assertEquals("ok", c.get("status").asText(), c.toString());
      assertEquals(c.get("source").asLong(), c.get("destination").asLong());
      days.add(c.get("day").asText());
    }
    assertEquals(Set.of("2024-03-01", "2024-03-02", "2024-03-03"), days);
    assertTrue(json.get("cells").size() > 3, "several event names per day");
    assertTrue(v.out().contains("verdict: complete"), v.out());
    // Counting a 3-day range: one count query on each side, nothing listed.
    assertEquals(1, json.at("/queries/source").asInt());
    assertEquals(1, json.at("/queries/destination").asInt());
  }

  @Test
  void lostEventsAreNamedExactlyAndRepairReSendsExactlyThem() throws Exception {
    load(300);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    List<String> lost = someUuids(37);
    posthog.loseEvents(lost);
    Run m = migrate();
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());
    assertEquals(Set.copyOf(lost), posthog.lost(), "the fake answered 200 and lost them");

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.MISSING, v.exitCode(), v.out() + v.err());
    System.out.print(v.out()); // the README shows this table
    assertEquals(new TreeSet<>(lost), missingTsv());
    JsonNode json = verifyJson();
    assertEquals("missing", json.get("verdict").asText());
    assertEquals(37, json.at("/totals/missing").asLong());
    Set<String> named = new TreeSet<>();
    for (JsonNode c : json.get("cells")) {
      c.path("missingUuids").forEach(u -> named.add(u.asText()));
    }
    assertEquals(new TreeSet<>(lost), named);
    assertTrue(v.out().contains("verdict: missing"), v.out());

    posthog.stopLosing();
    int before = posthog.capture().events().size();
    Run r = verify("--ingestionLagSeconds=0", "--repair");

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    List<ReceivedEvent> resent = posthog.capture().events();
    resent = resent.subList(before, resent.size());
    Set<String> resentUuids = new TreeSet<>();
    resent.forEach(e -> resentUuids.add(e.uuid()));
    assertEquals(37, resent.size(), "exactly the missing events, once each");
    assertEquals(new TreeSet<>(lost), resentUuids);
    assertEquals("complete", verifyJson().get("verdict").asText());
    assertEquals(0, verifyJson().at("/totals/missing").asLong());
  }

  @Test
  void aMigrationWithRulesIsVerifiedThroughThemAndOneWithAShiftIsRefused() throws Exception {
    load(150);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    List<String> lost = someUuids(30);
    posthog.loseEvents(lost);
    java.nio.file.Path rules = tmp.resolve("rules.json");
    java.nio.file.Files.writeString(
        rules,
        "{\"excludeEvents\": [\"$pageview\"], \"renameEvents\": {\"$autocapture\": \"click\"}}");
    Run m = migrate("--rulesFile=" + rules);
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.MISSING, v.exitCode(), v.out() + v.err());
    // Missing: the lost events the rules let through, under the name they were sent with.
    Map<String, String> nameOf = new TreeMap<>();
    try (var c = ch.connect(db);
        var s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT DISTINCT toString(uuid), event FROM "
                    + db
                    + ".events WHERE team_id = 2 AND timestamp >= '2024-03-01' AND timestamp <"
                    + " '2024-03-04'")) {
      while (rs.next()) {
        nameOf.put(rs.getString(1), rs.getString(2));
      }
    }
    Set<String> missing = new TreeSet<>();
    Set<String> missingCells = new TreeSet<>();
    for (String u : lost) {
      String name = nameOf.get(u);
      if (!name.equals("$pageview")) {
        missing.add(u);
        missingCells.add(name.equals("$autocapture") ? "click" : name);
      }
    }
    assertTrue(missing.size() < lost.size() && missingCells.contains("click"), "the data tests it");
    assertEquals(missing, missingTsv());
    JsonNode json = verifyJson();
    assertEquals(missing.size(), json.at("/totals/missing").asLong());
    assertEquals(0, json.at("/totals/unexpected").asLong());
    long pageviews =
        longQuery(
            "SELECT uniqExact(uuid) FROM "
                + db
                + ".events WHERE team_id = 2 AND timestamp >= '2024-03-01' AND timestamp <"
                + " '2024-03-04' AND event = '$pageview' AND distinct_id != ''");
    assertEquals(sourceEvents() - pageviews, json.at("/totals/source").asLong());
    Set<String> cellNames = new TreeSet<>();
    for (JsonNode c : json.get("cells")) {
      cellNames.add(c.get("event").asText());
      if (c.get("missing").asLong() > 0) {
        assertTrue(missingCells.contains(c.get("event").asText()), c.toString());
      }
    }
    assertTrue(cellNames.contains("click"), cellNames.toString());
    assertFalse(cellNames.contains("$autocapture"), cellNames.toString());
    assertFalse(cellNames.contains("$pageview"), cellNames.toString());
    assertTrue(
        v.out().contains("through the rules excludeEvents=$pageview; renameEvents="), v.out());

    // The rules file edited since the migration: verify refuses rather than compare other rules.
    java.nio.file.Files.writeString(rules, "{\"excludeEvents\": [\"$pageview\"]}");
    Run edited = verify("--ingestionLagSeconds=0");
    assertEquals(ExitCodes.USAGE, edited.exitCode(), edited.out() + edited.err());
    assertTrue(
        edited
            .err()
            .contains(
                "the migration ran with the rules excludeEvents=$pageview;"
                    + " renameEvents=$autocapture=click ("),
        edited.err());
    assertTrue(
        edited.err().contains("now give excludeEvents=$pageview: was the --rulesFile changed?"),
        edited.err());

    // A shift moves events across days: verify says it cannot compare, rather than a wrong verdict.
    posthog.stopLosing();
    try (var paths = java.nio.file.Files.walk(checkpoints())) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    Run shifted = migrate("--shiftTimestamps=PT1H");
    assertEquals(ExitCodes.OK, shifted.exitCode(), shifted.out() + shifted.err());
    Run refused = verify("--ingestionLagSeconds=0");
    assertEquals(ExitCodes.USAGE, refused.exitCode(), refused.out() + refused.err());
    assertTrue(
        refused
            .err()
            .contains(
                "verify cannot compare a migration made with --shiftTimestamps (its rules:"
                    + " shiftTimestamps=PT1H)"),
        refused.err());
  }

  @Test
  void ingestionDelayIsStillArrivingAndSettlesClean() throws Exception {
    load(200);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    posthog.delayIngestion(Duration.ofSeconds(20));
    Run m = migrate();
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify();

    assertEquals(ExitCodes.STILL_ARRIVING, v.exitCode(), v.out() + v.err());
    JsonNode json = verifyJson();
    assertEquals("still arriving", json.get("verdict").asText());
    assertEquals(0, json.at("/totals/missing").asLong());
    assertTrue(json.at("/totals/stillArriving").asLong() > 0, json.toString());

    Instant started = Instant.now();
    Run settled = verify("--settleMinutes=1", "--pollSeconds=5");

    assertEquals(ExitCodes.OK, settled.exitCode(), settled.out() + settled.err());
    assertEquals("complete", verifyJson().get("verdict").asText());
    assertEquals(sourceEvents(), verifyJson().at("/totals/destination").asLong());
    assertTrue(Duration.between(started, Instant.now()).toSeconds() < 60);
  }

  @Test
  void queryApi429IsHonouredWithRetryAfter() throws Exception {
    load(100);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    Run m = migrate();
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());
    posthog.throttleQueries(2, 1);

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.OK, v.exitCode(), v.out() + v.err());
    List<FakePostHog.QueryRecord> q = posthog.queries();
    assertEquals(List.of(429, 429, 200), q.stream().map(FakePostHog.QueryRecord::status).toList());
    assertTrue(
        Duration.between(q.get(0).receivedAt(), q.get(1).receivedAt()).toMillis() >= 1000,
        "waited Retry-After");
    assertTrue(
        Duration.between(q.get(1).receivedAt(), q.get(2).receivedAt()).toMillis() >= 1000,
        "waited Retry-After");
    assertEquals(2, verifyJson().at("/queries/throttled").asInt());
    assertEquals(3, verifyJson().at("/queries/destination").asInt());
  }

  @Test
  void unrelatedEventsInPostHogAreUnexpectedNeverMissing() throws Exception {
    load(100);
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    posthog.insertExisting(
        EventRow.builder()
            .uuid("0190c0de-0000-7000-8000-000000000001")
            .event("older tool")
            .distinctId("someone")
            .teamId(PROJECT)
            .timestamp(Instant.parse("2024-03-02T10:00:00Z"))
            .properties("{}")
            .build(),
        EventRow.builder()
            .uuid("0190c0de-0000-7000-8000-000000000002")
            .event("outside the range")
            .distinctId("someone")
            .teamId(PROJECT)
            .timestamp(Instant.parse("2024-03-05T10:00:00Z"))
            .properties("{}")
            .build());
    Run m = migrate();
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.OK, v.exitCode(), v.out() + v.err());
    JsonNode json = verifyJson();
    assertEquals(1, json.at("/totals/unexpected").asLong());
    assertEquals(0, json.at("/totals/missing").asLong());
    JsonNode cell = null;
    for (JsonNode c : json.get("cells")) {
      if (c.get("event").asText().equals("older tool")) {
        cell = c;
      }
    }
    assertEquals("unexpected", cell.get("status").asText());
    assertEquals("0190c0de-0000-7000-8000-000000000001", cell.at("/unexpectedUuids/0").asText());
  }
}
