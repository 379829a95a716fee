package dev.hogbeam.event;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Conversions between instants and epoch microseconds, the resolution PostHog stores. */
public final class Timestamps {
  private Timestamps() {}

  /** Epoch microseconds of {@code instant}, truncating anything finer than a microsecond. */
  public static long toMicros(Instant instant) {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  public static Instant toInstant(long epochMicros) {
    return Instant.EPOCH.plus(epochMicros, ChronoUnit.MICROS);
  }

  /** {@code 2024-05-01T12:34:56.123456Z}: always UTC, always six fractional digits. */
  public static String toIso(long epochMicros) {
    StringBuilder sb = new StringBuilder(27);
    appendIso(epochMicros, sb);
    return sb.toString();
  }

  /** Appends {@link #toIso(long)} to {@code sb} without intermediate objects beyond the date. */
  public static void appendIso(long epochMicros, StringBuilder sb) {
    long seconds = Math.floorDiv(epochMicros, 1_000_000L);
    int micros = (int) Math.floorMod(epochMicros, 1_000_000L);
    LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 0 || year > 9999) {
      sb.append(Instant.ofEpochSecond(seconds, micros * 1_000L));
      return;
    }
    pad(sb, year, 4).append('-');
    pad(sb, t.getMonthValue(), 2).append('-');
    pad(sb, t.getDayOfMonth(), 2).append('T');
    pad(sb, t.getHour(), 2).append(':');
    pad(sb, t.getMinute(), 2).append(':');
    pad(sb, t.getSecond(), 2).append('.');
    pad(sb, micros, 6).append('Z');
  }

  private static StringBuilder pad(StringBuilder sb, int value, int width) {
    String s = Integer.toString(value);
    for (int i = s.length(); i < width; i++) {
      sb.append('0');
    }
    return sb.append(s);
  }
}
