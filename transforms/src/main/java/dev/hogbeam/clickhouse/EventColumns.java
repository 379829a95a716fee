package dev.hogbeam.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The columns of PostHog's events table the reader selects, by name (never {@code SELECT *}:
 * MATERIALIZED and ALIAS columns would be missing and new columns would shift positions), and how
 * each is turned into an exact, time-zone-free value.
 */
public final class EventColumns {
  private EventColumns() {}

  /** Columns the reader cannot do without. */
  public static final List<String> REQUIRED =
      List.of("uuid", "event", "properties", "timestamp", "team_id", "distinct_id");

  /** Selected when present: the autocapture chain, then person and group data (kept, not sent). */
  public static final List<String> OPTIONAL;

  static {
    List<String> optional = new ArrayList<>();
    optional.add("elements_chain");
    optional.add("person_id");
    optional.add("person_properties");
    optional.add("person_created_at");
    for (int i = 0; i < EventRow.GROUPS; i++) {
      optional.add("group" + i + "_properties");
    }
    for (int i = 0; i < EventRow.GROUPS; i++) {
      optional.add("group" + i + "_created_at");
    }
    optional.add("person_mode");
    OPTIONAL = List.copyOf(optional);
  }

  /** Required columns missing from {@code present}, in the order of {@link #REQUIRED}. */
  public static List<String> missingRequired(Set<String> present) {
    List<String> missing = new ArrayList<>();
    for (String c : REQUIRED) {
      if (!present.contains(c)) {
        missing.add(c);
      }
    }
    return missing;
  }

  /** The optional columns found in {@code present}, in the order of {@link #OPTIONAL}. */
  public static List<String> optionalPresent(Set<String> present) {
    List<String> out = new ArrayList<>();
    for (String c : OPTIONAL) {
      if (present.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * The SELECT expression for {@code column}: uuids as canonical text, date-times as epoch
   * microseconds ({@code toUnixTimestamp64Micro}, exact and independent of any time zone), the
   * person mode enum as its name, strings as they are.
   */
  public static String selectExpression(String column) {
    switch (column) {
      case "uuid":
      case "person_id":
      case "person_mode":
        return "toString(" + column + ")";
      case "timestamp":
        return "toUnixTimestamp64Micro(timestamp)";
      default:
        if (column.endsWith("_created_at")) {
          return "toUnixTimestamp64Micro(toDateTime64(" + column + ", 6))";
        }
        return column;
    }
  }

  /**
   * The select list for a read: uuid, event, distinct_id, timestamp, properties (positions 1-5),
   * then {@code optional} in its order.
   */
  public static List<String> selectList(List<String> optional) {
    List<String> out = new ArrayList<>();
    for (String c : List.of("uuid", "event", "distinct_id", "timestamp", "properties")) {
      out.add(selectExpression(c));
    }
    for (String c : optional) {
      out.add(selectExpression(c));
    }
    return out;
  }
}
