package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Pure functions over a table's sort key (the text of {@code system.tables.sorting_key}) and the
 * keyset predicates built from it.
 *
 * <p>PostHog's events table is sorted by {@code (team_id, toDate(timestamp), ...)}; hogbeam reads
 * one (team, day) at a time, so only the expressions after those two matter for paging. For the
 * current key they are {@code event, cityHash64(distinct_id), cityHash64(uuid)}; for the 2021 key
 * {@code distinct_id, uuid}.
 */
public final class SortKeys {
  private SortKeys() {}

  /**
   * Splits a sort key into its expressions at top-level commas (commas inside parentheses, brackets
   * or quotes do not split). Surrounding whitespace is trimmed; a key wrapped in one pair of outer
   * parentheses (a tuple) is unwrapped first. An empty key gives an empty list.
   */
  public static List<String> split(String sortingKey) {
    List<String> out = new ArrayList<>();
    if (sortingKey == null || sortingKey.isBlank()) {
      return out;
    }
    String key = sortingKey.trim();
    if (key.startsWith("(") && matchingClose(key, 0) == key.length() - 1) {
      key = key.substring(1, key.length() - 1);
    }
    int depth = 0;
    int start = 0;
    char quote = 0;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == '(' || c == '[') {
        depth++;
      } else if (c == ')' || c == ']') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(key.substring(start, i).trim());
        start = i + 1;
      }
    }
    String last = key.substring(start).trim();
    if (!last.isEmpty()) {
      out.add(last);
    }
    return out;
  }

  /** {@code expr} without whitespace outside quotes, for comparing expressions. */
  public static String normalize(String expr) {
    StringBuilder sb = new StringBuilder(expr.length());
    char quote = 0;
    for (int i = 0; i < expr.length(); i++) {
      char c = expr.charAt(i);
      if (quote != 0) {
        sb.append(c);
        if (c == '\\' && i + 1 < expr.length()) {
          sb.append(expr.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
        sb.append(c);
      } else if (!Character.isWhitespace(c)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * The sort-key expressions after {@code team_id, toDate(timestamp)}, or null when the key does
   * not start with those two (then the key cannot serve (team, day) shards, and the reader falls
   * back to time-ordered paging).
   */
  public static @Nullable List<String> afterTeamAndDay(List<String> expressions) {
    if (expressions.size() < 2
        || !normalize(expressions.get(0)).equals("team_id")
        || !normalize(expressions.get(1)).equals("toDate(timestamp)")) {
      return null;
    }
    return new ArrayList<>(expressions.subList(2, expressions.size()));
  }

  /**
   * The keyset condition "strictly after the cursor" along {@code keys}, in the expanded form
   * ClickHouse's primary-key analysis can use:
   *
   * <pre>(k0 &gt; ? OR (k0 = ? AND (k1 &gt; ? OR (k1 = ? AND k2 &gt; ?))))</pre>
   *
   * Each {@code ?} is wrapped in the key's {@link KeyColumn#bindExpression()}. Bind the cursor
   * values in the order {@link #afterParameterOrder(int)} gives. The tuple form {@code (k0, k1, k2)
   * > (?, ?, ?)} is equivalent but was measured not to use the index.
   */
  public static String after(List<KeyColumn> keys) {
    checkArgument(!keys.isEmpty(), "a keyset needs at least one key expression");
    StringBuilder sb = new StringBuilder();
    appendAfter(keys, 0, sb);
    return sb.toString();
  }

  private static void appendAfter(List<KeyColumn> keys, int i, StringBuilder sb) {
    KeyColumn k = keys.get(i);
    sb.append('(').append(k.expression()).append(" > ").append(k.bindExpression());
    if (i + 1 < keys.size()) {
      sb.append(" OR (").append(k.expression()).append(" = ").append(k.bindExpression());
      sb.append(" AND ");
      appendAfter(keys, i + 1, sb);
      sb.append(')');
    }
    sb.append(')');
  }

  /**
   * For each {@code ?} of {@link #after(List)} in text order, the index of the key whose cursor
   * value it takes: {@code [0, 0, 1, 1, ..., n-1]}.
   */
  public static int[] afterParameterOrder(int keyCount) {
    checkArgument(keyCount > 0, "keyCount must be > 0, but was %s", keyCount);
    int[] order = new int[2 * keyCount - 1];
    for (int i = 0; i < order.length; i++) {
      order[i] = i / 2;
    }
    return order;
  }

  /** {@code k0 = ? AND k1 = ? AND ...}: the rows tied with a cursor, one parameter per key. */
  public static String equalTo(List<KeyColumn> keys) {
    checkArgument(!keys.isEmpty(), "a keyset needs at least one key expression");
    StringBuilder sb = new StringBuilder();
    for (KeyColumn k : keys) {
      if (sb.length() > 0) {
        sb.append(" AND ");
      }
      sb.append(k.expression()).append(" = ").append(k.bindExpression());
    }
    return sb.toString();
  }

  /**
   * The index of the parenthesis closing the one at {@code open} (parentheses inside quotes do not
   * count), or -1.
   */
  static int matchingClose(String s, int open) {
    int depth = 0;
    char quote = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }
}
