package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hogbeam.event.EventCursor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  private static final EventCursor A =
      EventCursor.of(1_000_000L, "00000000-0000-0000-0000-00000000000a");
  private static final EventCursor B =
      EventCursor.of(2_000_001L, "00000000-0000-0000-0000-00000000000b");

  @Test
  void groupStatesRoundTripAndAccumulate(@TempDir Path dir) {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    assertNull(store.readGroup("team2-2024-01-05"));

    GroupCheckpoint g = GroupCheckpoint.start("team2-2024-01-05").sending(A, B, 2);
    store.writeGroup(g);
    assertEquals(g, store.readGroup("team2-2024-01-05"));

    GroupCheckpoint acked = g.acknowledged(B, 2);
    store.writeGroup(acked);
    GroupCheckpoint read = store.readGroup("team2-2024-01-05");
    assertEquals(new GroupCheckpoint("team2-2024-01-05", B, 2, null, false), read);

    store.writeGroup(read.finished());
    store.writeGroup(GroupCheckpoint.start("person-0001").sending(A, A, 1));
    Map<String, GroupCheckpoint> all = store.readAllGroups();
    assertEquals(List.of("person-0001", "team2-2024-01-05"), List.copyOf(all.keySet()));
    assertEquals(true, all.get("team2-2024-01-05").done());
    assertEquals(new GroupCheckpoint.InFlight(A, A, 1), all.get("person-0001").inFlight());
  }

  @Test
  void leavesNoTemporaryFilesBehindOnlyThePreviousGeneration(@TempDir Path dir) throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    for (int i = 0; i < 5; i++) {
      store.writeGroup(GroupCheckpoint.start("g").acknowledged(A, i));
    }
    try (Stream<Path> files = Files.list(dir.resolve("groups"))) {
      assertEquals(
          List.of("g.json", "g.json.prev"),
          files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
    }
  }

  @Test
  void aCheckpointTruncatedToNothingResumesFromItsPreviousGeneration(@TempDir Path dir)
      throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    store.writeGroup(GroupCheckpoint.start("g").acknowledged(A, 3));
    store.writeGroup(GroupCheckpoint.start("g").acknowledged(B, 5));
    Files.write(dir.resolve("groups/g.json"), new byte[0]);
    assertEquals(GroupCheckpoint.start("g").acknowledged(A, 3), store.readGroup("g"));
    assertEquals(List.of("g"), List.copyOf(store.readAllGroups().keySet()));
    Files.writeString(dir.resolve("groups/g.json"), "{\"group\":\"g\",\"acknowl");
    assertEquals(GroupCheckpoint.start("g").acknowledged(A, 3), store.readGroup("g"));
  }

  @Test
  void emptyDirectoryHasNoGroups(@TempDir Path dir) {
    assertEquals(Map.of(), CheckpointStore.at(dir.resolve("missing").toString()).readAllGroups());
  }

  @Test
  void refusesKeysThatAreNotFileNames(@TempDir Path dir) {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    assertThrows(
        IllegalArgumentException.class, () -> store.writeGroup(GroupCheckpoint.start("../etc")));
  }
}
