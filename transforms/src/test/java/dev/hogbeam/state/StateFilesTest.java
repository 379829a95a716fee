package dev.hogbeam.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {
  private static final Predicate<String> NOT_EMPTY = s -> !s.isBlank();

  @Test
  void aReplacementKeepsThePreviousGenerationAndLeavesNoTemporaryFile(@TempDir Path dir)
      throws Exception {
    String file = dir.resolve("sub/state.json").toString();
    StateFiles.replace(file, "one");
    StateFiles.replace(file, "two");
    assertEquals("two", StateFiles.read(file, NOT_EMPTY));
    assertEquals("one", Files.readString(Path.of(file + StateFiles.PREVIOUS), UTF_8));
    try (Stream<Path> files = Files.list(dir.resolve("sub"))) {
      assertEquals(
          List.of("state.json", "state.json.prev"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void aTornFileIsReadFromItsPreviousGeneration(@TempDir Path dir) throws Exception {
    String file = dir.resolve("state.json").toString();
    StateFiles.replace(file, "one");
    StateFiles.replace(file, "two");
    Files.write(Path.of(file), new byte[0]);
    assertEquals("one", StateFiles.read(file, NOT_EMPTY));
    Files.delete(Path.of(file + StateFiles.PREVIOUS));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> StateFiles.read(file, NOT_EMPTY));
    assertTrue(e.getMessage().contains("state.json is unreadable (empty)"), e.getMessage());
    assertNull(StateFiles.read(dir.resolve("missing.json").toString(), NOT_EMPTY));
  }

  @Test
  void createNewRefusesAnExistingFile(@TempDir Path dir) {
    String file = dir.resolve("lease.json").toString();
    assertTrue(StateFiles.createNew(file, "a".getBytes(UTF_8)));
    assertFalse(StateFiles.createNew(file, "b".getBytes(UTF_8)));
    assertEquals("a", StateFiles.read(file));
    StateFiles.delete(file);
    assertFalse(StateFiles.exists(file));
    assertTrue(StateFiles.createNew(file, "c".getBytes(UTF_8)));
  }

  @Test
  void listingAMissingDirectoryIsEmptyAndAnUnreadableOneIsAnError(@TempDir Path dir)
      throws Exception {
    assertEquals(List.of(), StateFiles.list(dir.resolve("none/*.json").toString()));
    StateFiles.replace(dir.resolve("d/b.json").toString(), "b");
    StateFiles.replace(dir.resolve("d/a.json").toString(), "a");
    StateFiles.replace(dir.resolve("d/a.json").toString(), "a2");
    assertEquals(
        List.of(dir.resolve("d/a.json").toString(), dir.resolve("d/b.json").toString()),
        StateFiles.list(dir.resolve("d/*.json").toString()));
    Path locked = dir.resolve("d");
    if (locked.toFile().setReadable(false) && !Files.isReadable(locked)) {
      try {
        assertThrows(
            RuntimeException.class, () -> StateFiles.list(locked.resolve("*.json").toString()));
      } finally {
        locked.toFile().setReadable(true);
      }
    }
  }
}
