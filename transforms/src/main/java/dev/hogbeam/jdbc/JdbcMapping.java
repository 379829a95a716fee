package dev.hogbeam.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Which source columns make which part of a capture event, checked against the source's columns
 * ({@link #resolve}), and the reading of one row into a <em>record</em>: a JSON object holding the
 * mapped values ({@link #mapRow}), which {@link MapJdbcRows} turns into an event or a dead letter.
 *
 * <p>The record's fields: {@code event}, {@code distinct_id} (text or null), {@code timestamp}
 * (epoch micros, or null with {@code timestamp_error}), {@code uuid} (the uuid column's text, or
 * the name-based uuid of the {@code --uuidFrom} columns when there is no uuid column or it is
 * NULL), {@code properties} (the JSON column's text, or null), {@code columns} and {@code set} (the
 * named columns as JSON values; NULLs left out). It is also the payload of a dead letter.
 */
public final class JdbcMapping implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the flags name, before the columns are checked. */
  public record Flags(
      String eventColumn,
      String distinctIdColumn,
      String timestampColumn,
      String timestampUnit,
      @Nullable String propertiesColumn,
      List<String> propertyColumns,
      @Nullable String uuidColumn,
      List<String> uuidFrom,
      List<String> setColumns) {}

  private final JdbcTable.Column event;
  private final JdbcTable.Column distinctId;
  private final JdbcTable.Column timestamp;
  private final TimestampKind timestampKind;
  private final JdbcTable.@Nullable Column properties;
  private final List<JdbcTable.Column> propertyColumns;
  private final JdbcTable.@Nullable Column uuid;
  private final List<JdbcTable.Column> uuidFrom;
  private final List<JdbcTable.Column> setColumns;

  /** The columns the read selects, in order; the row mapper reads them by position. */
  private final List<JdbcTable.Column> selected;

  private JdbcMapping(
      JdbcTable.Column event,
      JdbcTable.Column distinctId,
      JdbcTable.Column timestamp,
      TimestampKind timestampKind,
      JdbcTable.@Nullable Column properties,
      List<JdbcTable.Column> propertyColumns,
      JdbcTable.@Nullable Column uuid,
      List<JdbcTable.Column> uuidFrom,
      List<JdbcTable.Column> setColumns) {
    this.event = event;
    this.distinctId = distinctId;
    this.timestamp = timestamp;
    this.timestampKind = timestampKind;
    this.properties = properties;
    this.propertyColumns = List.copyOf(propertyColumns);
    this.uuid = uuid;
    this.uuidFrom = List.copyOf(uuidFrom);
    this.setColumns = List.copyOf(setColumns);
    Map<String, JdbcTable.Column> all = new LinkedHashMap<>();
    List<JdbcTable.Column> each = new ArrayList<>(List.of(event, distinctId, timestamp));
    if (properties != null) {
      each.add(properties);
    }
    each.addAll(propertyColumns);
    if (uuid != null) {
      each.add(uuid);
    }
    each.addAll(uuidFrom);
    each.addAll(setColumns);
    each.forEach(c -> all.putIfAbsent(c.name(), c));
    this.selected = List.copyOf(all.values());
  }

  /**
   * Checks every flag's columns against the source's {@code columns}: each must exist (spelled as
   * the database does, or differing in case only, when that is unambiguous), and the timestamp
   * column must suit {@code --timestampUnit}.
   *
   * @throws IllegalArgumentException naming the flag and the source's columns
   */
  public static JdbcMapping resolve(Flags f, List<JdbcTable.Column> columns, String source) {
    Resolver r = new Resolver(columns, source);
    JdbcTable.Column ts = r.one("timestampColumn", f.timestampColumn());
    TimestampKind kind;
    switch (f.timestampUnit().toLowerCase(Locale.ROOT)) {
      case "timestamp":
        if (!ts.isTimestamp()) {
          throw new IllegalArgumentException(
              "--timestampColumn="
                  + ts.name()
                  + " is of type "
                  + ts.typeName()
                  + ", not a timestamp; for epoch numbers give --timestampUnit=seconds or"
                  + " --timestampUnit=milliseconds");
        }
        kind = ts.isZonedTimestamp() ? TimestampKind.ZONED : TimestampKind.LOCAL;
        break;
      case "seconds":
      case "milliseconds":
        if (!ts.isNumber()) {
          throw new IllegalArgumentException(
              "--timestampUnit="
                  + f.timestampUnit()
                  + " needs a number column, but --timestampColumn="
                  + ts.name()
                  + " is of type "
                  + ts.typeName());
        }
        kind =
            f.timestampUnit().equalsIgnoreCase("seconds")
                ? TimestampKind.EPOCH_SECONDS
                : TimestampKind.EPOCH_MILLIS;
        break;
      default:
        throw new IllegalArgumentException(
            "--timestampUnit="
                + f.timestampUnit()
                + " is not one of timestamp, seconds, milliseconds");
    }
    JdbcTable.Column uuid = f.uuidColumn() == null ? null : r.one("uuidColumn", f.uuidColumn());
    List<JdbcTable.Column> props = r.list("propertyColumns", f.propertyColumns());
    JdbcTable.Column json =
        f.propertiesColumn() == null ? null : r.one("propertiesColumn", f.propertiesColumn());
    List<JdbcTable.Column> set = r.list("setColumns", f.setColumns());
    JdbcTable.Column event = r.one("eventColumn", f.eventColumn());
    JdbcTable.Column distinctId = r.one("distinctIdColumn", f.distinctIdColumn());
    List<JdbcTable.Column> from = r.list("uuidFrom", f.uuidFrom());
    if (from.isEmpty()) {
      // Every mapped column: identical rows make one event, any difference another.
      Map<String, JdbcTable.Column> all = new LinkedHashMap<>();
      List<JdbcTable.Column> each = new ArrayList<>(List.of(event, distinctId, ts));
      if (json != null) {
        each.add(json);
      }
      each.addAll(props);
      each.addAll(set);
      each.forEach(c -> all.putIfAbsent(c.name(), c));
      from = new ArrayList<>(all.values());
    }
    return new JdbcMapping(event, distinctId, ts, kind, json, props, uuid, from, set);
  }

  /** Finds flag columns among the source's. */
  private static final class Resolver {
    private final List<JdbcTable.Column> columns;
    private final String source;

    Resolver(List<JdbcTable.Column> columns, String source) {
      this.columns = columns;
      this.source = source;
    }

    JdbcTable.Column one(String flag, String name) {
      String n = name == null ? "" : name.strip();
      if (n.isEmpty()) {
        throw new IllegalArgumentException("--" + flag + " is empty");
      }
      for (JdbcTable.Column c : columns) {
        if (c.name().equals(n)) {
          return c;
        }
      }
      List<JdbcTable.Column> ci =
          columns.stream().filter(c -> c.name().equalsIgnoreCase(n)).collect(Collectors.toList());
      if (ci.size() == 1) {
        return ci.get(0);
      }
      throw new IllegalArgumentException(
          "--"
              + flag
              + "="
              + n
              + (ci.isEmpty()
                  ? ": no such column in "
                  : ": more than one column differing in case in ")
              + source
              + "; its columns are: "
              + columns.stream().map(JdbcTable.Column::name).collect(Collectors.joining(", ")));
    }

    List<JdbcTable.Column> list(String flag, List<String> names) {
      List<JdbcTable.Column> out = new ArrayList<>();
      for (String n : names) {
        if (!n.isBlank()) {
          JdbcTable.Column c = one(flag, n);
          if (!out.contains(c)) {
            out.add(c);
          }
        }
      }
      return out;
    }
  }

  public TimestampKind timestampKind() {
    return timestampKind;
  }

  /**
   * The mapping as stable text, for the plan: what a re-run with the same checkpoints must keep.
   */
  public String describe() {
    return "event="
        + event.name()
        + ", distinct_id="
        + distinctId.name()
        + ", timestamp="
        + timestamp.name()
        + " ("
        + timestampKind.name().toLowerCase(Locale.ROOT)
        + ")"
        + (properties == null ? "" : ", properties=" + properties.name())
        + (propertyColumns.isEmpty() ? "" : ", property columns=" + names(propertyColumns))
        + (uuid == null ? "" : ", uuid=" + uuid.name())
        + ", name-based uuid from="
        + names(uuidFrom)
        + (setColumns.isEmpty() ? "" : ", $set=" + names(setColumns));
  }

  private static String names(List<JdbcTable.Column> cs) {
    return cs.stream().map(JdbcTable.Column::name).collect(Collectors.joining(","));
  }

  /**
   * The read's query: the selected columns of {@code source} whose timestamp is in {@code [?, ?)}.
   */
  public String selectSql(JdbcTable source, String quote) {
    String cols =
        selected.stream()
            .map(c -> JdbcTable.quote(c.name(), quote))
            .collect(Collectors.joining(", "));
    String ts = JdbcTable.quote(timestamp.name(), quote);
    // The line break and comment before FROM keep Beam 2.70's JdbcIO from printing "null" for
    // every day: its lineage code (JdbcUtil.extractTableFromReadQuery) prints the schema name of
    // a query matching SELECT ... FROM on one line to stdout.
    return "SELECT "
        + cols
        + "\n/* hogbeam: one UTC day */ FROM "
        + source.fromItem(quote)
        + " WHERE "
        + ts
        + " >= ? AND "
        + ts
        + " < ?";
  }

  /** Sets the query's two parameters to {@code [startMicros, endMicros)} in the column's terms. */
  public JdbcIO.PreparedStatementSetter<String> rangeSetter() {
    TimestampKind kind = timestampKind;
    return (range, ps) -> {
      DayRange r = DayRange.parse(range);
      setBound(ps, 1, kind, r.startMicros());
      setBound(ps, 2, kind, r.endMicros());
    };
  }

  private static void setBound(
      java.sql.PreparedStatement ps, int index, TimestampKind kind, long micros)
      throws java.sql.SQLException {
    Instant at = Timestamps.toInstant(micros);
    switch (kind) {
      case ZONED:
        ps.setObject(index, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
        break;
      case LOCAL:
        ps.setObject(index, LocalDateTime.ofInstant(at, ZoneOffset.UTC));
        break;
      case EPOCH_SECONDS:
        ps.setBigDecimal(index, BigDecimal.valueOf(micros, 6));
        break;
      default:
        ps.setBigDecimal(index, BigDecimal.valueOf(micros, 3));
        break;
    }
  }

  /** Reads the current row of {@code rs} (the columns of {@link #selectSql}) into a record. */
  public String mapRow(ResultSet rs) throws Exception {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("event", rs.getString(index(event)));
    r.put("distinct_id", rs.getString(index(distinctId)));
    try {
      Long micros = micros(rs, index(timestamp));
      if (micros == null) {
        r.putNull("timestamp");
      } else {
        r.put("timestamp", micros);
      }
    } catch (Exception e) {
      r.putNull("timestamp");
      r.put("timestamp_error", "the timestamp cannot be read: " + e.getMessage());
    }
    if (properties != null) {
      r.put("properties", rs.getString(index(properties)));
    }
    r.set("columns", values(rs, propertyColumns));
    if (!setColumns.isEmpty()) {
      r.set("set", values(rs, setColumns));
    }
    String id = uuid == null ? null : rs.getString(index(uuid));
    if (id == null) {
      ArrayNode name = JsonNodeFactory.instance.arrayNode();
      for (JdbcTable.Column c : uuidFrom) {
        if (c.equals(timestamp)) {
          name.add(r.get("timestamp"));
        } else {
          name.add(value(rs, index(c), c));
        }
      }
      id = NameUuids.v5("jdbc:" + name);
    }
    r.put("uuid", id);
    return r.toString();
  }

  private int index(JdbcTable.Column c) {
    return selected.indexOf(c) + 1;
  }

  private @Nullable Long micros(ResultSet rs, int i) throws Exception {
    switch (timestampKind) {
      case ZONED:
        {
          OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
          return t == null ? null : Timestamps.toMicros(t.toInstant());
        }
      case LOCAL:
        {
          if (timestamp.sqlType() == Types.DATE) {
            LocalDate d = rs.getObject(i, LocalDate.class);
            return d == null
                ? null
                : Timestamps.toMicros(d.atStartOfDay(ZoneOffset.UTC).toInstant());
          }
          LocalDateTime t = rs.getObject(i, LocalDateTime.class);
          return t == null ? null : Timestamps.toMicros(t.toInstant(ZoneOffset.UTC));
        }
      default:
        {
          BigDecimal n = rs.getBigDecimal(i);
          if (n == null) {
            return null;
          }
          int scale = timestampKind == TimestampKind.EPOCH_SECONDS ? 6 : 3;
          return n.movePointRight(scale).setScale(0, RoundingMode.FLOOR).longValueExact();
        }
    }
  }

  private ObjectNode values(ResultSet rs, List<JdbcTable.Column> cs) throws Exception {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    for (JdbcTable.Column c : cs) {
      JsonNode v = value(rs, index(c), c);
      if (!v.isNull()) {
        o.set(c.name(), v);
      }
    }
    return o;
  }

  /** A column's value as JSON: numbers, booleans, timestamps as ISO-8601 UTC, JSON as JSON. */
  static JsonNode value(ResultSet rs, int i, JdbcTable.Column c) throws Exception {
    JsonNodeFactory f = JsonNodeFactory.instance;
    Object raw = rs.getObject(i);
    if (raw == null) {
      return f.nullNode();
    }
    String type = c.typeName().toLowerCase(Locale.ROOT);
    switch (c.sqlType()) {
      case Types.BIT:
      case Types.BOOLEAN:
        return raw instanceof Boolean b ? f.booleanNode(b) : f.textNode(rs.getString(i));
      case Types.TINYINT:
      case Types.SMALLINT:
      case Types.INTEGER:
      case Types.BIGINT:
        return raw instanceof java.math.BigInteger b
            ? f.numberNode(b)
            : f.numberNode(rs.getLong(i));
      case Types.REAL:
      case Types.FLOAT:
      case Types.DOUBLE:
        return f.numberNode(rs.getDouble(i));
      case Types.NUMERIC:
      case Types.DECIMAL:
        return f.numberNode(rs.getBigDecimal(i));
      case Types.DATE:
        return f.textNode(rs.getObject(i, LocalDate.class).toString());
      default:
        break;
    }
    if (c.isZonedTimestamp()) {
      return f.textNode(rs.getObject(i, OffsetDateTime.class).toInstant().toString());
    }
    if (c.isTimestamp()) {
      return f.textNode(rs.getObject(i, LocalDateTime.class).toInstant(ZoneOffset.UTC).toString());
    }
    String text = rs.getString(i);
    if (type.equals("json") || type.equals("jsonb")) {
      try {
        return JSON.readTree(text);
      } catch (Exception e) {
        return f.textNode(text);
      }
    }
    return f.textNode(text);
  }
}
