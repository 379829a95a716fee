package dev.hogbeam.pipeline.options;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Parsing and checking of --startDate / --endDate. All times are UTC unless a zone is given. */
public final class DateArgs {
  /** PostHog asks that historical imports hold only events at least this old. */
  public static final Duration MIN_AGE = Duration.ofHours(48);

  private DateArgs() {}

  /**
   * A time as a short name part: {@code 20240101} for a midnight, {@code 20240101T13} for another
   * whole hour, {@code 20240101T133005} otherwise (UTC).
   */
  public static String compact(Instant t) {
    String pattern =
        t.truncatedTo(ChronoUnit.DAYS).equals(t)
            ? "yyyyMMdd"
            : t.truncatedTo(ChronoUnit.HOURS).equals(t) ? "yyyyMMdd'T'HH" : "yyyyMMdd'T'HHmmss";
    return DateTimeFormatter.ofPattern(pattern).withZone(ZoneOffset.UTC).format(t);
  }

  /**
   * Parses an ISO-8601 date ({@code 2024-01-31}: its midnight UTC), local date-time ({@code
   * 2024-01-31T12:00[:00[.ffffff]]}: UTC) or date-time with an offset or zone ({@code ...Z}, {@code
   * ...+02:00}, {@code ...[Europe/Paris]}).
   */
  public static Instant parse(String flag, String text) {
    String t = text.strip();
    try {
      if (t.length() == 10) {
        return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      if (t.endsWith("]")) {
        return ZonedDateTime.parse(t).toInstant();
      }
      if (t.endsWith("Z") || t.endsWith("z") || hasOffset(t)) {
        return OffsetDateTime.parse(t.replace('z', 'Z')).toInstant();
      }
      return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--"
              + flag
              + "='"
              + text
              + "' is not an ISO-8601 date or date-time (e.g. 2024-01-31, 2024-01-31T12:00,"
              + " 2024-01-31T12:00:00+02:00)");
    }
  }

  private static boolean hasOffset(String t) {
    int tIndex = t.indexOf('T');
    if (tIndex < 0) {
      return false;
    }
    String time = t.substring(tIndex + 1);
    return time.contains("+") || time.contains("-");
  }

  /**
   * Checks a half-open range [start, end): start before end, and end old enough for PostHog unless
   * {@code allowRecent}.
   */
  public static void checkRange(Instant start, Instant end, Instant now, boolean allowRecent) {
    if (!start.isBefore(end)) {
      throw new IllegalArgumentException(
          "--startDate ("
              + start
              + ") must be before --endDate ("
              + end
              + "); the end is exclusive");
    }
    Instant latest = now.minus(MIN_AGE);
    if (!allowRecent && end.isAfter(latest)) {
      throw new IllegalArgumentException(
          "--endDate ("
              + end
              + ") is less than 48 hours ago; PostHog asks that historical imports only hold events"
              + " at least 48 hours old. Use --endDate="
              + latest.truncatedTo(java.time.temporal.ChronoUnit.HOURS)
              + " or earlier (or --allowRecentEvents for a destination you run yourself)");
    }
  }
}
