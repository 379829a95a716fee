package dev.hogbeam.pipeline.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class DateArgsTest {

  @Test
  void dateIsMidnightUtc() {
    assertEquals(Instant.parse("2024-01-31T00:00:00Z"), DateArgs.parse("startDate", "2024-01-31"));
  }

  @Test
  void dateTimeWithoutZoneIsUtcAndKeepsMicroseconds() {
    assertEquals(
        Instant.parse("2024-01-31T12:00:00Z"), DateArgs.parse("startDate", "2024-01-31T12:00"));
    assertEquals(
        Instant.parse("2024-01-31T12:00:05.123456Z"),
        DateArgs.parse("startDate", "2024-01-31T12:00:05.123456"));
  }

  @Test
  void offsetsAndZonesAreHonoured() {
    assertEquals(
        Instant.parse("2024-01-31T10:00:00Z"),
        DateArgs.parse("endDate", "2024-01-31T12:00:00+02:00"));
    assertEquals(
        Instant.parse("2024-01-31T17:00:00Z"),
        DateArgs.parse("endDate", "2024-01-31T12:00:00-05:00"));
    assertEquals(
        Instant.parse("2024-01-31T12:00:00Z"), DateArgs.parse("endDate", "2024-01-31T12:00:00Z"));
    assertEquals(
        Instant.parse("2024-07-01T10:00:00Z"),
        DateArgs.parse("endDate", "2024-07-01T12:00:00+02:00[Europe/Paris]"));
  }

  @Test
  void garbageNamesTheFlag() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DateArgs.parse("endDate", "31/01/2024"));
    assertTrue(e.getMessage().startsWith("--endDate='31/01/2024' is not an ISO-8601 date"));
  }

  @Test
  void startMustBeBeforeEnd() {
    Instant t = Instant.parse("2024-01-01T00:00:00Z");
    Instant now = Instant.parse("2025-01-01T00:00:00Z");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DateArgs.checkRange(t, t, now, false));
    assertTrue(e.getMessage().contains("--startDate"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> DateArgs.checkRange(t.plusSeconds(1), t, now, false));
  }

  @Test
  void endMustBeFortyEightHoursOld() {
    Instant now = Instant.parse("2025-01-10T12:30:00Z");
    Instant start = Instant.parse("2025-01-01T00:00:00Z");
    DateArgs.checkRange(start, Instant.parse("2025-01-08T12:30:00Z"), now, false);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DateArgs.checkRange(
                    start, Instant.parse("2025-01-08T12:30:00.000001Z"), now, false));
    assertTrue(e.getMessage().contains("48 hours"), e.getMessage());
    assertTrue(e.getMessage().contains("--endDate=2025-01-08T12:00:00Z"), e.getMessage());
    DateArgs.checkRange(start, now, now, true);
  }
}
