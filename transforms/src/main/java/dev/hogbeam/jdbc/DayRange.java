package dev.hogbeam.jdbc;

import dev.hogbeam.event.Timestamps;
import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * One shard of a JDBC read: a UTC day, or the part of it inside the migrated range. Travels through
 * the pipeline as text ({@code 2024-06-18/startMicros/endMicros}).
 */
public record DayRange(String day, long startMicros, long endMicros) implements Serializable {

  /** The UTC days of {@code [start, end)}, each cut to the range. */
  public static List<DayRange> of(Instant start, Instant end) {
    List<DayRange> out = new ArrayList<>();
    LocalDate day = LocalDate.ofInstant(start, ZoneOffset.UTC);
    while (day.atStartOfDay(ZoneOffset.UTC).toInstant().isBefore(end)) {
      Instant from = day.atStartOfDay(ZoneOffset.UTC).toInstant();
      Instant to = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      out.add(
          new DayRange(
              day.toString(),
              Timestamps.toMicros(from.isBefore(start) ? start : from),
              Timestamps.toMicros(to.isAfter(end) ? end : to)));
      day = day.plusDays(1);
    }
    return out;
  }

  /** The text form. */
  public String text() {
    return day + "/" + startMicros + "/" + endMicros;
  }

  public static DayRange parse(String text) {
    String[] p = text.split("/", -1);
    if (p.length != 3) {
      throw new IllegalArgumentException("not a day range: " + text);
    }
    return new DayRange(p[0], Long.parseLong(p[1]), Long.parseLong(p[2]));
  }
}
