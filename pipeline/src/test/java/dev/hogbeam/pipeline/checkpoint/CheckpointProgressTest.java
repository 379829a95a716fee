package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.capture.BatchStats;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.event.EventCursor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointProgressTest {
  private static final EventCursor E1 = EventCursor.of(10, "00000000-0000-0000-0000-000000000001");
  private static final EventCursor E2 = EventCursor.of(20, "00000000-0000-0000-0000-000000000002");
  private static final EventCursor E3 = EventCursor.of(30, "00000000-0000-0000-0000-000000000003");
  private static final EventCursor E4 = EventCursor.of(40, "00000000-0000-0000-0000-000000000004");

  @Test
  void recordsEachBatchInFlightThenSettledThenTheGroupDone(@TempDir Path dir) throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    CheckpointProgress progress = CheckpointProgress.to(store, null);

    assertNull(progress.resumeAfter("g"));
    progress.sending("g", E1, E2, 2);
    assertEquals(
        new GroupCheckpoint("g", null, 0, new GroupCheckpoint.InFlight(E1, E2, 2), false),
        store.readGroup("g"));
    progress.acknowledged("g", E2, new BatchStats(2, 0, 1, 0, 100));
    assertEquals(new GroupCheckpoint("g", E2, 2, null, false), store.readGroup("g"));
    progress.sending("g", E3, E4, 2);
    progress.acknowledged("g", E4, new BatchStats(2, 1, 3, 0, 300));
    assertEquals(new GroupCheckpoint("g", E4, 3, null, false), store.readGroup("g"));
    progress.finished("g", GroupSendStats.empty());
    assertTrue(store.readGroup("g").done());
  }

  @Test
  void aKilledRunResumesAfterItsLastSettledBatch(@TempDir Path dir) throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    CheckpointProgress first = CheckpointProgress.to(store, null);
    first.resumeAfter("g");
    first.sending("g", E1, E2, 2);
    first.acknowledged("g", E2, new BatchStats(2, 0, 1, 0, 100));
    first.sending("g", E3, E4, 2);
    // killed here: E3..E4 were in flight

    CheckpointProgress second = CheckpointProgress.to(CheckpointStore.at(dir.toString()), null);
    assertEquals(E2, second.resumeAfter("g"));
    assertEquals(new GroupCheckpoint.InFlight(E3, E4, 2), store.readGroup("g").inFlight());
  }

  @Test
  void theRunCursorWinsWhenItIsLater(@TempDir Path dir) throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    store.writeGroup(GroupCheckpoint.start("a").acknowledged(E1, 1));
    store.writeGroup(GroupCheckpoint.start("b").acknowledged(E4, 4));
    CheckpointProgress progress = CheckpointProgress.to(store, E3);
    assertEquals(E3, progress.resumeAfter("a"));
    assertEquals(E4, progress.resumeAfter("b"));
    assertEquals(E3, progress.resumeAfter("c"));
  }

  @Test
  void aFinishedGroupSkipsEverything(@TempDir Path dir) throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    store.writeGroup(GroupCheckpoint.start("a").finished());
    assertEquals(
        Long.MAX_VALUE, CheckpointProgress.to(store, null).resumeAfter("a").timestampMicros());
  }
}
