package dev.hogbeam.jdbc;

import java.time.LocalDate;

/** The UTC day of a record's timestamp, without parsing the record as a whole. */
final class RecordDay {
  private static final String FIELD = "\"timestamp\":";

  private RecordDay() {}

  /** {@code yyyy-MM-dd} of the record's {@code timestamp}; {@code none} when it has none. */
  static String of(String record) {
    int at = record.indexOf(FIELD);
    if (at < 0) {
      return "none";
    }
    int i = at + FIELD.length();
    int j = i;
    while (j < record.length()
        && (record.charAt(j) == '-' || Character.isDigit(record.charAt(j)))) {
      j++;
    }
    if (j == i) {
      return "none";
    }
    long micros = Long.parseLong(record.substring(i, j));
    return LocalDate.ofEpochDay(Math.floorDiv(micros, 86_400_000_000L)).toString();
  }
}
