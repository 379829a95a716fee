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
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
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

  private SortedEvents sorted(long seed, int n) throws IOException {
    return OrderFixtures.sort(settings(), OrderTestEvents.of(seed, n, T0, 10_000_000, 300, 0.02));
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
      // Deterministic: the same events encode to the same bytes, however the group is held.
      assertArrayEquals(
          CoderUtils.encodeToByteArray(coder, group),
          CoderUtils.encodeToByteArray(coder, List.copyOf(toList(sorted(n, n)))));
    }
    CoderProperties.coderSerializable(coder);
    CoderProperties.coderDecodeEncodeContentsInSameOrder(coder, List.of());
  }

  @Test
  void isWireCompatibleWithIterableCoder() throws Exception {
    SortedEventsCoder coder = SortedEventsCoder.of(settings());
    IterableCoder<CaptureEvent> iterableCoder = IterableCoder.of(CaptureEventCoder.of());
    SortedEvents group = sorted(7, 500);
    List<CaptureEvent> expected = toList(group);

    byte[] ours = CoderUtils.encodeToByteArray(coder, group);
    assertEquals(expected, toList(CoderUtils.decodeFromByteArray(iterableCoder, ours)));
    // A List is encoded with a size prefix instead of blocks: also readable.
    byte[] theirs = CoderUtils.encodeToByteArray(iterableCoder, expected);
    assertEquals(expected, toList(CoderUtils.decodeFromByteArray(coder, theirs)));
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
    CaptureEvent late = CaptureEvent.of("0a000000-0000-0000-0000-000000000000", "e", "d", T0 + 1, "{}");
    CaptureEvent early = CaptureEvent.of("0b000000-0000-0000-0000-000000000000", "e", "d", T0, "{}");
    byte[] bytes =
        CoderUtils.encodeToByteArray(IterableCoder.of(CaptureEventCoder.of()), List.of(late, early));
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
