package dev.hogbeam.pipeline.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hogbeam jdbc}: events from any SQL table or query, through JdbcIO. */
public interface JdbcOptions extends MigrationOptions {

  @Description(
      "The database: a JDBC URL, e.g. jdbc:postgresql://host:5432/db or"
          + " jdbc:mariadb://host:3306/db. No password in it: give --jdbcPasswordFile or"
          + " JDBC_PASSWORD. Drivers bundled: PostgreSQL, MariaDB/MySQL; others go on the class"
          + " path (see the README).")
  @Validation.Required
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Database user.")
  String getJdbcUser();

  void setJdbcUser(String value);

  @Description(
      "Database password. Prefer the JDBC_PASSWORD environment variable or --jdbcPasswordFile.")
  @JsonIgnore
  String getJdbcPassword();

  void setJdbcPassword(String value);

  @Description(
      "A file holding the database password (surrounding whitespace is ignored), on any Beam file"
          + " system (gs://...; on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getJdbcPasswordFile();

  void setJdbcPasswordFile(String value);

  @Description(
      "The JDBC driver's class name. By default the driver on the class path that accepts"
          + " --jdbcUrl.")
  String getJdbcDriver();

  void setJdbcDriver(String value);

  @Description(
      "The table to read: name or schema.name, spelled as the database spells it (it is quoted)."
          + " Give --table or --query.")
  String getTable();

  void setTable(String value);

  @Description(
      "A query to read instead of a table (your own SQL, read as a subquery; the time range is"
          + " applied around it). Give --table or --query.")
  String getQuery();

  void setQuery(String value);

  @Description("Column holding the event name.")
  @Validation.Required
  String getEventColumn();

  void setEventColumn(String value);

  @Description("Column holding the distinct_id (the person's id in PostHog).")
  @Validation.Required
  String getDistinctIdColumn();

  void setDistinctIdColumn(String value);

  @Description(
      "Column holding the event time; the range and the UTC day shards apply to it. See"
          + " --timestampUnit.")
  @Validation.Required
  String getTimestampColumn();

  void setTimestampColumn(String value);

  @Description(
      "What --timestampColumn holds: timestamp = a timestamp type (with a zone: that instant;"
          + " without: read as UTC), seconds or milliseconds = a number since the epoch.")
  @Default.String("timestamp")
  String getTimestampUnit();

  void setTimestampUnit(String value);

  @Description("Column holding the event's properties as JSON text (an object); NULL means none.")
  String getPropertiesColumn();

  void setPropertiesColumn(String value);

  @Description(
      "Columns each sent as a property of the same name, e.g. url,browser (over a key of"
          + " --propertiesColumn with that name). NULLs are left out.")
  List<String> getPropertyColumns();

  void setPropertyColumns(List<String> value);

  @Description(
      "Column holding the event's uuid. Without it (or where it is NULL) the uuid is name-based"
          + " from the --uuidFrom columns, so a re-run sends the same uuids and PostHog keeps one"
          + " copy.")
  String getUuidColumn();

  void setUuidColumn(String value);

  @Description(
      "Columns whose values make the name-based uuid, e.g. id or event,user_id,ts. By default every"
          + " mapped column (identical rows then make one event).")
  List<String> getUuidFrom();

  void setUuidFrom(List<String> value);

  @Description("Columns sent as the person properties of the event ($set), e.g. email,plan.")
  List<String> getSetColumns();

  void setSetColumns(List<String> value);

  @Description(
      "First instant to migrate (inclusive): an ISO-8601 date (2024-01-31) or date-time; no zone"
          + " means UTC.")
  @Validation.Required
  String getStartDate();

  void setStartDate(String value);

  @Description(
      "End of the range (exclusive), same forms as --startDate. Must be at least 48 hours ago"
          + " (PostHog's rule for historical imports).")
  @Validation.Required
  String getEndDate();

  void setEndDate(String value);

  @Description("Rows the driver fetches at a time while it streams a day.")
  @Default.Integer(10_000)
  int getFetchSize();

  void setFetchSize(int value);
}
