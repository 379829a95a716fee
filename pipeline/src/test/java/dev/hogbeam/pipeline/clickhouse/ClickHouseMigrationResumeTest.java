package dev.hogbeam.pipeline.clickhouse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ChildJvm;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Resuming: after a killed process, from hogbeam's cursor, and from PostHog's script's cursor. */
class ClickHouseMigrationResumeTest extends ClickHouseHarness {

  @ParameterizedTest
  @ValueSource(strings = {"fused", "groupByKey"})
  void aKilledRunResumesAndDeliversEverythingWithAtMostTheInFlightBatchesTwice(String shuffle)
      throws Exception {
    String db = load(Layout.GEN3, 400);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    // PostHog keeps each batch but answers late: a kill now leaves batches delivered but not
    // acknowledged.
    server =
        FakeCaptureServer.builder()
            .faultPlan(FaultPlan.always(Fault.acceptThenDelay(Duration.ofMillis(250))))
            .start();
    List<String> args = args(db, "--shuffle=" + shuffle);
    Path log = tmp.resolve("killed-run.log");

    ChildJvm killed = ChildJvm.start(ClickHouseMigration.class, args, Map.of(), log);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (server.acceptedEventCount() < expected.size() / 3 && System.nanoTime() < deadline) {
      assertTrue(killed.isAlive(), () -> "the run ended before it was killed:\n" + killed.output());
      Thread.sleep(20);
    }
    assertTrue(
        server.acceptedEventCount() >= expected.size() / 3,
        () -> "no progress:\n" + killed.output());
    killed.kill();
    long deliveredBeforeKill = server.acceptedEventCount();
    assertTrue(deliveredBeforeKill < expected.size(), "killed in the middle");

    server.setFaultPlan(FaultPlan.none());
    Run second = run(array(args));

    assertEquals(ExitCodes.OK, second.exitCode(), second.out() + second.err());
    Map<String, Integer> times = new HashMap<>();
    for (ReceivedEvent e : server.events()) {
      times.merge(e.uuid(), 1, Integer::sum);
    }
    assertEquals(expected.keySet(), times.keySet(), "everything delivered");
    long duplicates = server.acceptedEventCount() - expected.size();
    RunReport report = report(tmp.resolve("checkpoints"));
    long possiblyResent = report.total(RunReport.RUN, "possiblyResent");
    System.out.printf(
        "killed after %d of %d events; the re-run delivered %d twice, %d reported in flight%n",
        deliveredBeforeKill, expected.size(), duplicates, possiblyResent);
    assertTrue(
        duplicates <= possiblyResent,
        "duplicates " + duplicates + " are among the events reported in flight " + possiblyResent);
    assertTrue(
        possiblyResent <= 3 * 50, "at most one batch per shard was in flight: " + possiblyResent);
    assertTrue(
        second.out().contains("re-sent that a killed run may already have delivered"),
        second.out());
    // The second run sent only what the first had not settled.
    assertEquals(
        expected.size(),
        report.total(RunReport.GROUPS, "sent")
            + report.total(RunReport.GROUPS, "skippedAlreadySent")
            + sentByFinishedShards(report, expected),
        "every event accounted for once");
    assertInOrderPerDay(withoutEarlierCopies(server.events()));
  }

  /** Events of shards the killed run finished (they are not read again, so not in the report). */
  private long sentByFinishedShards(RunReport report, Map<String, Expected> expected) {
    Set<String> reported = report.section(RunReport.SHARDS).keySet();
    return expected.values().stream()
        .filter(e -> !reported.contains("team2-" + e.timestamp().substring(0, 10)))
        .count();
  }

  /** The last delivery of each uuid, in arrival order (what PostHog ends up with). */
  private static List<ReceivedEvent> withoutEarlierCopies(List<ReceivedEvent> events) {
    Map<String, ReceivedEvent> last = new HashMap<>();
    for (ReceivedEvent e : events) {
      last.put(e.uuid(), e);
    }
    List<ReceivedEvent> out = new ArrayList<>(last.values());
    out.sort(
        Comparator.comparingInt(ReceivedEvent::requestNumber)
            .thenComparingInt(ReceivedEvent::indexInRequest));
    return out;
  }

  @Test
  void hogbeamsPrintedCursorSkipsExactlyWhatSortsAtOrBeforeIt() throws Exception {
    String db = load(Layout.GEN2, 200);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    List<Expected> sorted = new ArrayList<>(expected.values());
    sorted.sort(Comparator.comparingLong(Expected::timestampMicros).thenComparing(Expected::uuid));
    Expected at = sorted.get(sorted.size() / 2);
    server = FakeCaptureServer.start();

    Run r = run(array(args(db, "--cursor=hb:" + at.timestamp() + "/" + at.uuid())));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    Map<String, Expected> after = new HashMap<>();
    for (Expected e : sorted.subList(sorted.size() / 2 + 1, sorted.size())) {
      after.put(e.uuid(), e);
    }
    assertDelivered(after, server.events());
    assertEquals(after.size(), server.acceptedEventCount());
  }

  @Test
  void postHogsScriptCursorResumesRightAfterTheRowsTheScriptSent() throws Exception {
    String db = load(Layout.GEN3, 300);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    // The script pages by (whole seconds, uuid) in ClickHouse's order; model that order here.
    List<Expected> scriptOrder = new ArrayList<>(expected.values());
    scriptOrder.sort(
        Comparator.comparingLong((Expected e) -> Math.floorDiv(e.timestampMicros(), 1_000_000L))
            .thenComparing(e -> e.uuid(), ClickHouseMigrationResumeTest::clickHouseUuidOrder));
    // A cursor the script prints after a row that shares its second with others.
    int cut = -1;
    for (int i = scriptOrder.size() / 2; i < scriptOrder.size() - 1; i++) {
      if (seconds(scriptOrder.get(i)) == seconds(scriptOrder.get(i + 1))
          && seconds(scriptOrder.get(i - 1)) == seconds(scriptOrder.get(i))) {
        cut = i;
        break;
      }
    }
    assertTrue(cut > 0, "the data has several rows in one second");
    Expected last = scriptOrder.get(cut);
    String cursor = scriptCursor(seconds(last), last.uuid());
    server = FakeCaptureServer.start();

    Run r = run(array(args(db, "--cursor=" + cursor)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    Map<String, Expected> unsent = new HashMap<>();
    for (Expected e : scriptOrder.subList(cut + 1, scriptOrder.size())) {
      unsent.put(e.uuid(), e);
    }
    assertDelivered(unsent, server.events());
    assertEquals(unsent.size(), server.acceptedEventCount());
    assertTrue(unsent.size() < expected.size() / 2 + 1 && unsent.size() > expected.size() / 3);
  }

  /** As migrate.py prints it: base64 of {"timestamp": seconds, "uuid": the uuid as an integer}. */
  static String scriptCursor(long seconds, String uuid) {
    BigInteger asInt = new BigInteger(uuid.replace("-", ""), 16);
    String json = "{\"timestamp\": " + seconds + ", \"uuid\": " + asInt + "}";
    return Base64.getEncoder().encodeToString(json.getBytes(UTF_8));
  }

  static long seconds(Expected e) {
    return Math.floorDiv(e.timestampMicros(), 1_000_000L);
  }

  /** ClickHouse compares UUIDs by their last 8 bytes first, then their first 8, unsigned. */
  static int clickHouseUuidOrder(String a, String b) {
    UUID x = UUID.fromString(a);
    UUID y = UUID.fromString(b);
    int c = Long.compareUnsigned(x.getLeastSignificantBits(), y.getLeastSignificantBits());
    return c != 0
        ? c
        : Long.compareUnsigned(x.getMostSignificantBits(), y.getMostSignificantBits());
  }
}
