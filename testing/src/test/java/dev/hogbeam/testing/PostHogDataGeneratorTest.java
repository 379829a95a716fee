package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Generated;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import dev.hogbeam.testing.PostHogDataGenerator.Spec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generator against the real engine: exact counts, duplicates, realistic content, all layouts.
 */
class PostHogDataGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static LocalClickHouse clickHouse;
  private static String database;

  @BeforeAll
  static void start() {
    clickHouse = LocalClickHouse.shared();
    database = clickHouse.createDatabase("generator_test");
  }

  @AfterAll
  static void dropDatabase() {
    clickHouse.dropDatabase(database);
  }

  private static Spec.Builder smallSpec() {
    return PostHogDataGenerator.spec()
        .teams(2, 7)
        .startDay(LocalDate.of(2024, 2, 28))
        .days(3)
        .eventsPerTeamDay(1_500)
        .seed(11)
        .duplicateFraction(0.02)
        .propertyBytes(600);
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void countsPerTeamAndDayAreExactlyAsSpecifiedInEveryLayout(Layout layout) throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(
            clickHouse, database, "counts_" + layout.name().toLowerCase(), layout);
    Spec spec = smallSpec().build();
    Generated generated = events.generate(spec);

    assertEquals(2 * 3 * 1_500, generated.events());
    Map<String, Long> perTeamDay = new TreeMap<>();
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT team_id, toString(toDate(timestamp)), uniqExact(uuid) FROM "
                    + events.qualifiedTable()
                    + " GROUP BY 1, 2 ORDER BY 1, 2")) {
      while (rs.next()) {
        perTeamDay.put(rs.getLong(1) + "/" + rs.getString(2), rs.getLong(3));
      }
    }
    Map<String, Long> expected = new TreeMap<>();
    for (long team : new long[] {2, 7}) {
      for (String day : new String[] {"2024-02-28", "2024-02-29", "2024-03-01"}) {
        expected.put(team + "/" + day, 1_500L);
      }
    }
    assertEquals(expected, perTeamDay);
    assertEquals(generated.rows(), count(events.qualifiedTable(), "1"));
  }

  @Test
  void duplicatesShareTheUuidAndEveryColumnButTheKafkaOnes() throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "dups", Layout.GEN3);
    Generated generated = events.generate(smallSpec().build());

    assertTrue(
        generated.duplicates() > 100 && generated.duplicates() < 260,
        "about 2% of 9000 events duplicated, got " + generated.duplicates());
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(), countIf(c = 2), countIf(c > 2), countIf(same = 1), countIf(kafka_later = 1) FROM ("
                    + " SELECT uuid, count() AS c,"
                    + "   uniqExact(event, properties, timestamp, team_id, distinct_id, elements_chain, created_at, person_id) AS same,"
                    + "   max(_timestamp) - min(_timestamp) = 3600 AS kafka_later"
                    + " FROM "
                    + events.qualifiedTable()
                    + " GROUP BY uuid)")) {
      rs.next();
      assertEquals(generated.events(), rs.getLong(1), "distinct uuids");
      assertEquals(generated.duplicates(), rs.getLong(2), "uuids present twice");
      assertEquals(0, rs.getLong(3), "uuids present more than twice");
      assertEquals(generated.events(), rs.getLong(4), "copies identical in the event columns");
      assertEquals(generated.duplicates(), rs.getLong(5), "copies with a later _timestamp");
    }
    // FINAL collapses them, as a ReplacingMergeTree merge would.
    assertEquals(generated.events(), count(events.qualifiedTable() + " FINAL", "1"));
  }

  @Test
  void sameSpecGivesTheSameRowsAndAnotherSeedDifferentOnes() throws SQLException {
    PostHogDataGenerator a =
        PostHogDataGenerator.createTable(clickHouse, database, "seed_a", Layout.GEN2);
    PostHogDataGenerator b =
        PostHogDataGenerator.createTable(clickHouse, database, "seed_b", Layout.GEN2);
    PostHogDataGenerator c =
        PostHogDataGenerator.createTable(clickHouse, database, "seed_c", Layout.GEN2);
    a.generate(smallSpec().build());
    b.generate(smallSpec().build());
    c.generate(smallSpec().seed(12).build());

    String fingerprint =
        "SELECT sum(cityHash64(uuid, event, properties, timestamp, distinct_id, elements_chain, person_id, _offset)) FROM ";
    assertEquals(
        scalar(fingerprint + a.qualifiedTable()), scalar(fingerprint + b.qualifiedTable()));
    assertTrue(
        !scalar(fingerprint + a.qualifiedTable()).equals(scalar(fingerprint + c.qualifiedTable())));
  }

  @Test
  void rowsLookLikePostHogEvents() throws Exception {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "content", Layout.GEN3);
    Spec spec =
        smallSpec().duplicateFraction(0).eventsPerTeamDay(5_000).days(1).propertyBytes(800).build();
    events.generate(spec);
    String t = events.qualifiedTable();

    // Microsecond timestamps spread over the day, many of them shared.
    assertEquals("0", scalar("SELECT countIf(toDate(timestamp) != '2024-02-28') FROM " + t));
    assertTrue(
        Long.parseLong(scalar("SELECT uniqExact(toStartOfHour(timestamp)) FROM " + t)) == 24);
    assertTrue(
        Long.parseLong(
                scalar("SELECT countIf(toUnixTimestamp64Micro(timestamp) % 1000 != 0) FROM " + t))
            > 9_000,
        "sub-millisecond digits present");
    long sharing =
        Long.parseLong(
            scalar(
                "SELECT sum(c) FROM (SELECT count() c FROM "
                    + t
                    + " GROUP BY team_id, timestamp HAVING c > 1)"));
    assertTrue(sharing > 200, "rows sharing an exact timestamp: " + sharing);

    // Event mix.
    Map<String, Long> byEvent = new HashMap<>();
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT event, count() FROM " + t + " GROUP BY event")) {
      while (rs.next()) {
        byEvent.put(rs.getString(1), rs.getLong(2));
      }
    }
    for (String event :
        List.of(
            "$pageview",
            "$autocapture",
            "$rageclick",
            "$identify",
            "$create_alias",
            "$groupidentify",
            "$pageleave",
            "signed_up",
            "Checkout Completed",
            "добавлено_в_корзину")) {
      assertTrue(byEvent.getOrDefault(event, 0L) > 0, "no " + event + " among " + byEvent.keySet());
    }

    // Every uuid is valid and unique, every properties value is a JSON object of the requested
    // size.
    assertEquals("10000", scalar("SELECT uniqExact(uuid) FROM " + t));
    assertEquals(
        "0",
        scalar(
            "SELECT countIf(NOT isValidJSON(properties) OR length(properties) < 800) FROM " + t));
    assertEquals(
        "0", scalar("SELECT countIf(substring(toString(uuid), 15, 1) != '7') FROM " + t), "UUIDv7");

    // Chains where autocapture/rageclick, and only there.
    assertEquals(
        "0",
        scalar(
            "SELECT countIf((elements_chain != '') != (event IN ('$autocapture', '$rageclick'))) FROM "
                + t));
    assertTrue(
        Long.parseLong(scalar("SELECT countIf(elements_chain_href = '/pricing') FROM " + t)) > 0);
    assertTrue(
        Long.parseLong(scalar("SELECT countIf(has(elements_chain_texts, 'Über uns')) FROM " + t))
            > 0);

    // distinct_ids with many events each.
    assertTrue(
        Double.parseDouble(
                scalar(
                    "SELECT avg(c) FROM (SELECT count() c FROM "
                        + t
                        + " GROUP BY team_id, distinct_id)"))
            > 5);

    // Person and group columns, $lib values, unicode.
    assertEquals(
        "0",
        scalar(
            "SELECT countIf(person_id = toUUID('00000000-0000-0000-0000-000000000000')) FROM "
                + t));
    assertTrue(
        Long.parseLong(scalar("SELECT uniqExact(JSONExtractString(properties, '$lib')) FROM " + t))
            >= 5);
    assertTrue(
        Long.parseLong(
                scalar(
                    "SELECT countIf(group0_properties != '' AND `$group_0` LIKE 'company-%') FROM "
                        + t))
            > 0);

    JsonNode identify =
        JSON.readTree(
            scalar(
                "SELECT properties FROM "
                    + t
                    + " WHERE event = '$identify' ORDER BY timestamp, uuid LIMIT 1"));
    assertTrue(
        identify.path("$set").path("email").asText().endsWith("@example.com"), identify.toString());
    assertTrue(identify.has("$set_once"));
    assertTrue(isValidUuid(identify.path("$anon_distinct_id").asText()), identify.toString());
    JsonNode custom =
        JSON.readTree(
            scalar(
                "SELECT properties FROM "
                    + t
                    + " WHERE JSONHas(properties, '$groups') ORDER BY timestamp, uuid LIMIT 1"));
    assertTrue(
        custom.path("$groups").path("company").asText().startsWith("company-"), custom.toString());
    assertTrue(
        Long.parseLong(
                scalar(
                    "SELECT countIf(properties LIKE '%Zürich%' OR properties LIKE '%東京%') FROM "
                        + t))
            > 0);
  }

  @Test
  void personColumnsCanBeLeftUnbackfilledForOldRows() throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "unbackfilled", Layout.GEN2);
    events.generate(smallSpec().duplicateFraction(0).unbackfilledFraction(0.25).build());
    long empty =
        Long.parseLong(
            scalar(
                "SELECT countIf(person_id = toUUID('00000000-0000-0000-0000-000000000000') AND person_properties = '') FROM "
                    + events.qualifiedTable()));
    assertTrue(empty > 1800 && empty < 2700, "about a quarter of 9000 rows, got " + empty);
  }

  @Test
  void personPropertiesCanBeKilobytesTheSameOnEveryEventOfAPerson() throws Exception {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "big_persons", Layout.GEN3);
    events.generate(smallSpec().duplicateFraction(0).personPropertyBytes(2048).build());
    String t = events.qualifiedTable();
    assertEquals("0", scalar("SELECT countIf(length(person_properties) < 2048) FROM " + t));
    assertEquals(
        "0",
        scalar(
            "SELECT count() FROM (SELECT person_id FROM "
                + t
                + " GROUP BY person_id HAVING uniqExact(person_properties) > 1)"));
    JsonNode identified =
        JSON.readTree(
            scalar(
                "SELECT person_properties FROM "
                    + t
                    + " WHERE person_properties LIKE '{\"email\"%' LIMIT 1"));
    assertTrue(identified.path("email").asText().endsWith("@example.com"), identified.toString());
    assertTrue(identified.path("about").asText().length() >= 2000, identified.toString());
    JsonNode anonymous =
        JSON.readTree(
            scalar(
                "SELECT person_properties FROM "
                    + t
                    + " WHERE person_properties LIKE '{\"anonymous\"%' LIMIT 1"));
    assertTrue(anonymous.path("anonymous").asBoolean(), anonymous.toString());
  }

  @Test
  void handMadeRowsAreInsertedExactlyAsGivenIncludingBadOnes() throws Exception {
    PostHogDataGenerator events =
        PostHogDataGenerator.createShardedEvents(clickHouse, database, Layout.GEN3);
    Instant at = Instant.parse("2024-05-01T10:20:30.123456Z");
    List<EventRow> rows = new ArrayList<>();
    rows.add(
        EventRow.builder()
            .uuid("0190b1c2-0000-7000-8000-000000000001")
            .properties("{not json")
            .timestamp(at)
            .build());
    rows.add(
        EventRow.builder()
            .uuid("0190b1c2-0000-7000-8000-000000000002")
            .event("")
            .timestamp(at)
            .build());
    rows.add(
        EventRow.builder()
            .uuid("0190b1c2-0000-7000-8000-000000000003")
            .distinctId("")
            .timestamp(at)
            .teamId(9)
            .properties("{\"$set\":{\"name\":\"Zoë 'quoted' \\\\ back\"}}")
            .elementsChain("a:text=\"x\"")
            .build());
    events.insert(rows);

    assertEquals("sharded_events", events.table());
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT toString(uuid), event, distinct_id, properties, toUnixTimestamp64Micro(timestamp), team_id, elements_chain"
                    + " FROM "
                    + database
                    + ".events ORDER BY uuid")) {
      rs.next();
      assertEquals("{not json", rs.getString(4));
      assertEquals(at.getEpochSecond() * 1_000_000 + 123_456, rs.getLong(5));
      rs.next();
      assertEquals("", rs.getString(2));
      rs.next();
      assertEquals("", rs.getString(3));
      assertEquals("{\"$set\":{\"name\":\"Zoë 'quoted' \\\\ back\"}}", rs.getString(4));
      assertEquals(9, rs.getLong(6));
      assertEquals("a:text=\"x\"", rs.getString(7));
    }
    assertEquals(
        "Merge",
        scalar(
            "SELECT engine FROM system.tables WHERE database = '"
                + database
                + "' AND name = 'events'"));
    assertTrue(
        scalar(
                "SELECT sorting_key FROM system.tables WHERE database = '"
                    + database
                    + "' AND name = 'sharded_events'")
            .startsWith("team_id, toDate(timestamp), event, cityHash64(distinct_id)"));
  }

  @Test
  void oneMillionRowsTiming() throws SQLException {
    PostHogDataGenerator events =
        PostHogDataGenerator.createTable(clickHouse, database, "million", Layout.GEN3);
    Generated generated =
        events.generate(
            PostHogDataGenerator.spec()
                .teamCount(4)
                .days(5)
                .eventsPerTeamDay(50_000)
                .propertyBytes(700)
                .seed(3)
                .build());
    assertEquals(1_000_000, generated.events());
    assertEquals(1_000_000, count(events.qualifiedTable(), "1"));
    System.out.printf(
        "generated %,d GEN3 rows (~700-byte properties) in %,d ms (%,.0f rows/s)%n",
        generated.rows(),
        generated.took().toMillis(),
        generated.rows() / (generated.took().toNanos() / 1e9));
  }

  private static long count(String table, String condition) throws SQLException {
    return Long.parseLong(scalar("SELECT count() FROM " + table + " WHERE " + condition));
  }

  private static String scalar(String sql) throws SQLException {
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      assertTrue(rs.next(), "no row from " + sql);
      return rs.getString(1);
    }
  }

  /** A UUID in the 8-4-4-4-12 hexadecimal form PostHog accepts (as CaptureEvent checks it). */
  private static boolean isValidUuid(String s) {
    if (s == null || s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') {
          return false;
        }
      } else if (Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
