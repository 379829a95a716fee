package dev.hogbeam.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
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
}
