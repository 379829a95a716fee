package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.checkpoint.Lease;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** One run per checkpoint directory, and checkpoints that survive being torn. */
class RunSafetyTest extends ClickHouseHarness {

  @Test
  void aSecondConcurrentRunIsRefusedAndTheFirstDeliversEverythingOnce() throws Exception {
    String db = load(Layout.GEN3, 150);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    server =
        FakeCaptureServer.builder()
            .faultPlan(FaultPlan.always(Fault.acceptThenDelay(Duration.ofMillis(100))))
            .start();
    List<String> args = args(db);
    CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> run(array(args)));
    Path lease = tmp.resolve("checkpoints").resolve(Lease.FILE);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.exists(lease) && System.nanoTime() < deadline && !first.isDone()) {
      Thread.sleep(10);
    }
    assertTrue(Files.exists(lease), "the first run holds the lease");

    Run second = run(array(args));

    assertEquals(ExitCodes.FAILED, second.exitCode(), second.out() + second.err());
    assertTrue(second.err().contains("is in use by another run: run "), second.err());
    Run done = first.get(3, TimeUnit.MINUTES);
    assertEquals(ExitCodes.OK, done.exitCode(), done.out() + done.err());
    assertDelivered(expected, server.events());
    assertEquals(expected.size(), server.acceptedEventCount(), "nothing sent twice");
    assertFalse(Files.exists(lease), "released at the end");
  }

  @Test
  void aStaleLeaseIsTakenOver() throws Exception {
    String db = load(Layout.GEN3, 50);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    server = FakeCaptureServer.start();
    Path dir = tmp.resolve("checkpoints");
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(Lease.FILE),
        "{\"owner\":{\"host\":\"a-dead-worker\",\"pid\":7,\"run\":\"old\"},\"heartbeat\":"
            + (System.currentTimeMillis() - 120_000)
            + "}");

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    assertDelivered(expected, server.events());
  }

  @Test
  void checkpointsTruncatedToNothingBeforeAResumeStillResumeCorrectly() throws Exception {
    String db = load(Layout.GEN2, 120);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    server = FakeCaptureServer.start();
    Run first = run(array(args(db)));
    assertEquals(ExitCodes.OK, first.exitCode(), first.out() + first.err());
    long delivered = server.acceptedEventCount();
    // Every group file torn (a power cut mid-write): the previous generation is read instead.
    Path groups = tmp.resolve("checkpoints/groups");
    try (Stream<Path> files = Files.list(groups)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.toString().endsWith(".json")) {
          Files.write(f, new byte[0]);
        }
      }
    }

    Run second = run(array(args(db)));

    assertEquals(ExitCodes.OK, second.exitCode(), second.out() + second.err());
    assertDelivered(expected, server.events());
    long resent = server.acceptedEventCount() - delivered;
    // Each group's previous generation is its state before the last batch was acknowledged.
    assertTrue(resent <= 3 * 50, "at most the last batch per group is sent again: " + resent);
  }

  @Test
  void aCaptureServerThatRefusesEverythingStopsTheRunAfterABoundedNumberOfRequests()
      throws Exception {
    String db = load(Layout.GEN3, 400);
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, START, END);
    AtomicBoolean refusing = new AtomicBoolean(true);
    server =
        FakeCaptureServer.builder()
            .eventRule(e -> refusing.get() ? "refused by a misconfigured proxy" : null)
            .start();

    Run r = run(array(args(db)));

    assertEquals(ExitCodes.FAILED, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("refused 25 events in a row"), r.err());
    assertEquals(0, server.acceptedEventCount());
    // Groups are sent in parallel: each bisects its first batch until the JVM's breaker trips; a
    // batch of 50 refused whole takes 99 requests to bisect down to single events.
    int requests = server.requestCount();
    System.out.println("all-400 capture: the run stopped after " + requests + " requests");
    assertTrue(requests <= 3 * 99, "at most one batch's bisection per group: " + requests);
    int onRecord = deadLetters(tmp.resolve("checkpoints/dead-letters")).size();
    // The 25th refusal in a row stops the JVM's senders; the other two groups may each have had
    // one more single-event request in flight, refused too and recorded.
    assertTrue(onRecord >= 1 && onRecord <= 25 + 2, "refused alone, on record: " + onRecord);

    // Nothing is lost: the proxy fixed, the same command delivers the rest, and the retry the
    // events on record.
    refusing.set(false);
    Run again = run(array(args(db)));
    assertEquals(ExitCodes.DEAD_LETTERS, again.exitCode(), again.out() + again.err());
    Run retry = run(array(args(db, "--retryDeadLetters")));
    assertEquals(ExitCodes.OK, retry.exitCode(), retry.out() + retry.err());
    assertEquals(expected.keySet(), new java.util.TreeSet<>(server.uuids()));
  }
}
