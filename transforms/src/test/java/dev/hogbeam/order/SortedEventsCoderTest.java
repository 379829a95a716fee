package dev.hogbeam.order;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.testing.OrderTestEvents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SortedEventsCoderTest {
  private static final long T0 = 1_714_521_600_000_000L;

  @TempDir Path spillParent;

  private SortSettings settings() {
    return SortSettings.defaults()
        .withMaxEventsInMemory(50)
        .withMaxOpenRuns(3)
        .withSpillDirectory(spillParent.toString());
  }

  private static List<CaptureEvent> input(long seed, int n) {
    List<CaptureEvent> events = new ArrayList<>();
    OrderTestEvents.of(seed, n, T0, 10_000_000, 300, 0.02).forEachRemaining(events::add);
    return events;
  }

  private SortedEvents sorted(long seed, int n) throws IOException {
    return OrderFixtures.sort(settings(), input(seed, n).iterator());
  }

  /** The copies among {@code n} generated events, counted by the rule rather than the sorter. */
  private static long duplicatesIn(long seed, int n) {
    List<CaptureEvent> events = input(seed, n);
    return events.size() - OrderFixtures.expectedOrder(events).size();
  }

  /** Iterates {@code events} to the end and returns what its iterator says was dropped. */
  private static long duplicatesReported(Iterable<CaptureEvent> events) {
    SortedEvents.EventIterator it = assertInstanceOf(SortedEvents.class, events).iterator();
    it.forEachRemaining(e -> {});
    return it.duplicatesDropped();
  }

  private List<Path> spillFiles() throws IOException {
    try (Stream<Path> files = Files.walk(spillParent)) {
      return files.filter(Files::isRegularFile).collect(Collectors.toList());
    }
  }

  /** {@code events} in IterableCoder's block format (that of an iterable of unknown size). */
  private static byte[] blocks(List<CaptureEvent> events) throws CoderException {
    Iterable<CaptureEvent> notACollection = events::iterator;
    return CoderUtils.encodeToByteArray(IterableCoder.of(CaptureEventCoder.of()), notACollection);
  }

  private static byte[] concat(byte[] head, long trailer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(head);
    VarInt.encode(trailer, out);
    return out.toByteArray();
  }

  private static List<CaptureEvent> toList(Iterable<CaptureEvent> events) {
    List<CaptureEvent> out = new ArrayList<>();
    events.forEach(out::add);
    return out;
  }

  @Test
  void roundTripKeepsContentsAndOrder() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    for (int n : new int[] {0, 1, 49, 50, 51, 1_000}) {
      SortedEvents group = sorted(n, n);
      CoderProperties.coderDecodeEncodeContentsInSameOrder(coder, group);
      // Deterministic: the same events with the same count encode to the same bytes, however the
      // group is held (the sorter's runs, or one run or a list decoded from the coder).
      SortedEvents copy = (SortedEvents) CoderUtils.clone(coder, group);
      assertArrayEquals(
          CoderUtils.encodeToByteArray(coder, group), CoderUtils.encodeToByteArray(coder, copy));
    }
    CoderProperties.coderSerializable(coder);
    CoderProperties.coderDecodeEncodeContentsInSameOrder(coder, List.of());
  }

  @Test
  void encodingIsIterableCodersBlockFormatThenTheDuplicateCount() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    SortedEvents group = sorted(7, 500);
    assertTrue(group.isOnDisk(), "counted partly in the lazy merge");
    List<CaptureEvent> expected = toList(group);
    long duplicates = duplicatesIn(7, 500);
    assertTrue(duplicates >= 2, "the fixture has copies: " + duplicates);

    assertArrayEquals(
        concat(blocks(expected), duplicates), CoderUtils.encodeToByteArray(coder, group));
    // An iterable whose iterator does not count (a list) gets the trailer 0.
    assertArrayEquals(concat(blocks(expected), 0), CoderUtils.encodeToByteArray(coder, expected));
    // The events part may also be IterableCoder's size-prefixed format of a collection.
    byte[] sizePrefixed =
        CoderUtils.encodeToByteArray(IterableCoder.of(CaptureEventCoder.of()), expected);
    Iterable<CaptureEvent> decoded = CoderUtils.decodeFromByteArray(coder, concat(sizePrefixed, 5));
    assertEquals(expected, toList(decoded));
    assertEquals(5, duplicatesReported(decoded));
  }

  @Test
  void aCopyReportsTheDuplicatesOfTheGroupItWasEncodedFrom() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    SortedEvents onDisk = sorted(3, 2_000); // past 50 events: decoded into a run on disk
    SortedEvents inMemory = sorted(4, 40);
    SortedEvents none = sorted(5, 1);
    long diskDuplicates = duplicatesIn(3, 2_000);
    long memoryDuplicates = duplicatesIn(4, 40);
    assertTrue(
        diskDuplicates >= 20 && memoryDuplicates >= 1, diskDuplicates + ", " + memoryDuplicates);
    assertEquals(diskDuplicates, duplicatesReported(onDisk));
    assertEquals(memoryDuplicates, duplicatesReported(inMemory));

    SortedEvents diskCopy = (SortedEvents) CoderUtils.clone(coder, onDisk);
    assertTrue(diskCopy.isOnDisk());
    assertEquals(diskDuplicates, duplicatesReported(diskCopy));
    assertEquals(diskDuplicates, duplicatesReported(diskCopy), "on every iteration");
    SortedEvents memoryCopy = (SortedEvents) CoderUtils.clone(coder, inMemory);
    assertFalse(memoryCopy.isOnDisk());
    assertEquals(memoryDuplicates, duplicatesReported(memoryCopy));
    assertEquals(0, duplicatesReported(CoderUtils.clone(coder, none)));
    // A copy of a copy too.
    assertEquals(diskDuplicates, duplicatesReported(CoderUtils.clone(coder, diskCopy)));
  }

  @Test
  void theTrailerIsReadInANestedContextWithoutTakingWhatFollows() throws Exception {
    KvCoder<Iterable<CaptureEvent>, String> pair =
        KvCoder.of(SortedEventsCoder.of(settings()), StringUtf8Coder.of());
    for (int n : new int[] {40, 2_000}) {
      SortedEvents group = sorted(n, n);
      KV<Iterable<CaptureEvent>, String> back = CoderUtils.clone(pair, KV.of(group, "after"));
      assertEquals("after", back.getValue());
      assertEquals(toList(group), toList(back.getKey()));
      assertEquals(duplicatesIn(n, n), duplicatesReported(back.getKey()));
    }
  }

  @Test
  void aMissingTrailerFailsAndLeavesNoSpillFile() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    SortedEvents group = sorted(6, 2_000);
    byte[] truncated = blocks(toList(group)); // past the in-memory limit: decoding spills
    group.close();
    assertEquals(List.of(), spillFiles());
    CoderException e =
        assertThrows(CoderException.class, () -> CoderUtils.decodeFromByteArray(coder, truncated));
    assertEquals(
        "SortedEventsCoder: the duplicate count after the events is missing", e.getMessage());
    assertEquals(List.of(), spillFiles(), "the run written while decoding is deleted");
  }

  @Test
  void aLargeGroupDecodesToADiskBackedIterable() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    SortedEvents group = sorted(8, 2_000);
    assertTrue(group.isOnDisk());
    assertTrue(group.runCount() > 1);

    Iterable<CaptureEvent> copy = CoderUtils.clone(coder, group);

    SortedEvents decoded = assertInstanceOf(SortedEvents.class, copy);
    assertTrue(decoded.isOnDisk(), "more than 50 events must not be decoded into memory");
    assertEquals(1, decoded.runCount(), "a decoded group is one run written while decoding");
    assertEquals(toList(group), toList(decoded));
    decoded.close();
    group.close();
  }

  @Test
  void aSmallGroupDecodesIntoMemory() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(SortSettings.defaults());
    SortedEvents group = sorted(9, 40);
    SortedEvents decoded = assertInstanceOf(SortedEvents.class, CoderUtils.clone(coder, group));
    assertFalse(decoded.isOnDisk());
    assertEquals(toList(group), toList(decoded));
  }

  @Test
  void decodingEventsOutOfOrderFails() throws Exception {
    CaptureEvent late =
        CaptureEvent.of("0a000000-0000-0000-0000-000000000000", "e", "d", T0 + 1, "{}");
    CaptureEvent early =
        CaptureEvent.of("0b000000-0000-0000-0000-000000000000", "e", "d", T0, "{}");
    byte[] bytes = concat(blocks(List.of(late, early)), 0);
    CoderException e =
        assertThrows(
            CoderException.class,
            () -> CoderUtils.decodeFromByteArray(SortedEventsCoder.of(settings()), bytes));
    assertTrue(e.getMessage().contains("out of send order"), e.getMessage());
  }

  @Test
  void codersWithTheSameSettingsAreEqual() {
    assertEquals(SortedEventsCoder.of(settings()), SortedEventsCoder.of(settings()));
    assertEquals(
        SortedEventsCoder.of(settings()).hashCode(), SortedEventsCoder.of(settings()).hashCode());
    assertFalse(
        SortedEventsCoder.of(settings()).equals(SortedEventsCoder.of(SortSettings.defaults())));
  }
}
