package dev.hogbeam.pipeline.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hogbeam clickhouse}: a self-hosted PostHog's ClickHouse as the source. */
public interface ClickHouseOptions extends MigrationOptions {

  @Description(
      "ClickHouse to read from: a JDBC URL (jdbc:clickhouse://host:8123) or an HTTP(S) URL"
          + " (http://host:8123) as PostHog's migration script takes it. TLS certificates are"
          + " verified.")
  @Validation.Required
  String getClickhouseUrl();

  void setClickhouseUrl(String value);

  @Description("ClickHouse user.")
  @Default.String("default")
  String getClickhouseUser();

  void setClickhouseUser(String value);

  @Description(
      "ClickHouse password. Prefer the CLICKHOUSE_PASSWORD environment variable or"
          + " --clickhousePasswordFile.")
  @JsonIgnore
  String getClickhousePassword();

  void setClickhousePassword(String value);

  @Description(
      "A file holding the ClickHouse password (surrounding whitespace is ignored), on any Beam file system (gs://...; on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getClickhousePasswordFile();

  void setClickhousePasswordFile(String value);

  @Description("ClickHouse database holding PostHog's events table.")
  @Default.String("posthog")
  String getClickhouseDatabase();

  void setClickhouseDatabase(String value);

  @Description("The PostHog project (team) id whose events are migrated. Give this or --teamIds.")
  Long getTeamId();

  void setTeamId(Long value);

  @Description(
      "Several projects (teams) in one run, comma-separated (2,5,9), each sent to its own"
          + " project with its own key (--projectKeysFile). Give this or --teamId.")
  String getTeamIds();

  void setTeamIds(String value);

  @Description(
      "With --teamIds: the destination project API key of each team, as a JSON object"
          + " {\"2\": \"phc_...\", \"5\": \"phc_...\"}. Local runs only; prefer"
          + " --projectKeysFile or the POSTHOG_PROJECT_KEYS environment variable.")
  @JsonIgnore
  String getProjectKeys();

  void setProjectKeys(String value);

  @Description(
      "With --teamIds: a file holding the destination project API key of each team, a JSON"
          + " object {\"2\": \"phc_...\", \"5\": \"phc_...\"}, on any Beam file system (gs://...;"
          + " on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getProjectKeysFile();

  void setProjectKeysFile(String value);

  @Description(
      "First instant to migrate (inclusive): an ISO-8601 date (2024-01-31) or date-time"
          + " (2024-01-31T12:00, 2024-01-31T12:00:00+02:00); no zone means UTC. Required unless"
          + " --cursor is given (then the cursor's day).")
  String getStartDate();

  void setStartDate(String value);

  @Description(
      "End of the range (exclusive), same forms as --startDate. Must be at least 48 hours ago"
          + " (PostHog's rule for historical imports).")
  @Validation.Required
  String getEndDate();

  void setEndDate(String value);

  @Description(
      "Resume after this cursor: one printed by hogbeam, or one printed by PostHog's"
          + " migrate.py (\"Cursor: ...\"). Events at or before it are not sent again.")
  String getCursor();

  void setCursor(String value);

  @Description(
      "Rows per ClickHouse page. Rows stream through the driver, so a page costs no memory; small"
          + " pages make ClickHouse read more (each page query reads a few extra index granules in"
          + " every data part of the day): 10,000-row pages read 4-26 rows per row returned,"
          + " 500,000-row pages 1.0-1.3. A whole 1M-event migration (runners/bench/migration.sh):"
          + " 9.2 rows read per row with 10,000-row pages, 1.07 with 500,000.")
  @Default.Integer(ClickHouseEventsIO.DEFAULT_FETCH_SIZE)
  int getFetchLimit();

  void setFetchLimit(int value);

  @Description("Most ClickHouse queries the whole job runs at once.")
  @Default.Integer(4)
  int getMaxConcurrentQueries();

  void setMaxConcurrentQueries(int value);

  @Description(
      "Rows in one day above which the day is split into parts by hash of distinct_id (each"
          + " person's events of the day stay in one part).")
  @Default.Long(2_000_000L)
  long getSplitThreshold();

  void setSplitThreshold(long value);

  @Description(
      "Seconds without a byte from ClickHouse before a query's connection is given up; the query"
          + " is then repeated from the last row read, like any transient failure.")
  @Default.Integer(ClickHouseConnectionConfig.DEFAULT_SOCKET_TIMEOUT_SECONDS)
  int getClickhouseSocketTimeoutSeconds();

  void setClickhouseSocketTimeoutSeconds(int value);

  @Description(
      "Most seconds one ClickHouse query may run (its max_execution_time, failing rather than"
          + " returning part of a result); the query is then repeated from the last row read. 0"
          + " leaves the limit to the server.")
  @Default.Integer(ClickHouseConnectionConfig.DEFAULT_QUERY_TIMEOUT_SECONDS)
  int getClickhouseQueryTimeoutSeconds();

  void setClickhouseQueryTimeoutSeconds(int value);

  @Description(
      "Which groups get their final properties ($groupidentify) after the events: seen = groups"
          + " an event of the migrated range belongs to, all = every group of the team, none = no"
          + " group.")
  @Default.Enum("seen")
  FinalStateScope getGroups();

  void setGroups(FinalStateScope value);

  @Description(
      "Group type names by index, e.g. 0:company,1:project (PostHog keeps them in Postgres, not"
          + " ClickHouse). Without it they are inferred from the range's events ($groups against"
          + " $group_0..4), and the run stops when that is ambiguous.")
  String getGroupTypes();

  void setGroupTypes(String value);

  @Description(
      "Persons per ClickHouse page of the final-state stage (each page is held in memory).")
  @Default.Integer(5000)
  int getPersonPageSize();

  void setPersonPageSize(int value);

  @Description("Shards (and send groups) of the final-state stage's persons, by hash of person id.")
  @Default.Integer(8)
  int getPersonShards();

  void setPersonShards(int value);
}
