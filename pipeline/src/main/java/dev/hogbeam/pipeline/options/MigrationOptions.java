package dev.hogbeam.pipeline.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * What every hogbeam migration takes, whatever its source: the PostHog destination, how fast to
 * send, where to keep checkpoints, dead letters and the report; and where {@code s3://} paths are
 * ({@link StorageOptions}).
 *
 * <p>Secrets ({@link #getPosthogApiKey()}) are {@link JsonIgnore}d: Beam then neither serialises
 * them with the options shipped to workers nor shows them among the job's options; the pipeline
 * hands them to the writer itself, which masks them in its display data.
 */
public interface MigrationOptions extends StorageOptions {

  @Description(
      "PostHog host to send to, e.g. https://us.i.posthog.com, https://eu.i.posthog.com or your"
          + " self-hosted URL (app.posthog.com / us.posthog.com / eu.posthog.com are rewritten to"
          + " the ingestion hosts, as PostHog's SDKs do). Required unless --dryRun or --outputDir.")
  String getPosthogUrl();

  void setPosthogUrl(String value);

  @Description(
      "The destination project's API key (a project token, phc_...). Prefer the POSTHOG_API_KEY"
          + " environment variable or --posthogApiKeyFile: command lines are visible to other"
          + " users of the machine.")
  @JsonIgnore
  String getPosthogApiKey();

  void setPosthogApiKey(String value);

  @Description(
      "A file holding the PostHog project API key (surrounding whitespace is ignored), on any Beam file system (gs://...; on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getPosthogApiKeyFile();

  void setPosthogApiKeyFile(String value);

  @Description("Events per /batch/ request (requests are also capped at --maxBatchBytes).")
  @Default.Integer(500)
  int getBatchSize();

  void setBatchSize(int value);

  @Description("Uncompressed bytes per /batch/ request; PostHog refuses requests over 20 MB.")
  @Default.Long(5L * 1024 * 1024)
  long getMaxBatchBytes();

  void setMaxBatchBytes(long value);

  @Description(
      "Events per second for the whole job (0 = no limit). Divided evenly between the job's"
          + " worker processes, see --rateLimitShares.")
  @Default.Double(0)
  double getMaxEventsPerSecond();

  void setMaxEventsPerSecond(double value);

  /**
   * Declared exactly as the launcher's {@code RunnerOptions} declares it (Integer, no default),
   * which Beam requires of two interfaces sharing a property; null means 1.
   */
  @Description(
      "Number of worker processes the --maxEventsPerSecond budget is divided between; set by the"
          + " launcher per runner (1 for local runners, TaskManagers on a Flink cluster,"
          + " maxNumWorkers on Dataflow). Unset means 1.")
  Integer getRateLimitShares();

  void setRateLimitShares(Integer value);

  @Description(
      "Attempts per request on 408, 429, 5xx and timeouts before the shard stops (the run then"
          + " fails, and running it again resumes after the last acknowledged batch).")
  @Default.Integer(10)
  int getMaxAttempts();

  void setMaxAttempts(int value);

  @Description("Read, map, order and count everything; send nothing.")
  @Default.Boolean(false)
  boolean getDryRun();

  void setDryRun(boolean value);

  @Description(
      "Instead of sending, write exactly what would be sent as JSON lines into this directory"
          + " (one set of files per shard). Any Beam file system path.")
  String getOutputDir();

  void setOutputDir(String value);

  @Description(
      "Durable checkpoints (resume positions, finished shards, the report). Default: a directory"
          + " under ./hogbeam-checkpoints named after the source and range. Any Beam file system"
          + " path; on a cluster use a location every worker can reach (e.g. gs://...).")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  @Description(
      "Where events that cannot be delivered go, as JSON lines with the reason. Default:"
          + " <checkpointDir>/dead-letters.")
  String getDeadLetterDir();

  void setDeadLetterDir(String value);

  @Description(
      "Which persons get their final state after the events. ClickHouse: the links of every"
          + " distinct id and the final properties as one $set; seen = persons with a distinct id"
          + " among the migrated range's events, all = every person of the team. Amplitude: each"
          + " user's last user_properties of the input as one $set (seen and all alike). none ="
          + " no such event.")
  @Default.Enum("seen")
  FinalStateScope getPersons();

  void setPersons(FinalStateScope value);

  @Description(
      "One run at a time per --checkpointDir: a run holds lease.json there and renews it every"
          + " quarter of this time; a lease not renewed for this long belongs to a dead run and is"
          + " taken over (the lease of a process of this host that no longer exists, at once).")
  @Default.Integer(60)
  int getLeaseTimeoutSeconds();

  void setLeaseTimeoutSeconds(int value);

  @Description(
      "Instead of migrating, re-send the dead letters on record (of every earlier run) after their"
          + " cause was fixed: the ones PostHog accepts are taken off the record, the others stay."
          + " Read and map dead letters are mapped again from their payload, which may be"
          + " corrected in the file by hand.")
  @Default.Boolean(false)
  boolean getRetryDeadLetters();

  void setRetryDeadLetters(boolean value);

  @Description(
      "Send order. day: each (day, shard) in time order, shards in parallel (default). person:"
          + " each person's events in time order across the whole range, buckets of persons in"
          + " parallel (best for person properties set over several days).")
  @Default.Enum("day")
  OrderBy getOrderBy();

  void setOrderBy(OrderBy value);

  @Description(
      "How --orderBy=day moves events from the read to the writer. fused (the default with"
          + " --orderBy=day): each shard is read, sorted and sent by one task, without a runner"
          + " shuffle, so reading one shard overlaps sending another; at most"
          + " --maxConcurrentQueries shards at once. groupByKey: every event goes through the"
          + " runner's shuffle, grouped by shard, and nothing is sent before every shard was"
          + " read. --orderBy=person always uses the shuffle.")
  Shuffle getShuffle();

  void setShuffle(Shuffle value);

  @Description("Number of person buckets with --orderBy=person (the parallelism of sending).")
  @Default.Integer(64)
  int getPersonBuckets();

  void setPersonBuckets(int value);

  @Description("Seconds between progress lines (0 = none).")
  @Default.Integer(10)
  int getProgressIntervalSeconds();

  void setProgressIntervalSeconds(int value);

  @Description(
      "Allow plain http:// to a host other than this machine for URLs that receive a secret"
          + " (--posthogUrl gets the project key, --clickhouseUrl the password, --amplitudeUrl the"
          + " Export API keys). Only for a network you trust: anyone on the path can read them.")
  @Default.Boolean(false)
  boolean getAllowInsecureHttp();

  void setAllowInsecureHttp(boolean value);

  @Description(
      "Allow a range that ends less than 48 hours ago. PostHog asks that historical imports be at"
          + " least 48 hours old; only use this for a destination you run yourself.")
  @Default.Boolean(false)
  boolean getAllowRecentEvents();

  void setAllowRecentEvents(boolean value);

  @Description(
      "Only events whose name (as the source maps it) matches one of these globs are sent:"
          + " comma-separated, * any run of characters, ? one character, e.g."
          + " --includeEvents='$pageview,purchase_*'. See the README, Filters and renames.")
  String getIncludeEvents();

  void setIncludeEvents(String value);

  @Description(
      "Events whose name (as the source maps it) matches one of these globs are not sent"
          + " (comma-separated globs, as --includeEvents).")
  String getExcludeEvents();

  void setExcludeEvents(String value);

  @Description(
      "Renames events, after --includeEvents/--excludeEvents: comma-separated old=new pairs of"
          + " exact names, e.g. --renameEvents='Signed Up=user signed up'. A new name may not be"
          + " renamed again.")
  String getRenameEvents();

  void setRenameEvents(String value);

  @Description(
      "Top-level event properties whose name matches one of these globs are removed before"
          + " sending (comma-separated globs, as --includeEvents).")
  String getDropProperties();

  void setDropProperties(String value);

  @Description("Moves every event's timestamp by this ISO-8601 duration, e.g. PT2H, -PT30M, P1D.")
  String getShiftTimestamps();

  void setShiftTimestamps(String value);

  @Description(
      "A JSON file (any Beam file system) with the same rules: {\"includeEvents\": [globs],"
          + " \"excludeEvents\": [globs], \"renameEvents\": {\"old\": \"new\"},"
          + " \"dropProperties\": [globs], \"shiftTimestamps\": \"PT2H\"}; every key optional."
          + " A rule may not be given both here and by its flag.")
  String getRulesFile();

  void setRulesFile(String value);

  @Description(
      "A trial run: reads the first N source records of the plan through the real read and map"
          + " stages and the rules, and prints each beside the event that would be sent, or why it"
          + " would be refused. Sends nothing, writes nothing in the checkpoint directory, needs"
          + " no PostHog key.")
  Integer getSample();

  void setSample(Integer value);
}
