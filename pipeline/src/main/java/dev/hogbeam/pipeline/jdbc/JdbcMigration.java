package dev.hogbeam.pipeline.jdbc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.jdbc.DayRange;
import dev.hogbeam.jdbc.JdbcDataSource;
import dev.hogbeam.jdbc.JdbcMapping;
import dev.hogbeam.jdbc.JdbcTable;
import dev.hogbeam.jdbc.MapJdbcRows;
import dev.hogbeam.jdbc.ReadJdbcDays;
import dev.hogbeam.order.KeyedEvents;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.SavedPlan;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SendInOrder;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.Flags;
import dev.hogbeam.pipeline.options.JdbcOptions;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.options.UrlRules;
import java.nio.charset.StandardCharsets;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam jdbc}: events from any SQL table or query into PostHog. The source's part of the
 * migration; the rest is the shared tail ({@link SendInOrder}).
 *
 * <ol>
 *   <li>plan: when the command starts, the source's columns are read from the database and every
 *       column flag is checked against them ({@link JdbcMapping#resolve}); the shards are the UTC
 *       days of the range. Saved as {@code plan.json} with the checkpoints, so a re-run means the
 *       same migration;
 *   <li>read: {@link ReadJdbcDays} (JdbcIO's readAll, one query per day); with day order, days an
 *       earlier run finished are not read at all;
 *   <li>map: {@link MapJdbcRows}, keyed by UTC day ({@code --orderBy=day}) or person bucket.
 * </ol>
 */
public final class JdbcMigration implements EventSource<String> {

  private final JdbcDataSource dataSource;
  private final String sql;
  private final JdbcMapping mapping;
  private final List<DayRange> days;
  private final int fetchSize;
  private final String description;
  private final long endMicros;

  private JdbcMigration(
      JdbcDataSource dataSource,
      String sql,
      JdbcMapping mapping,
      List<DayRange> days,
      int fetchSize,
      String description,
      long endMicros) {
    this.dataSource = dataSource;
    this.sql = sql;
    this.mapping = mapping;
    this.days = days;
    this.fetchSize = fetchSize;
    this.description = description;
    this.endMicros = endMicros;
  }

  /** The {@code jdbc} subcommand. */
  public static MigrationCommand<JdbcOptions> command() {
    return new MigrationCommand<>("jdbc", JdbcOptions.class, JdbcMigration::create);
  }

  /** {@code java -cp ... dev.hogbeam.pipeline.jdbc.JdbcMigration --flags...}. */
  public static void main(String[] args) {
    System.exit(command().run(args, MigrationCommand.Environment.system()));
  }

  /** Checks every flag against the database's description of the source, plans the days. */
  public static Migration<String> create(JdbcOptions o, MigrationCommand.Environment env)
      throws SQLException {
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination destination = Destination.from(o, secrets);
    Secrets.Secret password =
        secrets.secret(
            "jdbcPassword",
            o.getJdbcPassword(),
            "jdbcPasswordFile",
            o.getJdbcPasswordFile(),
            "JDBC_PASSWORD");
    String url = o.getJdbcUrl().strip();
    if (!url.startsWith("jdbc:")) {
      throw new IllegalArgumentException(
          "--jdbcUrl=" + url + " is not a JDBC URL (jdbc:postgresql://host/db, ...)");
    }
    UrlRules.checkNoCredentials(
        "jdbcUrl", url, "--jdbcUser and --jdbcPasswordFile (or JDBC_PASSWORD)");
    if ((o.getTable() == null) == (o.getQuery() == null)) {
      throw new IllegalArgumentException("give exactly one of --table and --query");
    }
    JdbcTable source =
        o.getTable() != null ? JdbcTable.table(o.getTable()) : JdbcTable.query(o.getQuery());
    Instant start = DateArgs.parse("startDate", o.getStartDate());
    Instant end = DateArgs.parse("endDate", o.getEndDate());
    DateArgs.checkRange(start, end, env.clock().instant(), o.getAllowRecentEvents());
    Flags.checkPositive("fetchSize", o.getFetchSize());

    JdbcDataSource connection =
        JdbcDataSource.of(
            driverClass(o.getJdbcDriver(), url),
            url,
            o.getJdbcUser(),
            password == null ? null : password.ref());
    DataSource ds = connection.apply(null);
    List<JdbcTable.Column> columns;
    String quote;
    try {
      quote = JdbcTable.quoteString(ds);
      columns = source.columns(ds);
    } catch (SQLException e) {
      throw new IllegalArgumentException(
          "cannot connect to --jdbcUrl=" + url + ": " + e.getMessage(), e);
    }
    JdbcMapping mapping =
        JdbcMapping.resolve(
            new JdbcMapping.Flags(
                o.getEventColumn(),
                o.getDistinctIdColumn(),
                o.getTimestampColumn(),
                o.getTimestampUnit(),
                o.getPropertiesColumn(),
                list(o.getPropertyColumns()),
                o.getUuidColumn(),
                list(o.getUuidFrom()),
                list(o.getSetColumns())),
            columns,
            source.describe());
    List<DayRange> days = DayRange.of(start, end);

    ObjectNode plan = new ObjectMapper().createObjectNode();
    plan.put("url", url);
    plan.put("source", source.id());
    plan.put("mapping", mapping.describe());
    plan.put("start", start.toString());
    plan.put("end", end.toString());
    String planText = plan.toPrettyString();
    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : "hogbeam-checkpoints/jdbc-"
                + Hashing.sha256()
                    .hashString(url + "\n" + source.id(), StandardCharsets.UTF_8)
                    .toString()
                    .substring(0, 10)
                + "-"
                + DateArgs.compact(start)
                + "-"
                + DateArgs.compact(end)
                + "-"
                + destination.dirSuffix();
    Migration.Setup setup = Migration.Setup.open(o, destination, dir);
    SavedPlan.checkOrSave(setup.store(), planText);
    String description =
        "source: "
            + url
            + " "
            + source.describe()
            + "\n  mapping: "
            + mapping.describe()
            + "\n  range: "
            + start
            + " to "
            + end
            + " ("
            + days.size()
            + " UTC days)";
    return Migration.of(
        new JdbcMigration(
            connection,
            mapping.selectSql(source, quote),
            mapping,
            days,
            o.getFetchSize(),
            description,
            dev.hogbeam.event.Timestamps.toMicros(end)),
        setup,
        null);
  }

  private static List<String> list(@Nullable List<String> flags) {
    List<String> out = new ArrayList<>();
    if (flags != null) {
      for (String f : flags) {
        if (f != null && !f.isBlank()) {
          out.add(f.strip());
        }
      }
    }
    return out;
  }

  /** {@code --jdbcDriver}, or the class of the driver on the class path that takes the URL. */
  static String driverClass(@Nullable String flag, String url) {
    if (flag != null && !flag.isBlank()) {
      try {
        Class.forName(flag.strip());
      } catch (ClassNotFoundException e) {
        throw new IllegalArgumentException(
            "--jdbcDriver=" + flag + ": no such class on the class path; add the driver's jar", e);
      }
      return flag.strip();
    }
    try {
      Driver d = DriverManager.getDriver(url);
      return d.getClass().getName();
    } catch (SQLException e) {
      throw new IllegalArgumentException(
          "no JDBC driver on the class path accepts --jdbcUrl="
              + url
              + " (bundled: PostgreSQL jdbc:postgresql:, MariaDB/MySQL jdbc:mariadb: and"
              + " jdbc:mysql:); put the driver's jar on the class path, see the README",
          e);
    }
  }

  @Override
  public SourcePlan plan() {
    Map<String, Long> starts = new LinkedHashMap<>();
    for (DayRange d : days) {
      starts.put(d.day(), d.startMicros());
    }
    return SourcePlan.builder()
        .description(description)
        .shards(days.size())
        .dayGroup("UTC day")
        .groupStarts(starts)
        .rangeEndMicros(endMicros)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<String>> read(SourceContext context) {
    List<DayRange> toRead = new ArrayList<>();
    for (DayRange d : days) {
      if (context.orderBy() != OrderBy.day || !context.finishedGroups().contains(d.day())) {
        toRead.add(d);
      }
    }
    ReadJdbcDays read =
        ReadJdbcDays.of(dataSource, sql, mapping, toRead, fetchSize, context.ledger());
    return new PTransform<>() {
      @Override
      public SourceRead<String> expand(PBegin input) {
        PCollection<String> records = input.apply("Read JDBC days", read);
        return SourceRead.of(
            records, input.apply("No read dead letters", Create.empty(DeadLetterCoder.of())));
      }
    };
  }

  @Override
  public PTransform<PCollection<String>, SourceEvents> map(SourceContext context) {
    return SourceEvents.of("Map rows", MapJdbcRows.keyedBy(context.orderingKey()));
  }

  /**
   * The plan's days in order, each queried as {@link ReadJdbcDays} queries it (the same statement,
   * parameters and row mapper), each row mapped by {@link MapJdbcRows#map}.
   */
  @Override
  public Sampler sampler() {
    return visit -> {
      for (DayRange day : days) {
        ReadJdbcDays.readDay(
            dataSource,
            sql,
            mapping,
            day,
            fetchSize,
            record -> {
              KeyedEvents.Outcome o = MapJdbcRows.map(record);
              visit.accept(Sampled.of("jdbc/" + day.day(), record, o.event(), o.deadLetter()));
            });
      }
    };
  }

  /** A dead letter of the map stage holds its record: mapped again from it. */
  @Override
  public Remapper remapper() {
    return letter -> Remapped.of(MapJdbcRows.map(letter.payload()));
  }
}
