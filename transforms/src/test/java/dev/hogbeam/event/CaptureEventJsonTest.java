package dev.hogbeam.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** An event as sent (a capture dead letter's payload) reads back as the same event. */
class CaptureEventJsonTest {
  @Test
  void anEventReadsBackFromItsJsonToTheMicrosecond() throws Exception {
    CaptureEvent e =
        CaptureEvent.of(
            "0190A7B8-0000-7000-8000-00000000000A",
            "$pageview",
            "user \"1\"",
            1_714_560_000_123_456L,
            "{\"$current_url\":\"https://x/é\",\"n\":[1,2.5,null]}");
    CaptureEvent back = CaptureEvent.fromJson(e.toJson());
    assertEquals(e.uuid(), back.uuid());
    assertEquals(e.event(), back.event());
    assertEquals(e.distinctId(), back.distinctId());
    assertEquals(e.timestampMicros(), back.timestampMicros());
    ObjectMapper json = new ObjectMapper();
    assertEquals(json.readTree(e.propertiesJson()), json.readTree(back.propertiesJson()));
  }

  @Test
  void aPayloadThatIsNotAnEventIsRefusedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CaptureEvent.fromJson(
                    "{\"uuid\":\"0190a7b8-0000-7000-8000-00000000000a\",\"properties\":{}}"));
    assertTrue(e.getMessage().contains("'event'"), e.getMessage());
  }
}
