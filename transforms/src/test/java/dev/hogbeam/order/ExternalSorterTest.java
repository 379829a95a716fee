package dev.hogbeam.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.testing.OrderTestEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExternalSorterTest {
  private static final long T0 = 1_714_521_600_000_000L; // 2024-05-01T00:00:00Z

  @TempDir Path spillParent;

  private SortSettings tiny(int maxEvents, int maxOpenRuns) {
    return SortSettings.defaults()
        .withMaxEventsInMemory(maxEvents)
        .withMaxOpenRuns(maxOpenRuns)
        .withSpillDirectory(spillParent.toString());
  }

  private static CaptureEvent event(long ts, String uuid, String props) {
    return CaptureEvent.of(uuid, "$pageview", "user-1", ts, props);
  }

  private static List<CaptureEvent> expectedOf(List<CaptureEvent> input) {
    return OrderFixtures.expectedOrder(input);
  }

  private static List<CaptureEvent> toList(Iterable<CaptureEvent> events) {
    List<CaptureEvent> out = new ArrayList<>();
    events.forEach(out::add);
    return out;
  }

  private static SortedEvents sort(SortSettings settings, List<CaptureEvent> input)
      throws IOException {
    return OrderFixtures.sort(settings, input.iterator());
  }

  private List<Path> spillFiles() throws IOException {
    try (Stream<Path> s = Files.walk(spillParent)) {
      return s.filter(Files::isRegularFile).collect(Collectors.toList());
    }
  }

  @ParameterizedTest(name = "compressed={0}")
  @ValueSource(booleans = {true, false})
  void manyRunsEqualAFullInMemorySort(boolean compressed) throws IOException {
    // 20,000 events over one second: many equal timestamps; 10% copies of the previous event.
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(42, 20_000, T0, 1_000_000, 120, 0.10).forEachRemaining(input::add);
    // Copies also arrive far apart, in other runs.
    Random r = new Random(7);
    for (int i = 0; i < 500; i++) {
      CaptureEvent e = input.get(r.nextInt(input.size()));
      input.add(
          CaptureEvent.of(
              e.uuid(), "other", "user-x", e.timestampMicros(), "{\"copy\":" + i + "}"));
    }
    Collections.shuffle(input, r);
    List<CaptureEvent> expected = expectedOf(input);

    try (ExternalSorter sorter = ExternalSorter.create(tiny(97, 5).withCompressSpill(compressed))) {
      for (CaptureEvent e : input) {
        sorter.add(e);
      }
      SortedEvents sorted = sorter.finish();

      assertTrue(sorted.isOnDisk());
      // 20,500 / 97 = 212 runs, more than 5 at once: intermediate merges happened.
      assertTrue(sorter.runsWritten() > 212, "runs written: " + sorter.runsWritten());
      assertTrue(sorted.runCount() <= 5, "runs left for the final merge: " + sorted.runCount());
      SortedEvents.EventIterator it = sorted.iterator();
      List<CaptureEvent> actual = new ArrayList<>();
      it.forEachRemaining(actual::add);
      assertEquals(expected, actual);
      assertEquals(input.size() - expected.size(), it.duplicatesDropped());
      sorted.close();
    }
  }

  @Test
  void equalTimestampsAreOrderedByUuidAsUnsignedNumbers() throws IOException {
    String[] uuids = {
      "ffffffff-0000-0000-0000-000000000000",
      "80000000-0000-0000-0000-000000000000",
      "7fffffff-ffff-ffff-ffff-ffffffffffff",
      "00000000-0000-0000-0000-000000000001",
      "00000000-0000-0000-0000-000000000000",
    };
    List<CaptureEvent> input = new ArrayList<>();
    for (String u : uuids) {
      input.add(event(T0, u, "{}"));
    }
    input.add(event(T0 - 1, "ffffffff-ffff-ffff-ffff-ffffffffffff", "{}"));

    for (SortSettings s : List.of(SortSettings.defaults(), tiny(2, 2))) {
      List<String> order =
          toList(sort(s, input)).stream().map(CaptureEvent::uuid).collect(Collectors.toList());
      assertEquals(
          List.of(
              "ffffffff-ffff-ffff-ffff-ffffffffffff",
              "00000000-0000-0000-0000-000000000000",
              "00000000-0000-0000-0000-000000000001",
              "7fffffff-ffff-ffff-ffff-ffffffffffff",
              "80000000-0000-0000-0000-000000000000",
              "ffffffff-0000-0000-0000-000000000000"),
          order,
          "settings " + s);
    }
  }

  @Test
  void duplicatesAreDroppedAndCountedExactly() throws IOException {
    String a = "0a000000-0000-0000-0000-000000000000";
    String b = "0b000000-0000-0000-0000-000000000000";
    String c = "0c000000-0000-0000-0000-000000000000";
    List<CaptureEvent> input =
        List.of(
            event(T0, a, "{\"v\":1}"), // a@T0: three copies, two of them adjacent
            event(T0, a, "{\"v\":1}"),
            event(T0, b, "{}"),
            event(T0, c, "{}"),
            event(T0, a, "{\"v\":0}"), // not adjacent in the input; kept: smallest properties
            event(T0 + 5, a, "{}"), // same uuid, other timestamp: NOT a duplicate (documented)
            event(T0 + 5, c, "{}"),
            event(T0 + 5, c, "{}"));

    for (SortSettings s : List.of(SortSettings.defaults(), tiny(1, 2), tiny(3, 2))) {
      SortedEvents sorted = sort(s, input);
      SortedEvents.EventIterator it = sorted.iterator();
      List<CaptureEvent> actual = new ArrayList<>();
      it.forEachRemaining(actual::add);
      assertEquals(
          List.of(
              event(T0, a, "{\"v\":0}"),
              event(T0, b, "{}"),
              event(T0, c, "{}"),
              event(T0 + 5, a, "{}"),
              event(T0 + 5, c, "{}")),
          actual,
          "settings " + s);
      assertEquals(3, it.duplicatesDropped(), "settings " + s);
      sorted.close();
    }
  }

  @Test
  void emptyGroup() throws IOException {
    SortedEvents sorted = sort(tiny(1, 2), List.of());
    assertFalse(sorted.isOnDisk());
    assertFalse(sorted.iterator().hasNext());
    assertEquals(0, sorted.iterator().duplicatesDropped());
  }

  @Test
  void singleEvent() throws IOException {
    CaptureEvent e = event(T0, "0a000000-0000-0000-0000-000000000000", "{}");
    assertEquals(List.of(e), toList(sort(SortSettings.defaults(), List.of(e))));
    SortedEvents onDisk = sort(tiny(1, 2), List.of(e));
    assertTrue(onDisk.isOnDisk());
    assertEquals(List.of(e), toList(onDisk));
    onDisk.close();
  }

  @Test
  void smallGroupsNeverTouchDisk() throws IOException {
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(1, 5_000, T0, 60_000_000, 200, 0.01).forEachRemaining(input::add);
    SortedEvents sorted =
        sort(SortSettings.defaults().withSpillDirectory(spillParent.toString()), input);
    assertFalse(sorted.isOnDisk());
    assertEquals(expectedOf(input), toList(sorted));
    try (Stream<Path> s = Files.list(spillParent)) {
      assertEquals(0, s.count(), "nothing may be created in the spill directory");
    }
  }

  @Test
  void byteLimitAlsoSpills() throws IOException {
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(2, 1_000, T0, 60_000_000, 1_000, 0).forEachRemaining(input::add);
    SortSettings s =
        SortSettings.defaults()
            .withMaxBytesInMemory(100_000) // about 80 events of 1.2 KB
            .withSpillDirectory(spillParent.toString());
    try (ExternalSorter sorter = ExternalSorter.create(s)) {
      for (CaptureEvent e : input) {
        sorter.add(e);
      }
      SortedEvents sorted = sorter.finish();
      assertTrue(sorted.isOnDisk());
      assertEquals(13, sorter.runsWritten());
      assertEquals(expectedOf(input), toList(sorted));
      sorted.close();
    }
  }

  @Test
  void iteratingTwiceGivesTheSameSequence() throws IOException {
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(3, 3_000, T0, 1_000_000, 100, 0.05).forEachRemaining(input::add);
    SortedEvents sorted = sort(tiny(100, 4), input);
    assertTrue(sorted.isOnDisk());
    List<CaptureEvent> first = toList(sorted);
    // Two iterators interleaved, then a third: all the same.
    SortedEvents.EventIterator x = sorted.iterator();
    SortedEvents.EventIterator y = sorted.iterator();
    List<CaptureEvent> fromX = new ArrayList<>();
    List<CaptureEvent> fromY = new ArrayList<>();
    while (x.hasNext()) {
      fromX.add(x.next());
      fromY.add(y.next());
    }
    assertFalse(y.hasNext());
    assertEquals(expectedOf(input), first);
    assertEquals(first, fromX);
    assertEquals(first, fromY);
    assertEquals(first, toList(sorted));
    sorted.close();
  }

  @Test
  void closeDeletesTheFilesAndEndsIteration() throws IOException {
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(4, 1_000, T0, 1_000_000, 100, 0).forEachRemaining(input::add);
    SortedEvents sorted = sort(tiny(100, 4), input);
    assertEquals(sorted.runCount(), spillFiles().size());
    assertTrue(sorted.spilledBytes() > 0);

    sorted.close();
    assertEquals(List.of(), spillFiles());
    IllegalStateException e = assertThrows(IllegalStateException.class, sorted::iterator);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    sorted.close(); // idempotent
  }

  @Test
  void filesAreDeletedOnceTheGroupIsUnreachable() throws Exception {
    List<CaptureEvent> input = new ArrayList<>();
    OrderTestEvents.of(5, 1_000, T0, 1_000_000, 100, 0).forEachRemaining(input::add);
    SortedEvents sorted = sort(tiny(100, 4), input);
    assertEquals(expectedOf(input), toList(sorted));
    assertEquals(4, spillFiles().size());
    sorted = null;

    long deadline = System.currentTimeMillis() + 30_000;
    while (!spillFiles().isEmpty() && System.currentTimeMillis() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(List.of(), spillFiles());
  }

  @Test
  void sorterCloseRemovesRunsOfAnUnfinishedSort() throws IOException {
    ExternalSorter sorter = ExternalSorter.create(tiny(10, 4));
    OrderTestEvents.of(6, 95, T0, 1_000_000, 100, 0)
        .forEachRemaining(
            e -> {
              try {
                sorter.add(e);
              } catch (IOException ex) {
                throw new AssertionError(ex);
              }
            });
    assertEquals(9, spillFiles().size());
    sorter.close();
    assertEquals(List.of(), spillFiles());
  }

  @Test
  void anUnusableSpillDirectoryIsNamedInTheError() throws IOException {
    Path notADirectory = Files.writeString(spillParent.resolve("plain-file"), "x");
    SortSettings s = tiny(1, 2).withSpillDirectory(notADirectory.toString());
    IOException e =
        assertThrows(
            IOException.class,
            () -> sort(s, List.of(event(T0, "0a000000-0000-0000-0000-000000000000", "{}"))));
    assertTrue(e.getMessage().contains(notADirectory.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("withSpillDirectory"), e.getMessage());
  }

  @Test
  void settingsNameTheBadParameter() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SortSettings.defaults().withMaxOpenRuns(1));
    assertEquals("maxOpenRuns must be >= 2, but was 1", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> SortSettings.defaults().withMaxBytesInMemory(0));
    assertEquals("maxBytesInMemory must be >= 1, but was 0", e.getMessage());
  }
}
