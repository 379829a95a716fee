package dev.hogbeam.pipeline.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.EventCursor;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class PendingAliasPairsTest {
  private static final String PLAN_FILE = "plan.json";
  private static final String U1 = "00000000-0000-4000-8000-000000000001";
  private static final String U2 = "00000000-0000-4000-8000-000000000002";
  private static final String U3 = "00000000-0000-4000-8000-000000000003";
  private static final String PAIR_A = AliasPairs.pairKey("dev-a", "user-a");
  private static final String PAIR_B = AliasPairs.pairKey("dev\tb \"quoted\"\nline", "üser-b 🎉");
  private static final String PAIR_C = AliasPairs.pairKey("dev-c", "user-c");

  @TempDir Path tmp;

  @Test
  void aRecordIsOneJsonLineAndReadsBackTheSame() {
    PendingAliasPairs.Record r =
        new PendingAliasPairs.Record(
            "/ck/run 1", "2024-05-01", EventCursor.of(1_714_554_000_000_001L, U1), PAIR_B);
    String line = r.toJsonLine();
    assertFalse(line.contains("\n"), line);
    assertEquals(r, PendingAliasPairs.Record.fromJsonLine(line));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PendingAliasPairs.Record.fromJsonLine("{\"group\":\"g\"}"));
    assertTrue(e.getMessage().startsWith("not a pending alias record"), e.getMessage());
  }

  @Test
  void anAliasIsDeliveredOnceItsGroupAcknowledgedItOrFinished() {
    EventCursor alias = EventCursor.of(100, U2);
    assertFalse(PendingAliasPairs.delivered(null, alias), "group never started");
    assertFalse(
        PendingAliasPairs.delivered(GroupCheckpoint.start("g"), alias), "nothing acknowledged");
    GroupCheckpoint before = GroupCheckpoint.start("g").acknowledged(EventCursor.of(100, U1), 3);
    assertFalse(PendingAliasPairs.delivered(before, alias), "acknowledged up to an earlier uuid");
    assertFalse(
        PendingAliasPairs.delivered(before.sending(alias, alias, 1), alias), "only in flight");
    assertTrue(
        PendingAliasPairs.delivered(GroupCheckpoint.start("g").acknowledged(alias, 4), alias));
    assertTrue(
        PendingAliasPairs.delivered(
            GroupCheckpoint.start("g").acknowledged(EventCursor.of(100, U3), 5), alias));
    assertTrue(
        PendingAliasPairs.delivered(
            GroupCheckpoint.start("g").acknowledged(EventCursor.of(99, U3), 2),
            EventCursor.of(99, U2)));
    assertFalse(
        PendingAliasPairs.delivered(
            GroupCheckpoint.start("g").acknowledged(EventCursor.of(99, U3), 2), alias));
    assertTrue(
        PendingAliasPairs.delivered(before.finished(), alias), "a finished group sent everything");
  }

  @Test
  void settlingRecordsDeliveredPairsOfAnyCheckpointDirectoryAndKeepsTheRestPending()
      throws IOException {
    String aliasStore = tmp.resolve("aliases").toString();
    // March: a killed run, its group acknowledged up to the alias of pair A but not of pair B.
    CheckpointStore march = CheckpointStore.at(tmp.resolve("ck-march").toString());
    march.writeText(PLAN_FILE, "{}");
    march.writeGroup(GroupCheckpoint.start("2024-03-01").acknowledged(EventCursor.of(200, U1), 10));
    // April: its group finished.
    CheckpointStore april = CheckpointStore.at(tmp.resolve("ck-april").toString());
    april.writeText(PLAN_FILE, "{}");
    april.writeGroup(GroupCheckpoint.start("2024-04-01").finished());
    // An abandoned migration whose checkpoint directory was deleted.
    String gone = tmp.resolve("ck-gone").toString();

    Path pending = tmp.resolve("aliases").resolve(PendingAliasPairs.DIRECTORY);
    writeLines(
        pending.resolve("run1-00000-of-00002.jsonl"),
        record(march, "2024-03-01", EventCursor.of(150, U3), PAIR_A),
        record(march, "2024-03-01", EventCursor.of(250, U1), PAIR_B));
    writeLines(
        pending.resolve("run1-00001-of-00002.jsonl"),
        record(march, "2024-03-02", EventCursor.of(300, U1), PAIR_C));
    writeLines(
        pending.resolve("run2-00000-of-00001.jsonl"),
        record(april, "2024-04-01", EventCursor.of(400, U2), PAIR_C));
    writeLines(
        pending.resolve("run3-00000-of-00001.jsonl"),
        new PendingAliasPairs.Record(gone, "2024-02-01", EventCursor.of(1, U1), PAIR_B)
            .toJsonLine());
    writeLines(pending.resolve("run4-00000-of-00001.jsonl")); // an empty shard

    PendingAliasPairs.Settled first = PendingAliasPairs.settle(aliasStore, PLAN_FILE);

    assertEquals(new PendingAliasPairs.Settled(2, 2, 1), first);
    assertEquals(Set.of(PAIR_A, PAIR_C), storedPairs(aliasStore));
    assertEquals(
        Set.of("run1-00000-of-00002.jsonl", "run1-00001-of-00002.jsonl"),
        fileNames(pending),
        "files with a record still pending stay whole; settled, dropped and empty ones go");

    // The March run is resumed and finishes both groups.
    march.writeGroup(GroupCheckpoint.start("2024-03-01").acknowledged(EventCursor.of(250, U1), 11));
    march.writeGroup(GroupCheckpoint.start("2024-03-02").finished());
    PendingAliasPairs.Settled second = PendingAliasPairs.settle(aliasStore, PLAN_FILE);

    assertEquals(new PendingAliasPairs.Settled(3, 0, 0), second);
    assertEquals(Set.of(PAIR_A, PAIR_B, PAIR_C), storedPairs(aliasStore));
    assertEquals(Set.of(), fileNames(pending));
    assertEquals(
        new PendingAliasPairs.Settled(0, 0, 0), PendingAliasPairs.settle(aliasStore, PLAN_FILE));
  }

  @Test
  void settlingWithoutAStoreOrPendingDirectoryDoesNothing() throws IOException {
    assertEquals(
        new PendingAliasPairs.Settled(0, 0, 0),
        PendingAliasPairs.settle(tmp.resolve("none").toString(), PLAN_FILE));
    assertFalse(Files.exists(tmp.resolve("none")));
  }

  @Test
  void anUnreadableRecordIsDroppedUnrecorded() throws IOException {
    CheckpointStore done = CheckpointStore.at(tmp.resolve("ck").toString());
    done.writeText(PLAN_FILE, "{}");
    done.writeGroup(GroupCheckpoint.start("g").finished());
    Path file =
        tmp.resolve("aliases")
            .resolve(PendingAliasPairs.DIRECTORY)
            .resolve("r-00000-of-00001.jsonl");
    String torn = record(done, "g", EventCursor.of(2, U2), PAIR_B);
    writeLines(
        file,
        record(done, "g", EventCursor.of(1, U1), PAIR_A),
        "",
        torn.substring(0, torn.length() / 2));

    assertEquals(
        new PendingAliasPairs.Settled(1, 0, 1),
        PendingAliasPairs.settle(tmp.resolve("aliases").toString(), PLAN_FILE));
    assertEquals(Set.of(PAIR_A), storedPairs(tmp.resolve("aliases").toString()));
    assertFalse(Files.exists(file));
  }

  @Test
  void localPathsAreMadeAbsoluteOthersAreKept() {
    assertEquals(Path.of("ck/x").toAbsolutePath().toString(), PendingAliasPairs.absolute("ck/./x"));
    assertEquals("/a/b", PendingAliasPairs.absolute("file:///a/b"));
    assertEquals("gs://bucket/ck", PendingAliasPairs.absolute("gs://bucket/ck"));
  }

  private static String record(CheckpointStore store, String group, EventCursor at, String pair) {
    return new PendingAliasPairs.Record(store.directory(), group, at, pair).toJsonLine();
  }

  private static void writeLines(Path file, String... lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(
        file, lines.length == 0 ? "" : String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /** Every pair key in the store's files. */
  public static Set<String> storedPairs(String aliasStore) throws IOException {
    return new TreeSet<>(storedLineList(aliasStore));
  }

  /** How many lines the store's files hold (a pair recorded twice counts twice). */
  public static long storedLines(String aliasStore) throws IOException {
    return storedLineList(aliasStore).size();
  }

  private static List<String> storedLineList(String aliasStore) throws IOException {
    List<String> all = new ArrayList<>();
    if (!Files.isDirectory(Path.of(aliasStore))) {
      return all;
    }
    try (Stream<Path> files = Files.list(Path.of(aliasStore))) {
      for (Path f :
          files
              .filter(f -> f.getFileName().toString().startsWith("pairs-"))
              .collect(Collectors.toList())) {
        all.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    return all;
  }

  public static Set<String> fileNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(Files::isRegularFile)
          .map(f -> f.getFileName().toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
