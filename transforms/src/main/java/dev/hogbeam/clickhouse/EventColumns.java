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

  /**
   * Selected when present, because a stage uses them: the autocapture chain (sent as {@code
   * $elements_chain}).
   */
  public static final List<String> OPTIONAL = List.of("elements_chain");

  /**
   * Columns of PostHog's table the reader never selects, because no stage uses them: the mapping
   * sends none of them, and the final-state stage reads persons and groups from their own tables.
   * On real data {@code person_properties} alone is often kilobytes per row. The reader can still
   * read them into an {@link EventRow} when a plan lists them (a plan saved by an older version).
   */
  public static final List<String> NOT_READ;

  static {
    List<String> notRead = new ArrayList<>();
    notRead.add("person_id");
    notRead.add("person_properties");
    notRead.add("person_created_at");
    for (int i = 0; i < EventRow.GROUPS; i++) {
      notRead.add("group" + i + "_properties");
    }
    for (int i = 0; i < EventRow.GROUPS; i++) {
      notRead.add("group" + i + "_created_at");
    }
    notRead.add("person_mode");
    NOT_READ = List.copyOf(notRead);
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
