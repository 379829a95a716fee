package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The hours of an Export API range. Amplitude's {@code start} and {@code end} parameters are both
 * INCLUSIVE hours, so hogbeam asks for one hour at a time with the same hour in both: a range is
 * cut into hours that never overlap, and no hour is fetched twice.
 */
final class ExportHours {
  private static final DateTimeFormatter QUERY =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HH").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter LABEL =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH").withZone(ZoneOffset.UTC);

  private ExportHours() {}

  /** Every hour in the half-open range [start, end), both whole UTC hours, in order. */
  static List<String> plan(Instant start, Instant end) {
    checkArgument(isWholeHour(start), "start must be a whole UTC hour, but was %s", start);
    checkArgument(isWholeHour(end), "end must be a whole UTC hour, but was %s", end);
    checkArgument(end.isAfter(start), "end (%s) must be after start (%s)", end, start);
    List<String> hours = new ArrayList<>();
    for (Instant h = start; h.isBefore(end); h = h.plus(Duration.ofHours(1))) {
      hours.add(QUERY.format(h));
    }
    return hours;
  }

  static boolean isWholeHour(Instant t) {
    return t.truncatedTo(ChronoUnit.HOURS).equals(t);
  }

  /** The query value of an hour, {@code yyyyMMddTHH}; also the hour's id everywhere else. */
  static String query(Instant hour) {
    return QUERY.format(hour);
  }

  /** The hour named by a query value. */
  static Instant parse(String queryHour) {
    return LocalDateTime.parse(queryHour, DateTimeFormatter.ofPattern("yyyyMMdd'T'HH"))
        .toInstant(ZoneOffset.UTC);
  }

  /** How the hour is named to a person: {@code export hour 2024-05-01T13}. */
  static String source(String queryHour) {
    return "export hour " + LABEL.format(parse(queryHour));
  }
}
