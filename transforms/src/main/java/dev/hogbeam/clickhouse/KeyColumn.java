package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.Objects;

/**
 * One sort-key expression used as part of a keyset cursor (or as the column a heavy day is split
 * on), with its ClickHouse type.
 *
 * <p>Cursor values travel as text and are always compared by ClickHouse, never by Java: strings as
 * hexadecimal ({@code hex(e)} out, {@code unhex(?)} back, so any bytes survive the round trip
 * exactly), everything else as ClickHouse's own text form ({@code toString(e)} out, {@code CAST(?
 * AS type)} back). That keeps one order (ClickHouse's) for every comparison: its byte order for
 * strings, its unsigned order for {@code UInt64} hashes, its own order for UUIDs.
 */
public final class KeyColumn implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String expression;
  private final String type;

  private KeyColumn(String expression, String type) {
    this.expression = expression;
    this.type = type;
  }

  /**
   * @param expression a ClickHouse expression as it appears in the table's sort key
   * @param type its ClickHouse type, e.g. {@code UInt64} or {@code DateTime64(6, 'UTC')}
   */
  public static KeyColumn of(String expression, String type) {
    checkArgument(expression != null && !expression.isBlank(), "expression must not be empty");
    checkArgument(type != null && !type.isBlank(), "type must not be empty");
    return new KeyColumn(expression.trim(), type.trim());
  }

  public String expression() {
    return expression;
  }

  public String type() {
    return type;
  }

  /** Whether values are strings (compared byte-wise by ClickHouse, carried as hex). */
  public boolean isString() {
    String t = type;
    if (t.startsWith("LowCardinality(") && t.endsWith(")")) {
      t = t.substring("LowCardinality(".length(), t.length() - 1);
    }
    return t.equals("String") || t.startsWith("FixedString(");
  }

  /** The expression to SELECT to get this key's value as cursor text. */
  public String selectExpression() {
    return isString() ? "hex(" + expression + ")" : "toString(" + expression + ")";
  }

  /** The SQL that turns a bound cursor text parameter ({@code ?}) back into a value. */
  public String bindExpression() {
    return isString() ? "unhex(?)" : "CAST(? AS " + type + ")";
  }

  /**
   * For a ReplacingMergeTree version column (an unsigned integer, Date, DateTime or DateTime64):
   * the expression to SELECT, whose text {@link #versionOrder(String)} turns into a long that
   * orders as the versions do.
   */
  public String versionSelectExpression() {
    return isTime()
        ? "toUnixTimestamp64Nano(toDateTime64(" + expression + ", 9, 'UTC'))"
        : "toString(" + expression + ")";
  }

  /** The order key of a version selected with {@link #versionSelectExpression()}. */
  public long versionOrder(String text) {
    if (type.startsWith("UInt")) {
      return Long.parseUnsignedLong(text) ^ Long.MIN_VALUE; // unsigned order as signed order
    }
    return Long.parseLong(text);
  }

  private boolean isTime() {
    return type.startsWith("Date");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyColumn
        && ((KeyColumn) o).expression.equals(expression)
        && ((KeyColumn) o).type.equals(type);
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, type);
  }

  @Override
  public String toString() {
    return expression + " " + type;
  }
}
