package dev.hogbeam.capture;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Reads an HTTP {@code Retry-After} header: delay-seconds or an HTTP-date. */
final class RetryAfter {
  private RetryAfter() {}

  /** Longest pause honoured; a server asking for more gets this, and the retry budget decides. */
  static final Duration MAX = Duration.ofMinutes(10);

  /**
   * The delay {@code header} asks for, capped at {@link #MAX}; null when absent or unreadable. A
   * date in the past means zero.
   */
  static @Nullable Duration parse(@Nullable String header, Instant now) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String h = header.trim();
    Duration d;
    try {
      long seconds = Long.parseLong(h);
      if (seconds < 0) {
        return null;
      }
      d = Duration.ofSeconds(Math.min(seconds, MAX.getSeconds()));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        d = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
    return d.compareTo(MAX) > 0 ? MAX : d;
  }
}
