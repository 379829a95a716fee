package dev.hogbeam.event;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class CaptureEventCoderTest {
  private static final CaptureEvent EVENT =
      CaptureEvent.of(
          "0190A7B8-0000-7000-8000-00000000000F",
          "$autocapture",
          "ünïcode user",
          1_709_251_200_123_456L,
          "{\"$lib\":\"web\",\"nested\":{\"a\":[1,2]}}");

  @Test
  void theRegistryUsesItForCaptureEvents() throws Exception {
    assertSame(CaptureEventCoder.of(), CoderRegistry.createDefault().getCoder(CaptureEvent.class));
  }

  @Test
  void roundTripsEveryFieldDeterministically() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(CaptureEventCoder.of(), EVENT);
    CoderProperties.coderDeterministic(CaptureEventCoder.of(), EVENT, EVENT);
    CoderProperties.coderSerializable(CaptureEventCoder.of());
    assertEquals("0190a7b8-0000-7000-8000-00000000000f", EVENT.uuid());
  }

  @Test
  void jsonHasMicrosecondsAndEscapes() {
    assertEquals(
        "{\"uuid\":\"0190a7b8-0000-7000-8000-00000000000f\",\"event\":\"$autocapture\","
            + "\"distinct_id\":\"ünïcode user\",\"timestamp\":\"2024-03-01T00:00:00.123456Z\","
            + "\"properties\":{\"$lib\":\"web\",\"nested\":{\"a\":[1,2]}}}",
        EVENT.toJson());
    CaptureEvent quoted = CaptureEvent.of(EVENT.uuid(), "say \"hi\"\n", "a\\b", -1, "{}");
    assertEquals(
        "{\"uuid\":\"0190a7b8-0000-7000-8000-00000000000f\",\"event\":\"say \\\"hi\\\"\\n\","
            + "\"distinct_id\":\"a\\\\b\",\"timestamp\":\"1969-12-31T23:59:59.999999Z\","
            + "\"properties\":{}}",
        quoted.toJson());
  }

  private static final CaptureEvent MULTIBYTE =
      CaptureEvent.of(
          "0190a7b8-0000-7000-8000-000000000010",
          "Köpa 🛒",
          "用户-7",
          1_709_251_200_000_001L,
          "{\"title\":\"Ærøskøbing — 東京 😀\",\"n\":1}");

  @Test
  void writesTheSameBytesAsStringAndLongCoders() throws Exception {
    // The properties skip String decoding, but the wire format is the one four StringUtf8Coders and
    // a VarLongCoder write: spill files and shuffles read the same either way.
    for (CaptureEvent e : new CaptureEvent[] {EVENT, MULTIBYTE}) {
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      StringUtf8Coder.of().encode(e.uuid(), expected);
      StringUtf8Coder.of().encode(e.event(), expected);
      StringUtf8Coder.of().encode(e.distinctId(), expected);
      VarLongCoder.of().encode(e.timestampMicros(), expected);
      StringUtf8Coder.of().encode(e.propertiesJson(), expected);
      assertArrayEquals(
          expected.toByteArray(), CoderUtils.encodeToByteArray(CaptureEventCoder.of(), e));
    }
  }

  @Test
  void multibytePropertiesRoundTripByteForByte() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(CaptureEventCoder.of(), MULTIBYTE);
    CaptureEvent copy = CoderUtils.clone(CaptureEventCoder.of(), MULTIBYTE);
    assertEquals("{\"title\":\"Ærøskøbing — 東京 😀\",\"n\":1}", copy.propertiesJson());
    assertEquals(copy.propertiesJson().getBytes(UTF_8).length, copy.propertiesUtf8Length());
    assertArrayEquals(MULTIBYTE.toJson().getBytes(UTF_8), copy.toJsonUtf8());
    assertEquals(MULTIBYTE.hashCode(), copy.hashCode());
  }

  @Test
  void eventsDifferingOnlyInPropertiesAreNotEqual() {
    CaptureEvent other =
        CaptureEvent.of(
            EVENT.uuid(), EVENT.event(), EVENT.distinctId(), EVENT.timestampMicros(), "{}");
    assertNotEquals(EVENT, other);
    assertEquals(
        EVENT,
        CaptureEvent.of(
            EVENT.uuid(),
            EVENT.event(),
            EVENT.distinctId(),
            EVENT.timestampMicros(),
            EVENT.propertiesJson()));
  }

  @Test
  void aTruncatedEncodingFailsRatherThanYieldingShortProperties() throws Exception {
    byte[] whole = CoderUtils.encodeToByteArray(CaptureEventCoder.of(), MULTIBYTE);
    byte[] cut = Arrays.copyOf(whole, whole.length - 3);
    assertThrows(
        EOFException.class, () -> CaptureEventCoder.of().decode(new ByteArrayInputStream(cut)));
  }
}
