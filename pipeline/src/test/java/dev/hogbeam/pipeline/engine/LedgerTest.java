package dev.hogbeam.pipeline.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.capture.BatchStats;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.capture.SendProgress;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.report.RunReport;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerTest {
  private static final EventCursor E1 = EventCursor.of(10, "00000000-0000-0000-0000-000000000001");
  private static final EventCursor E2 = EventCursor.of(20, "00000000-0000-0000-0000-000000000002");
  private static final EventCursor E3 = EventCursor.of(30, "00000000-0000-0000-0000-000000000003");
  private static final EventCursor E4 = EventCursor.of(40, "00000000-0000-0000-0000-000000000004");

  private static Ledger ledger(Path dir, String runId) {
    return Ledger.of(CheckpointStore.at(dir.toString()), runId, dir.resolve("dead").toString());
  }

  /** What a writer that sent {@code sent} events in {@code batches} batches reports. */
  private static GroupSendStats stats(long sent, long batches, long dead) {
    return new GroupSendStats(sent, batches, batches, 100 * batches, 0, Map.of(), dead, 0, 0, 0);
  }

  @Test
  void recordsEachBatchInFlightThenSettledThenTheGroupDone(@TempDir Path dir) throws Exception {
    Ledger ledger = ledger(dir, "run1");
    CheckpointStore store = ledger.store();
    SendProgress.Group g = ledger.sendProgress(null).open("g");

    assertNull(g.resumeAfter());
    g.sending(E1, E2, 2);
    assertEquals(
        new GroupCheckpoint("g", null, 0, new GroupCheckpoint.InFlight(E1, E2, 2), false),
        store.readGroup("g"));
    g.acknowledged(E2, new BatchStats(2, 0, 1, 0, 100), stats(2, 1, 0));
    GroupCheckpoint afterFirst = store.readGroup("g");
    assertEquals(E2, afterFirst.acknowledged());
    assertEquals(2, afterFirst.sent());
    assertNull(afterFirst.inFlight());
    g.sending(E3, E4, 2);
    g.acknowledged(E4, new BatchStats(2, 1, 3, 0, 300), stats(3, 2, 1));
    assertEquals(E4, store.readGroup("g").acknowledged());
    assertEquals(3, store.readGroup("g").sent());
    g.finished(stats(3, 2, 1));
    GroupCheckpoint done = store.readGroup("g");
    assertTrue(done.done());
    assertEquals(3L, done.run("run1").get("sent"));
    assertEquals(2L, done.run("run1").get("batches"));
    assertEquals(1L, done.run("run1").get("deadLettered"));
  }

  @Test
  void aKilledRunResumesAfterItsLastSettledBatchAndCountsTheBatchInFlight(@TempDir Path dir)
      throws Exception {
    Ledger first = ledger(dir, "run1");
    SendProgress.Group g = first.sendProgress(null).open("g");
    g.resumeAfter();
    g.sending(E1, E2, 2);
    g.acknowledged(E2, new BatchStats(2, 0, 1, 0, 100), stats(2, 1, 0));
    g.sending(E3, E4, 2);
    // killed here: E3..E4 were in flight

    Ledger second = ledger(dir, "run2");
    SendProgress.Group again = second.sendProgress(null).open("g");
    assertEquals(E2, again.resumeAfter());
    assertEquals(new GroupCheckpoint.InFlight(E3, E4, 2), second.store().readGroup("g").inFlight());
    again.sending(E3, E4, 2);
    again.acknowledged(E4, new BatchStats(2, 0, 1, 0, 100), stats(2, 1, 0));
    again.finished(stats(2, 1, 0));

    RunReport account = second.account();
    assertEquals(2L, account.total(RunReport.RUN, "possiblyResent"));
    assertEquals(2L, account.total(RunReport.GROUPS, "sent"), "this run sent 2");
    assertEquals(4L, account.get(RunReport.MIGRATION, "groups", "sent"), "all runs sent 4");
    assertEquals(1L, account.get(RunReport.MIGRATION, "groups", "groupsDone"));
  }

  @Test
  void theRunCursorWinsWhenItIsLater(@TempDir Path dir) throws Exception {
    Ledger ledger = ledger(dir, "run1");
    ledger.store().writeGroup(GroupCheckpoint.start("a").acknowledged(E1, 1));
    ledger.store().writeGroup(GroupCheckpoint.start("b").acknowledged(E4, 4));
    SendProgress progress = ledger.sendProgress(E3);
    assertEquals(E3, progress.open("a").resumeAfter());
    assertEquals(E4, progress.open("b").resumeAfter());
    assertEquals(E3, progress.open("c").resumeAfter());
  }

  @Test
  void aFinishedGroupSkipsEverything(@TempDir Path dir) throws Exception {
    Ledger ledger = ledger(dir, "run1");
    ledger.store().writeGroup(GroupCheckpoint.start("a").finished());
    assertEquals(
        Long.MAX_VALUE, ledger.sendProgress(null).open("a").resumeAfter().timestampMicros());
  }

  @Test
  void theAccountShowsThisRunsShardsAndTheProgressLineItsRows(@TempDir Path dir) {
    Ledger earlier = ledger(dir, "run1");
    earlier.shardRead("file /a b.zip", Map.of("rowsRead", 5L), true);
    Ledger now = ledger(dir, "run2");
    now.shardRead("team1-2024-05-01", Map.of("rowsRead", 7L), false);
    now.shardRead("team1-2024-05-02", Map.of("rowsRead", 3L), true);

    assertEquals(
        Map.of(
            "team1-2024-05-01", Map.of("rowsRead", 7L),
            "team1-2024-05-02", Map.of("rowsRead", 3L)),
        now.account().section(RunReport.SHARDS));
    Ledger.Progress progress = now.progress();
    assertEquals(10, progress.rowsRead());
    assertEquals(1, progress.shardsRead());
    assertEquals(
        Map.of("file /a b.zip", Map.of("rowsRead", 5L)),
        earlier.account().section(RunReport.SHARDS));
  }
}
