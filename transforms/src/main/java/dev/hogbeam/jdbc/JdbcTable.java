package dev.hogbeam.jdbc;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a JDBC source reads from: a table ({@code name} or {@code schema.name}, quoted, so it is
 * spelled as the database spells it) or the user's own query (wrapped as a subquery). Identifiers
 * from flags never reach SQL unquoted: table name parts must be plain identifiers, and column names
 * are only used once found among the source's columns ({@link #columns}), then quoted with the
 * database's own quote character (doubled inside).
 */
public final class JdbcTable implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final Pattern NAME_PART = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_$]*");

  private final @Nullable String table;
  private final @Nullable String query;

  private JdbcTable(@Nullable String table, @Nullable String query) {
    this.table = table;
    this.query = query;
  }

  /**
   * A table: {@code name} or {@code schema.name}, each part a plain identifier.
   *
   * @throws IllegalArgumentException naming {@code --table} otherwise
   */
  public static JdbcTable table(String name) {
    String[] parts = name.strip().split("\\.", -1);
    if (parts.length > 3) {
      throw new IllegalArgumentException(
          "--table="
              + name
              + " has more than three parts; give name, schema.name or db.schema.name");
    }
    for (String p : parts) {
      if (!NAME_PART.matcher(p).matches()) {
        throw new IllegalArgumentException(
            "--table="
                + name
                + ": '"
                + p
                + "' is not a plain identifier (letters, digits, _ and $, not starting with a"
                + " digit); for anything else give --query='SELECT ... FROM ...'");
      }
    }
    return new JdbcTable(name.strip(), null);
  }

  /** The user's own SQL, read as {@code (query) AS hogbeam_source}; a trailing ';' is dropped. */
  public static JdbcTable query(String sql) {
    String q = sql.strip();
    while (q.endsWith(";")) {
      q = q.substring(0, q.length() - 1).strip();
    }
    if (q.isEmpty()) {
      throw new IllegalArgumentException("--query is empty");
    }
    return new JdbcTable(null, q);
  }

  /** {@code --table=...} or {@code --query}, for messages. */
  public String describe() {
    return table != null ? "--table=" + table : "--query";
  }

  /** The source as a stable text (for the plan): {@code table:NAME} or {@code query:SQL}. */
  public String id() {
    return table != null ? "table:" + table : "query:" + query;
  }

  /** The FROM clause's item, identifiers quoted with {@code quote}. */
  public String fromItem(String quote) {
    if (table != null) {
      List<String> quoted = new ArrayList<>();
      for (String p : table.split("\\.")) {
        quoted.add(quote(p, quote));
      }
      return String.join(".", quoted);
    }
    return "(" + query + ") AS hogbeam_source";
  }

  /** {@code name} quoted with {@code quote} (a blank quote string: double quotes). */
  public static String quote(String name, String quote) {
    String q = quote == null || quote.isBlank() ? "\"" : quote.strip();
    return q + name.replace(q, q + q) + q;
  }

  /** A source column as the driver describes it. */
  public record Column(String name, int sqlType, String typeName) implements Serializable {
    /** Whether the driver reports a timestamp type that carries a zone or offset. */
    public boolean isZonedTimestamp() {
      String t = typeName.toLowerCase(Locale.ROOT);
      return sqlType == Types.TIMESTAMP_WITH_TIMEZONE
          || t.equals("timestamptz")
          || t.contains("with time zone");
    }

    /** Whether it is a timestamp (or date) type. */
    public boolean isTimestamp() {
      return isZonedTimestamp()
          || sqlType == Types.TIMESTAMP
          || sqlType == Types.DATE
          || typeName.toLowerCase(Locale.ROOT).startsWith("datetime");
    }

    /** Whether it is a number type. */
    public boolean isNumber() {
      switch (sqlType) {
        case Types.TINYINT:
        case Types.SMALLINT:
        case Types.INTEGER:
        case Types.BIGINT:
        case Types.REAL:
        case Types.FLOAT:
        case Types.DOUBLE:
        case Types.NUMERIC:
        case Types.DECIMAL:
          return true;
        default:
          return false;
      }
    }
  }

  /** The database's identifier quote string ({@code "} for PostgreSQL, {@code `} for MariaDB). */
  public static String quoteString(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return c.getMetaData().getIdentifierQuoteString();
    }
  }

  /**
   * The source's columns, from the driver's description of a query returning no row.
   *
   * @throws IllegalArgumentException naming the source when the database refuses it
   */
  public List<Column> columns(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      String quote = c.getMetaData().getIdentifierQuoteString();
      String sql = "SELECT * FROM " + fromItem(quote) + " WHERE 1 = 0";
      ResultSet rs;
      try {
        rs = s.executeQuery(sql);
      } catch (SQLException e) {
        throw new IllegalArgumentException(
            describe() + " cannot be read: " + e.getMessage().strip(), e);
      }
      try (rs) {
        ResultSetMetaData md = rs.getMetaData();
        List<Column> out = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          out.add(new Column(md.getColumnLabel(i), md.getColumnType(i), md.getColumnTypeName(i)));
        }
        return out;
      }
    }
  }
}
