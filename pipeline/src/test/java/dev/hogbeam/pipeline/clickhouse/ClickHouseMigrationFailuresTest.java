package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** What {@code hogbeam clickhouse} does with bad rows, refusals, faults and bad flags. */
class ClickHouseMigrationFailuresTest extends ClickHouseHarness {

  private static final String BAD_JSON = "0190a000-0000-7000-8000-000000000001";
  private static final String NO_EVENT = "0190a000-0000-7000-8000-000000000002";
  private static final String NO_DISTINCT_ID = "0190a000-0000-7000-8000-000000000003";

  @Test
  void badRowsAreDeadLetteredWithUuidAndReasonTheRestFlowsOn() throws Exception {
    String db = load(Layout.GEN3, 150);
    PostHogDataGenerator table = PostHogDataGenerator.existingTable(ch, db, "events", Layout.GEN3);
    Instant t = Instant.parse("2024-03-02T10:00:00.123456Z");
    table.insert(
        EventRow.builder()
            .uuid(BAD_JSON)
            .teamId(2)
            .timestamp(t)
            .event("$pageview")
            .distinctId("u1")
            .properties("{\"$lib\": \"web\", broken")
            .build(),
        EventRow.builder()
            .uuid(NO_EVENT)
            .teamId(2)
            .timestamp(t)
            .event("")
            .distinctId("u1")
            .properties("{}")
            .build(),
        EventRow.builder()
            .uuid(NO_DISTINCT_ID)
            .teamId(2)
            .timestamp(t)
            .event("$pageview")
            .distinctId("")
            .properties("{}")
            .build());
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.out() + r.err());
    assertDelivered(expected, server.events());
    List<DeadLetter> dead = deadLetters(tmp.resolve("checkpoints/dead-letters"));
    Map<String, DeadLetter> byUuid = new HashMap<>();
    for (DeadLetter d : dead) {
      assertEquals("map", d.stage());
      assertEquals("team2-2024-03-02", d.source());
      assertEquals(0, d.status());
      byUuid.put(d.uuid(), d);
    }
    assertEquals(Set.of(BAD_JSON, NO_EVENT, NO_DISTINCT_ID), byUuid.keySet());
    assertTrue(byUuid.get(BAD_JSON).reason().contains("properties"), byUuid.get(BAD_JSON).reason());
    assertTrue(byUuid.get(NO_EVENT).reason().contains("event"), byUuid.get(NO_EVENT).reason());
    assertTrue(
        byUuid.get(NO_DISTINCT_ID).reason().contains("distinct_id"),
        byUuid.get(NO_DISTINCT_ID).reason());
    assertTrue(byUuid.get(BAD_JSON).payload().contains("broken"), "the row is kept whole");
    RunReport report = report(tmp.resolve("checkpoints"));
    assertEquals(3, report.total(RunReport.DEAD_LETTERS, "records"));
    assertEquals(Map.of("map", Map.of("records", 3L)), report.section(RunReport.DEAD_LETTERS));
    assertTrue(r.out().contains("dead:      3 record(s) (map 3)"), r.out());
  }

  @Test
  void eventsPostHogRefusesAreDeadLetteredAndEveryOtherEventIsDelivered() throws Exception {
    String db = load(Layout.GEN2, 150);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    List<String> uuids = new ArrayList<>(new TreeSet<>(expected.keySet()));
    Set<String> refused = Set.of(uuids.get(7), uuids.get(uuids.size() - 3));
    server =
        FakeCaptureServer.builder()
            .eventRule(
                e -> refused.contains(e.path("uuid").asText()) ? "refused by test rule" : null)
            .start();

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.DEAD_LETTERS, r.exitCode(), r.out() + r.err());
    Map<String, Expected> delivered = new HashMap<>(expected);
    delivered.keySet().removeAll(refused);
    assertDelivered(delivered, server.events());
    assertEquals(delivered.size(), server.acceptedEventCount());
    List<DeadLetter> dead = deadLetters(tmp.resolve("checkpoints/dead-letters"));
    assertEquals(refused, dead.stream().map(DeadLetter::uuid).collect(Collectors.toSet()));
    for (DeadLetter d : dead) {
      assertEquals("capture", d.stage());
      assertEquals(400, d.status());
      assertTrue(d.payload().contains(d.uuid()), "the event as sent is kept");
    }
    assertEquals(2, report(tmp.resolve("checkpoints")).total(RunReport.DEAD_LETTERS, "records"));
  }

  @Test
  void transientFaultsEndWithEverythingDeliveredOnce() throws Exception {
    String db = load(Layout.GEN3, 150);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    server =
        FakeCaptureServer.builder()
            .faultPlan(
                FaultPlan.random(
                        5, 0.3, Fault.unavailable(0), Fault.tooManyRequests(0), Fault.drop())
                    .batchOnly())
            .start();

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertDelivered(expected, server.events());
    assertEquals(
        expected.size(), server.acceptedEventCount(), "a refused request delivered nothing");
    long faults = server.requests().stream().filter(q -> q.status() != 200).count();
    assertTrue(faults > 0, "the plan injected faults");
    assertEquals(faults, report(tmp.resolve("checkpoints")).total(RunReport.GROUPS, "retries"));
    assertInOrderPerDay(server.events());
  }

  @Test
  void aRefusedKeyStopsTheRunWithExitCode4AndNeverEchoesIt() throws Exception {
    String db = load(Layout.GEN3, 100);
    server = FakeCaptureServer.builder().faultPlan(FaultPlan.always(Fault.unauthorized())).start();

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.UNAUTHORIZED, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("phc_"), r.err());
    assertFalse((r.out() + r.err()).contains(KEY), "the key is never printed");
    assertEquals(0, server.acceptedEventCount());
    assertTrue(deadLetters(tmp.resolve("checkpoints/dead-letters")).isEmpty());
  }

  @Test
  void badFlagsAreRefusedBeforeAnythingRuns() throws Exception {
    String db = "no_such_database_needed";
    server = FakeCaptureServer.start();
    assertUsage(run(array(with(args(db), "--startDate=2024-03-05"))), "--startDate");
    assertUsage(run(array(with(args(db), "--endDate=2026-11-20"))), "48 hours");
    assertUsage(run(array(with(args(db), "--endDate=03/04/2024"))), "--endDate='03/04/2024'");
    assertUsage(run(array(args(db, "--teamId=3"))), "--teamId is given more than once");
    assertUsage(run(array(args(db, "--dryRun", "--outputDir=/tmp/x"))), "--dryRun and --outputDir");
    assertUsage(run(array(without(args(db), "--teamId"))), "--teamId");
    assertUsage(run(array(without(args(db), "--posthogApiKey"))), "POSTHOG_API_KEY");
    assertUsage(run(array(args(db, "--cursor=not-a-cursor"))), "--cursor");
    assertUsage(run(array(args(db, "--batchSize=0"))), "--batchSize");
    assertUsage(
        run(array(args(db, "--orderBy=person", "--shuffle=fused"))),
        "--shuffle=fused needs --orderBy=day");
    // URLs: no credentials inside, no secret in clear text to another machine.
    assertUsage(
        run(array(with(args(db), "--clickhouseUrl=" + ch.jdbcUrl() + "/?password=pw1"))),
        "--clickhouseUrl has a 'password' query parameter");
    Run userInfo = run(array(with(args(db), "--posthogUrl=https://me:phc_inurl@eu.posthog.com")));
    assertUsage(userInfo, "--posthogUrl has a user or password before the host");
    assertFalse(userInfo.err().contains("phc_inurl"), userInfo.err());
    assertUsage(
        run(array(with(args(db), "--posthogUrl=http://posthog.example.com"))),
        "would send the PostHog project API key in clear text");
    assertUsage(
        run(
            array(
                with(
                    args(db, "--clickhousePassword=pw2"),
                    "--clickhouseUrl=jdbc:clickhouse://ch.example.com:8123"))),
        "would send the ClickHouse password in clear text");
    assertEquals(0, server.requestCount());
  }

  @Test
  void checkpointsOfADryRunAreNeverTakenForARealRunsOnes() throws Exception {
    String db = load(Layout.GEN3, 100);
    server = FakeCaptureServer.start();
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);

    assertEquals(ExitCodes.OK, run(array(args(db, "--dryRun"))).exitCode());
    Run real = run(array(args(db)));
    assertUsage(
        real, "holds the checkpoints of a run with destination dry run (now PostHog project ");
    assertEquals(0, server.requestCount());

    // With their default directories the two never meet: the real run sends everything.
    String dryDir =
        ClickHouseMigration.defaultCheckpointDir(2, START, END, destination("--dryRun"));
    String realDir = ClickHouseMigration.defaultCheckpointDir(2, START, END, destination());
    assertEquals("hogbeam-checkpoints/clickhouse-team2-20240301-20240304-dry-run", dryDir);
    assertTrue(
        realDir.startsWith("hogbeam-checkpoints/clickhouse-team2-20240301-20240304-to-"), realDir);
    Run other = run(array(with(args(db), "--checkpointDir=" + tmp.resolve("real"))));
    assertEquals(ExitCodes.OK, other.exitCode(), other.out() + other.err());
    assertDelivered(expected, server.events());
  }

  private Destination destination(String... flags) {
    List<String> a = new ArrayList<>(List.of("--posthogUrl=https://x", "--posthogApiKey=" + KEY));
    a.addAll(List.of(flags));
    return Destination.from(
        PipelineOptionsFactory.fromArgs(a.toArray(new String[0])).as(ClickHouseOptions.class),
        Secrets.from(Map.of()));
  }

  private static void assertUsage(Run r, String mentions) {
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains(mentions), "expected '" + mentions + "' in: " + r.err());
  }

  private static List<String> with(List<String> args, String flagAndValue) {
    String flag = flagAndValue.substring(0, flagAndValue.indexOf('=') + 1);
    List<String> out = without(args, flag.substring(0, flag.length() - 1));
    out.add(flagAndValue);
    return out;
  }

  private static List<String> without(List<String> args, String flag) {
    return args.stream()
        .filter(a -> !a.startsWith(flag + "="))
        .collect(Collectors.toCollection(ArrayList::new));
  }
}
