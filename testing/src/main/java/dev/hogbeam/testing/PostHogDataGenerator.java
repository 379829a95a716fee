package dev.hogbeam.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * PostHog {@code events} tables for tests and benchmarks: creates the table in any of the three
 * layouts self-hosted PostHog shipped ({@link Layout}), fills it with realistic, reproducible rows
 * at any volume, and inserts hand-made rows (including bad ones).
 *
 * <p>Generation is one {@code INSERT ... SELECT ... FROM numbers(N)} inside ClickHouse: every
 * column is a deterministic function of the row number and the seed, so the same {@link Spec}
 * always yields the same rows, and millions of rows take seconds. See {@link Spec} for what the
 * rows look like.
 *
 * <pre>{@code
 * LocalClickHouse ch = LocalClickHouse.shared();
 * String db = ch.createDatabase("reader_test");
 * PostHogDataGenerator events = PostHogDataGenerator.createEvents(ch, db, Layout.GEN3);
 * events.generate(PostHogDataGenerator.spec().teams(1, 2).startDay(LocalDate.of(2024, 3, 1))
 *     .days(2).eventsPerTeamDay(10_000).duplicateFraction(0.01).seed(7).build());
 * events.insert(EventRow.builder().event("").distinctId("").properties("{not json").build());
 * }</pre>
 */
public final class PostHogDataGenerator {

  /** The three generations of PostHog's events table (see the DDL resource posthog-events.sql). */
  public enum Layout {
    /**
     * PostHog 1.2x-1.32 (2021): sort key (team_id, toDate(timestamp), distinct_id, uuid), no person
     * columns.
     */
    GEN1(false, false),
    /** PostHog 1.33-1.4x (2022): hashed sort key, person_* and group*_ columns. */
    GEN2(true, false),
    /** PostHog from 2024: as GEN2 plus person_mode, inserted_at, ZSTD properties, a skip index. */
    GEN3(true, true);

    final boolean personColumns;
    final boolean personMode;

    Layout(boolean personColumns, boolean personMode) {
      this.personColumns = personColumns;
      this.personMode = personMode;
    }

    public boolean hasPersonColumns() {
      return personColumns;
    }

    /** The columns a generator writes (no MATERIALIZED ones), in table order. */
    public List<String> insertColumns() {
      List<String> columns =
          new ArrayList<>(
              List.of(
                  "uuid",
                  "event",
                  "properties",
                  "timestamp",
                  "team_id",
                  "distinct_id",
                  "elements_chain",
                  "created_at"));
      if (personColumns) {
        columns.addAll(
            List.of(
                "person_id",
                "person_created_at",
                "person_properties",
                "group0_properties",
                "group1_properties",
                "group2_properties",
                "group3_properties",
                "group4_properties",
                "group0_created_at",
                "group1_created_at",
                "group2_created_at",
                "group3_created_at",
                "group4_created_at"));
      }
      if (personMode) {
        columns.add("person_mode");
      }
      columns.addAll(List.of("_timestamp", "_offset"));
      if (personMode) {
        columns.add("inserted_at");
      }
      return columns;
    }
  }

  private final LocalClickHouse clickHouse;
  private final String database;
  private final String table;
  private final Layout layout;

  private PostHogDataGenerator(
      LocalClickHouse clickHouse, String database, String table, Layout layout) {
    this.clickHouse = requireNonNull(clickHouse, "clickHouse");
    this.database = requireIdentifier(database, "database");
    this.table = requireIdentifier(table, "table");
    this.layout = requireNonNull(layout, "layout");
  }

  /**
   * Creates {@code database.events} (a ReplacingMergeTree in {@code layout}) and returns its
   * generator.
   */
  public static PostHogDataGenerator createEvents(
      LocalClickHouse clickHouse, String database, Layout layout) {
    return createTable(clickHouse, database, "events", layout);
  }

  /**
   * The naming of PostHog's replicated schema (1.36 on), with plain engines: the data in {@code
   * database.sharded_events} (a ReplacingMergeTree in {@code layout}) and {@code database.events} a
   * {@code Merge} table over it, standing in for the Distributed table. The returned generator
   * writes into {@code sharded_events}.
   */
  public static PostHogDataGenerator createShardedEvents(
      LocalClickHouse clickHouse, String database, Layout layout) {
    PostHogDataGenerator generator = createTable(clickHouse, database, "sharded_events", layout);
    clickHouse.execute(
        "CREATE TABLE "
            + database
            + ".events ENGINE = Merge('"
            + database
            + "', '^sharded_events$')");
    return generator;
  }

  /** Creates {@code database.table} in {@code layout} and returns its generator. */
  public static PostHogDataGenerator createTable(
      LocalClickHouse clickHouse, String database, String table, Layout layout) {
    PostHogDataGenerator generator = new PostHogDataGenerator(clickHouse, database, table, layout);
    clickHouse.execute(createTableSql(layout, generator.qualifiedTable()));
    return generator;
  }

  /** A generator for a table that already exists in {@code layout}. */
  public static PostHogDataGenerator existingTable(
      LocalClickHouse clickHouse, String database, String table, Layout layout) {
    return new PostHogDataGenerator(clickHouse, database, table, layout);
  }

  /**
   * PostHog's CREATE TABLE of {@code layout} for {@code qualifiedTable} (single node, plain
   * engine).
   */
  public static String createTableSql(Layout layout, String qualifiedTable) {
    String all;
    try (InputStream in = PostHogDataGenerator.class.getResourceAsStream("posthog-events.sql")) {
      if (in == null) {
        throw new IllegalStateException("posthog-events.sql is missing from the classpath");
      }
      all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String marker = "-- layout: " + layout.name() + "\n";
    int start = all.indexOf(marker);
    if (start < 0) {
      throw new IllegalStateException("posthog-events.sql has no layout " + layout);
    }
    int end = all.indexOf("-- layout: ", start + marker.length());
    String section = all.substring(start + marker.length(), end < 0 ? all.length() : end);
    return section
        .substring(section.indexOf("CREATE TABLE"))
        .trim()
        .replace("${table}", qualifiedTable);
  }

  public String database() {
    return database;
  }

  public String table() {
    return table;
  }

  public String qualifiedTable() {
    return database + "." + table;
  }

  public Layout layout() {
    return layout;
  }

  // ---------------------------------------------------------------------------------------------
  // Generated rows

  /** The generator's starting point for a {@link Spec}. */
  public static Spec.Builder spec() {
    return new Spec.Builder();
  }

  /**
   * What to generate. Row {@code n} of {@code teams x days x eventsPerTeamDay} belongs to team
   * {@code n / (days x eventsPerTeamDay)}, day {@code (n / eventsPerTeamDay) % days}; everything
   * else is derived from {@code cityHash64(seed, n, ...)}:
   *
   * <ul>
   *   <li>timestamps with microseconds spread over the whole UTC day; rows come in groups of four
   *       consecutive row numbers, and a {@code sharedTimestampFraction} of the groups share one
   *       exact timestamp;
   *   <li>events: about 38% {@code $pageview}, 22% {@code $autocapture} and 2% {@code $rageclick}
   *       (both with realistic {@code elements_chain}s), 6% {@code $identify} with {@code $set},
   *       {@code $set_once} and {@code $anon_distinct_id}, 1% {@code $create_alias}, 2% {@code
   *       $groupidentify}, 3% {@code $pageleave}, and custom events (some with {@code $groups},
   *       some with unicode names);
   *   <li>each team has {@code days x eventsPerTeamDay / eventsPerDistinctId} distinct_ids, a
   *       quarter of them anonymous (UUID-like), so each distinct_id has many events;
   *   <li>{@code $lib} values of the web, server and mobile SDKs; unicode in properties; a padding
   *       property brings every properties JSON to at least {@code propertyBytes} bytes;
   *   <li>uuids are UUIDv7 of the event time; {@code created_at} is up to 3 s after the event;
   *       {@code _offset} is the row number;
   *   <li>person and group columns filled where the layout has them (an {@code
   *       unbackfilledFraction} of rows keeps the zero UUID and empty strings of rows older than
   *       PostHog's backfill);
   *   <li>a {@code duplicateFraction} of events is inserted a second time in a separate part, with
   *       the same uuid and all columns equal except {@code _timestamp} (an hour later) and {@code
   *       _offset}: the unmerged copies a ReplacingMergeTree holds until it merges.
   * </ul>
   */
  public static final class Spec {
    private final long[] teamIds;
    private final LocalDate startDay;
    private final int days;
    private final long eventsPerTeamDay;
    private final long seed;
    private final double duplicateFraction;
    private final int propertyBytes;
    private final int eventsPerDistinctId;
    private final double sharedTimestampFraction;
    private final double unbackfilledFraction;
    private final int personPropertyBytes;

    private Spec(Builder b) {
      this.teamIds = b.teamIds.clone();
      this.startDay = b.startDay;
      this.days = b.days;
      this.eventsPerTeamDay = b.eventsPerTeamDay;
      this.seed = b.seed;
      this.duplicateFraction = b.duplicateFraction;
      this.propertyBytes = b.propertyBytes;
      this.eventsPerDistinctId = b.eventsPerDistinctId;
      this.sharedTimestampFraction = b.sharedTimestampFraction;
      this.unbackfilledFraction = b.unbackfilledFraction;
      this.personPropertyBytes = b.personPropertyBytes;
    }

    public List<Long> teamIds() {
      return Arrays.stream(teamIds).boxed().toList();
    }

    public LocalDate startDay() {
      return startDay;
    }

    public int days() {
      return days;
    }

    public long eventsPerTeamDay() {
      return eventsPerTeamDay;
    }

    public long seed() {
      return seed;
    }

    public double duplicateFraction() {
      return duplicateFraction;
    }

    public int propertyBytes() {
      return propertyBytes;
    }

    public int eventsPerDistinctId() {
      return eventsPerDistinctId;
    }

    public double sharedTimestampFraction() {
      return sharedTimestampFraction;
    }

    public double unbackfilledFraction() {
      return unbackfilledFraction;
    }

    public int personPropertyBytes() {
      return personPropertyBytes;
    }

    /** Distinct events (unique uuids) the spec generates: teams x days x eventsPerTeamDay. */
    public long totalEvents() {
      return teamIds.length * (long) days * eventsPerTeamDay;
    }

    /** distinct_ids per team. */
    public long distinctIdsPerTeam() {
      return Math.max(1, (days * eventsPerTeamDay + eventsPerDistinctId - 1) / eventsPerDistinctId);
    }

    /**
     * Builder; defaults: teams 1 and 2, 2024-01-01, 1 day, 1000 events per team-day, seed 1, no
     * duplicates, 700-byte properties.
     */
    public static final class Builder {
      private long[] teamIds = {1, 2};
      private LocalDate startDay = LocalDate.of(2024, 1, 1);
      private int days = 1;
      private long eventsPerTeamDay = 1000;
      private long seed = 1;
      private double duplicateFraction;
      private int propertyBytes = 700;
      private int eventsPerDistinctId = 20;
      private double sharedTimestampFraction = 0.05;
      private double unbackfilledFraction;
      private int personPropertyBytes;

      private Builder() {}

      public Builder teams(long... teamIds) {
        if (teamIds.length == 0) {
          throw new IllegalArgumentException("teams must name at least one team id");
        }
        this.teamIds = teamIds.clone();
        return this;
      }

      /** Teams 1..count. */
      public Builder teamCount(int count) {
        if (count < 1) {
          throw new IllegalArgumentException("teamCount must be >= 1, but was " + count);
        }
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
          ids[i] = i + 1;
        }
        this.teamIds = ids;
        return this;
      }

      public Builder startDay(LocalDate startDay) {
        this.startDay = requireNonNull(startDay, "startDay");
        return this;
      }

      public Builder days(int days) {
        if (days < 1) {
          throw new IllegalArgumentException("days must be >= 1, but was " + days);
        }
        this.days = days;
        return this;
      }

      public Builder eventsPerTeamDay(long events) {
        if (events < 1) {
          throw new IllegalArgumentException("eventsPerTeamDay must be >= 1, but was " + events);
        }
        this.eventsPerTeamDay = events;
        return this;
      }

      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      /** Fraction (0..1) of events inserted twice with the same uuid. */
      public Builder duplicateFraction(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
          throw new IllegalArgumentException(
              "duplicateFraction must be within 0..1, but was " + fraction);
        }
        this.duplicateFraction = fraction;
        return this;
      }

      /**
       * Minimum size of each properties JSON in bytes (a padding property fills it up); 0 for no
       * padding.
       */
      public Builder propertyBytes(int bytes) {
        if (bytes < 0) {
          throw new IllegalArgumentException("propertyBytes must be >= 0, but was " + bytes);
        }
        this.propertyBytes = bytes;
        return this;
      }

      /** Average number of events per distinct_id (within a team over the whole range). */
      public Builder eventsPerDistinctId(int events) {
        if (events < 1) {
          throw new IllegalArgumentException("eventsPerDistinctId must be >= 1, but was " + events);
        }
        this.eventsPerDistinctId = events;
        return this;
      }

      /** Fraction (0..1) of rows sharing their exact timestamp with neighbouring rows. */
      public Builder sharedTimestampFraction(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
          throw new IllegalArgumentException(
              "sharedTimestampFraction must be within 0..1, but was " + fraction);
        }
        this.sharedTimestampFraction = fraction;
        return this;
      }

      /**
       * Fraction (0..1) of rows with empty person columns, like rows older than PostHog's person
       * backfill.
       */
      public Builder unbackfilledFraction(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
          throw new IllegalArgumentException(
              "unbackfilledFraction must be within 0..1, but was " + fraction);
        }
        this.unbackfilledFraction = fraction;
        return this;
      }

      /**
       * Minimum size in bytes of each backfilled row's {@code person_properties} (the person's own
       * padding property, the same on every event of the person, fills it up); 0 (the default) for
       * the small objects of identified persons and {@code {}} of anonymous ones. PostHog's person
       * properties are often kilobytes.
       */
      public Builder personPropertyBytes(int bytes) {
        if (bytes < 0) {
          throw new IllegalArgumentException("personPropertyBytes must be >= 0, but was " + bytes);
        }
        this.personPropertyBytes = bytes;
        return this;
      }

      public Spec build() {
        return new Spec(this);
      }
    }
  }

  /** What {@link #generate(Spec)} inserted. */
  public record Generated(long events, long duplicates, Duration took) {
    /** Rows inserted: the events plus their duplicate copies. */
    public long rows() {
      return events + duplicates;
    }
  }

  /**
   * Inserts the rows of {@code spec} (then their duplicates, in a second part); see {@link Spec}.
   */
  public Generated generate(Spec spec) {
    long start = System.nanoTime();
    long total = spec.totalEvents();
    long duplicatesPerMillion = Math.round(spec.duplicateFraction * 1_000_000);
    try (Connection c = clickHouse.connect();
        Statement s = c.createStatement()) {
      s.execute(GeneratorSql.insert(this, spec, false, duplicatesPerMillion));
      long duplicates = 0;
      if (duplicatesPerMillion > 0) {
        // Keep the copies unmerged, as they are in a PostHog instance between merges.
        s.execute("SYSTEM STOP MERGES " + qualifiedTable());
        s.execute(GeneratorSql.insert(this, spec, true, duplicatesPerMillion));
        try (ResultSet rs =
            s.executeQuery(GeneratorSql.countDuplicates(spec, duplicatesPerMillion))) {
          rs.next();
          duplicates = rs.getLong(1);
        }
      }
      return new Generated(total, duplicates, Duration.ofNanos(System.nanoTime() - start));
    } catch (SQLException e) {
      throw new IllegalStateException(
          "generating events into " + qualifiedTable() + " failed: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Hand-made rows

  /** Inserts {@code rows} exactly as given (bad ones included) in one INSERT. */
  public void insert(EventRow... rows) {
    insert(Arrays.asList(rows));
  }

  /** Inserts {@code rows} exactly as given (bad ones included) in one INSERT. */
  public void insert(List<EventRow> rows) {
    if (rows.isEmpty()) {
      return;
    }
    List<String> columns = layout.insertColumns();
    String sql =
        "INSERT INTO "
            + qualifiedTable()
            + " ("
            + String.join(", ", columns)
            + ") VALUES ("
            + String.join(", ", java.util.Collections.nCopies(columns.size(), "?"))
            + ")";
    try (Connection c = clickHouse.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (EventRow row : rows) {
        Map<String, String> values = row.values();
        for (int i = 0; i < columns.size(); i++) {
          ps.setString(i + 1, values.get(columns.get(i)));
        }
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "inserting "
              + rows.size()
              + " rows into "
              + qualifiedTable()
              + " failed: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * One row of the events table, every column as given (use it for bad rows: empty event, empty
   * distinct_id, properties that are not JSON). Unset columns get harmless defaults.
   */
  public static final class EventRow {
    private static final DateTimeFormatter MICROS =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    private static final DateTimeFormatter MILLIS =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final DateTimeFormatter SECONDS =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final Map<String, String> values;

    private EventRow(Builder b) {
      Instant createdAt = b.createdAt != null ? b.createdAt : b.timestamp;
      Instant kafkaTimestamp = b.kafkaTimestamp != null ? b.kafkaTimestamp : createdAt;
      Map<String, String> v = new LinkedHashMap<>();
      v.put("uuid", b.uuid);
      v.put("event", b.event);
      v.put("properties", b.properties);
      v.put("timestamp", format(b.timestamp, MICROS));
      v.put("team_id", Long.toString(b.teamId));
      v.put("distinct_id", b.distinctId);
      v.put("elements_chain", b.elementsChain);
      v.put("created_at", format(createdAt, MICROS));
      v.put("person_id", b.personId);
      v.put("person_created_at", format(b.personCreatedAt, MILLIS));
      v.put("person_properties", b.personProperties);
      for (int g = 0; g < 5; g++) {
        v.put("group" + g + "_properties", b.groupProperties[g]);
        v.put("group" + g + "_created_at", format(b.groupCreatedAt[g], MILLIS));
      }
      v.put("person_mode", b.personMode);
      v.put("_timestamp", format(kafkaTimestamp, SECONDS));
      v.put("_offset", Long.toString(b.offset));
      v.put("inserted_at", format(createdAt, MICROS));
      this.values = v;
    }

    private static String format(Instant instant, DateTimeFormatter formatter) {
      return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(formatter);
    }

    /** Column name to the text ClickHouse parses into that column. */
    Map<String, String> values() {
      return values;
    }

    public String uuid() {
      return values.get("uuid");
    }

    public static Builder builder() {
      return new Builder();
    }

    public static final class Builder {
      private String uuid = UUID.randomUUID().toString();
      private String event = "$pageview";
      private String properties = "{}";
      private Instant timestamp = Instant.parse("2024-01-01T00:00:00Z");
      private long teamId = 1;
      private String distinctId = "user-1";
      private String elementsChain = "";
      private Instant createdAt;
      private Instant kafkaTimestamp;
      private long offset;
      private String personId = "00000000-0000-0000-0000-000000000000";
      private Instant personCreatedAt = Instant.EPOCH;
      private String personProperties = "";
      private final String[] groupProperties = {"", "", "", "", ""};
      private final Instant[] groupCreatedAt = {
        Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH
      };
      private String personMode = "full";

      private Builder() {}

      public Builder uuid(String uuid) {
        this.uuid = requireNonNull(uuid, "uuid");
        return this;
      }

      public Builder event(String event) {
        this.event = requireNonNull(event, "event");
        return this;
      }

      /** The properties column as stored: any text, JSON or not. */
      public Builder properties(String properties) {
        this.properties = requireNonNull(properties, "properties");
        return this;
      }

      public Builder timestamp(Instant timestamp) {
        this.timestamp = requireNonNull(timestamp, "timestamp");
        return this;
      }

      public Builder teamId(long teamId) {
        this.teamId = teamId;
        return this;
      }

      public Builder distinctId(String distinctId) {
        this.distinctId = requireNonNull(distinctId, "distinctId");
        return this;
      }

      public Builder elementsChain(String elementsChain) {
        this.elementsChain = requireNonNull(elementsChain, "elementsChain");
        return this;
      }

      /** Default: the timestamp. */
      public Builder createdAt(Instant createdAt) {
        this.createdAt = requireNonNull(createdAt, "createdAt");
        return this;
      }

      /** The {@code _timestamp} column (second precision); default: created_at. */
      public Builder kafkaTimestamp(Instant kafkaTimestamp) {
        this.kafkaTimestamp = requireNonNull(kafkaTimestamp, "kafkaTimestamp");
        return this;
      }

      /** The {@code _offset} column. */
      public Builder offset(long offset) {
        this.offset = offset;
        return this;
      }

      public Builder personId(String personId) {
        this.personId = requireNonNull(personId, "personId");
        return this;
      }

      public Builder personCreatedAt(Instant personCreatedAt) {
        this.personCreatedAt = requireNonNull(personCreatedAt, "personCreatedAt");
        return this;
      }

      public Builder personProperties(String personProperties) {
        this.personProperties = requireNonNull(personProperties, "personProperties");
        return this;
      }

      public Builder groupProperties(int groupIndex, String properties, Instant createdAt) {
        if (groupIndex < 0 || groupIndex > 4) {
          throw new IllegalArgumentException("groupIndex must be 0..4, but was " + groupIndex);
        }
        this.groupProperties[groupIndex] = requireNonNull(properties, "properties");
        this.groupCreatedAt[groupIndex] = requireNonNull(createdAt, "createdAt");
        return this;
      }

      /** {@code full}, {@code propertyless} or {@code force_upgrade} (GEN3 only). */
      public Builder personMode(String personMode) {
        this.personMode = requireNonNull(personMode, "personMode");
        return this;
      }

      public EventRow build() {
        return new EventRow(this);
      }
    }
  }

  static String requireIdentifier(String name, String what) {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException(what + " must be a plain identifier, but was " + name);
    }
    return name;
  }
}
