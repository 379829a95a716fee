package dev.hogbeam.pipeline.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The rows of the JDBC tests (three UTC days, NULLs, unicode, JSON properties, rows to refuse), the
 * events they must become, and a way to run {@code hogbeam jdbc} in this JVM.
 */
final class JdbcTestData {
  static final Instant NOW = Instant.parse("2024-07-15T00:00:00Z");
  static final String KEY = "phc_jdbc_test";
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] NAMES = {"Viewed Home", "Clicked €uro ✓", "Purchased 日本"};

  private JdbcTestData() {}

  /** One source row. */
  record Row(
      long id,
      @Nullable String event,
      @Nullable String userId,
      Instant ts,
      @Nullable String props,
      @Nullable String url,
      @Nullable String email,
      @Nullable String uuid) {
    long millis() {
      return ts.toEpochMilli();
    }
  }

  /** {@code n} good rows over 2024-06-18..20, then rows that must be dead-lettered. */
  static List<Row> rows(int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Instant ts =
          Instant.parse("2024-06-18T08:00:00Z")
              .plusSeconds(86_400L * (i % 3) + 37L * i)
              .plusNanos(1000L * (1 + i * 1234L % 999));
      String props =
          i % 5 == 0
              ? null
              : "{\"plan\": \"free\", \"n\": "
                  + i
                  + ", \"nested\": {\"a\": [1, 2]}, \"text\": \"héllo 🌍 ünï\"}";
      out.add(
          new Row(
              i,
              NAMES[i % 3],
              i % 7 == 0 ? "usér-ü" + i % 4 : "user-" + i % 4,
              ts,
              props,
              i % 4 == 0 ? null : "https://example.com/p/" + i + "?q=✓",
              i % 6 == 0 ? null : "u" + i % 4 + "@example.com",
              i % 3 == 0
                  ? null
                  : new UUID(0x1234_5678_9abc_4defL, 0x8000_0000_0000_0000L | i).toString()));
    }
    Instant day2 = Instant.parse("2024-06-19T12:00:00Z");
    out.add(new Row(1000, "", "user-1", day2, null, null, null, null));
    out.add(new Row(1001, "Viewed Home", null, day2, null, null, null, null));
    out.add(new Row(1002, null, "user-2", day2, null, null, null, null));
    out.add(new Row(1003, "Viewed Home", "", day2, null, null, null, null));
    return out;
  }

  /** Rows outside 2024-06-18..20, which must not be read. */
  static List<Row> outside() {
    return List.of(
        new Row(
            2000,
            "Too Early",
            "user-1",
            Instant.parse("2024-06-17T23:59:59.999999Z"),
            null,
            null,
            null,
            null),
        new Row(
            2001,
            "Too Late",
            "user-1",
            Instant.parse("2024-06-21T00:00:00Z"),
            null,
            null,
            null,
            null));
  }

  static boolean refused(Row r) {
    return r.event() == null || r.event().isEmpty() || r.userId() == null || r.userId().isEmpty();
  }

  /** What PostHog must receive for {@code r}, or null for a refused row. */
  static Map<String, Object> expected(Row r, boolean millis, boolean uuidFromId) {
    Map<String, Object> e = new LinkedHashMap<>();
    String uuid =
        r.uuid() != null && !uuidFromId ? r.uuid() : NameUuids.v5("jdbc:[" + r.id() + "]");
    e.put("uuid", uuid);
    e.put("event", r.event());
    e.put("distinct_id", r.userId());
    Instant ts = millis ? Instant.ofEpochMilli(r.millis()) : r.ts();
    e.put("timestamp", ts);
    ObjectNode p;
    try {
      p = r.props() == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(r.props());
    } catch (IOException ex) {
      throw new AssertionError(ex);
    }
    if (r.url() != null) {
      p.put("url", r.url());
    }
    if (r.email() != null) {
      p.putObject("$set").put("email", r.email());
    }
    p.put("$geoip_disable", true);
    e.put("properties", p);
    return e;
  }

  static Map<String, Object> received(ReceivedEvent r) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("uuid", r.uuid());
    e.put("event", r.event());
    e.put("distinct_id", r.distinctId());
    e.put("timestamp", Instant.parse(r.timestamp()));
    e.put("properties", r.properties());
    return e;
  }

  /** Expected events by uuid. */
  static Map<String, Map<String, Object>> expectedByUuid(
      List<Row> rows, boolean millis, boolean uuidFromId) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    for (Row r : rows) {
      if (!refused(r)) {
        Map<String, Object> e = expected(r, millis, uuidFromId);
        out.put((String) e.get("uuid"), e);
      }
    }
    return out;
  }

  /** Received events by uuid; asserts none arrived twice and each day arrived in send order. */
  static Map<String, Map<String, Object>> receivedByUuid(List<ReceivedEvent> events) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    Map<String, List<ReceivedEvent>> byDay = new TreeMap<>();
    for (ReceivedEvent r : events) {
      Map<String, Object> e = received(r);
      if (out.put(r.uuid(), e) != null) {
        throw new AssertionError("received twice: " + r.uuid());
      }
      byDay.computeIfAbsent(r.timestamp().substring(0, 10), d -> new ArrayList<>()).add(r);
    }
    byDay.forEach(
        (day, list) -> {
          List<ReceivedEvent> sorted = new ArrayList<>(list);
          sorted.sort(
              Comparator.comparing((ReceivedEvent r) -> Instant.parse(r.timestamp()))
                  .thenComparing(ReceivedEvent::uuid));
          assertEquals(
              sorted.stream().map(ReceivedEvent::uuid).collect(Collectors.toList()),
              list.stream().map(ReceivedEvent::uuid).collect(Collectors.toList()),
              day + " in send order");
        });
    return out;
  }

  /** Creates {@code events} in PostgreSQL and inserts {@code rows}. */
  static void loadPostgres(Connection c, List<Row> rows) throws SQLException {
    try (var s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS events");
      s.execute(
          "CREATE TABLE events (id bigint PRIMARY KEY, event_name text, user_id text,"
              + " ts timestamptz, ts_local timestamp, ts_ms bigint, props jsonb, url text,"
              + " email text, event_uuid uuid)");
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Row r : rows) {
        ps.setLong(1, r.id());
        ps.setString(2, r.event());
        ps.setString(3, r.userId());
        ps.setObject(4, OffsetDateTime.ofInstant(r.ts(), ZoneOffset.UTC));
        ps.setObject(5, LocalDateTime.ofInstant(r.ts(), ZoneOffset.UTC));
        ps.setLong(6, r.millis());
        ps.setObject(7, r.props(), Types.OTHER);
        ps.setString(8, r.url());
        ps.setString(9, r.email());
        ps.setObject(10, r.uuid() == null ? null : UUID.fromString(r.uuid()), Types.OTHER);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Creates {@code events} in MariaDB (DATETIME(6), JSON, CHAR(36)) and inserts {@code rows}. */
  static void loadMariaDb(Connection c, List<Row> rows) throws SQLException {
    try (var s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS events");
      s.execute(
          "CREATE TABLE events (id BIGINT PRIMARY KEY, event_name VARCHAR(200), user_id"
              + " VARCHAR(200), ts DATETIME(6), ts_ms BIGINT, props JSON, url TEXT, email"
              + " VARCHAR(200), event_uuid CHAR(36), KEY (ts)) DEFAULT CHARSET=utf8mb4");
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Row r : rows) {
        ps.setLong(1, r.id());
        ps.setString(2, r.event());
        ps.setString(3, r.userId());
        ps.setObject(4, LocalDateTime.ofInstant(r.ts(), ZoneOffset.UTC));
        ps.setLong(5, r.millis());
        ps.setString(6, r.props());
        ps.setString(7, r.url());
        ps.setString(8, r.email());
        ps.setString(9, r.uuid());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The mapping flags of the tests. */
  static List<String> mapping(String timestampColumn, String unit) {
    return List.of(
        "--table=events",
        "--eventColumn=event_name",
        "--distinctIdColumn=user_id",
        "--timestampColumn=" + timestampColumn,
        "--timestampUnit=" + unit,
        "--propertiesColumn=props",
        "--propertyColumns=url",
        "--setColumns=email",
        "--startDate=2024-06-18",
        "--endDate=2024-06-21");
  }

  static List<String> args(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) {
      out.addAll(p);
    }
    return out;
  }

  /** Runs {@code hogbeam jdbc} in this JVM. */
  static CommandRun runCommand(Map<String, String> env, List<String> args) {
    return CommandRun.of(JdbcMigration.command(), env, args, NOW);
  }

  /** Every dead letter written into {@code dir}. */
  static List<DeadLetter> deadLetters(Path dir) throws IOException {
    return CommandRun.deadLetters(dir);
  }

  /** The dead letters' reasons by source row id (read from the payload's uuid-less record). */
  static Map<String, String> reasonsByEventAndUser(List<DeadLetter> letters) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (DeadLetter d : letters) {
      var r = JSON.readTree(d.payload());
      out.put(
          String.format(
              Locale.ROOT,
              "%s|%s",
              r.path("event").asText("NULL"),
              r.path("distinct_id").asText("NULL")),
          d.reason());
    }
    return out;
  }
}
