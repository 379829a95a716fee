package dev.hogbeam.pipeline.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@code hogbeam mixpanel}: Mixpanel's raw Export API, or Mixpanel export files, as the
 * source. Exactly one of {@code --inputFiles} and the API credentials.
 */
public interface MixpanelOptions extends MigrationOptions {

  @Description(
      "Mixpanel raw export files to read (JSON lines, one {\"event\":...,\"properties\":{...}}"
          + " per line; plain, .gz or .zip): a file pattern on the local disk or any Beam file"
          + " system. Read whole: no date range. Give this OR the Export API credentials.")
  String getInputFiles();

  void setInputFiles(String value);

  @Description("Service account user name, to read from the Export API (with --mixpanelProjectId).")
  String getMixpanelServiceAccountUser();

  void setMixpanelServiceAccountUser(String value);

  @Description(
      "The service account's secret. Prefer the MIXPANEL_SERVICE_ACCOUNT_SECRET environment"
          + " variable or --mixpanelServiceAccountSecretFile.")
  @JsonIgnore
  String getMixpanelServiceAccountSecret();

  void setMixpanelServiceAccountSecret(String value);

  @Description(
      "A file holding the service account's secret (surrounding whitespace is ignored), on any"
          + " Beam file system, or secretmanager:projects/P/secrets/S/versions/V.")
  String getMixpanelServiceAccountSecretFile();

  void setMixpanelServiceAccountSecretFile(String value);

  @Description(
      "The project's API secret (deprecated by Mixpanel; a service account is preferred). Prefer"
          + " the MIXPANEL_API_SECRET environment variable or --mixpanelApiSecretFile.")
  @JsonIgnore
  String getMixpanelApiSecret();

  void setMixpanelApiSecret(String value);

  @Description(
      "A file holding the project's API secret (surrounding whitespace is ignored), on any Beam"
          + " file system, or secretmanager:projects/P/secrets/S/versions/V.")
  String getMixpanelApiSecretFile();

  void setMixpanelApiSecretFile(String value);

  @Description("The Mixpanel project id: required with a service account.")
  String getMixpanelProjectId();

  void setMixpanelProjectId(String value);

  @Description(
      "Data residency of the project: us (data.mixpanel.com, the default), eu"
          + " (data-eu.mixpanel.com) or in (data-in.mixpanel.com).")
  String getMixpanelRegion();

  void setMixpanelRegion(String value);

  @Description(
      "Scheme and host of the Export API instead of a residency, e.g. a proxy"
          + " (https://proxy.example.com); /api/2.0/export is appended.")
  String getMixpanelUrl();

  void setMixpanelUrl(String value);

  @Description(
      "Export API only: first day to read (inclusive), a date (2024-01-31): a day of"
          + " --mixpanelProjectTimezone.")
  String getStartDate();

  void setStartDate(String value);

  @Description(
      "Export API only: end of the range (exclusive), a date. Must be at least 48 hours ago"
          + " (PostHog's rule for historical imports).")
  String getEndDate();

  void setEndDate(String value);

  @Description(
      "The project's timezone (IANA, e.g. America/Los_Angeles) for projects created before"
          + " 2023-01-01, whose export dates and event times are in it; default UTC (every newer"
          + " project).")
  @Default.String("UTC")
  String getMixpanelProjectTimezone();

  void setMixpanelProjectTimezone(String value);

  @Description("Export API queries started per second, across this JVM (Mixpanel's limit: 3).")
  @Default.Integer(3)
  int getMixpanelQueriesPerSecond();

  void setMixpanelQueriesPerSecond(int value);

  @Description(
      "Export API queries started per hour, across this JVM (Mixpanel's limit: 60). A day is one"
          + " query, so a year of days takes about 6 hours at the default.")
  @Default.Integer(60)
  int getMixpanelQueriesPerHour();

  void setMixpanelQueriesPerHour(int value);

  @Description("Export API queries open at once, across this JVM (Mixpanel's limit: 100).")
  @Default.Integer(100)
  int getMixpanelConcurrentQueries();

  void setMixpanelConcurrentQueries(int value);

  @Description(
      "Export API only: where downloaded days are staged (any Beam file system), so a resumed"
          + " run reads the same bytes and never downloads a day again. Default:"
          + " <checkpointDir>/downloads.")
  String getDownloadCache();

  void setDownloadCache(String value);

  @Description(
      "Export API only: a staged day bigger than this (bytes, gzip) is split into hour pieces"
          + " after staging, each read on its own, so up to 24 workers read it. Default 1 GiB.")
  @Default.Long(1L << 30)
  long getMixpanelSplitDayBytes();

  void setMixpanelSplitDayBytes(long value);

  @Description(
      "Send one $identify (distinct_id = $user_id, $anon_distinct_id = $device_id) the first time"
          + " a ($device_id, $user_id) pair is seen, as PostHog's Mixpanel import does.")
  @Default.Boolean(true)
  boolean getIdentify();

  void setIdentify(boolean value);

  @Description(
      "Where the ($device_id, $user_id) pairs whose $identify was delivered are recorded, so no"
          + " run sends one twice (any Beam file system). Default: next to the checkpoint"
          + " directory, mixpanel-identities-<hash of the PostHog API key>.")
  String getIdentityStore();

  void setIdentityStore(String value);

  @Description(
      "The longest line read, in bytes: a longer one is dead-lettered (stage read, its first KiB"
          + " kept) and reading goes on at the next line. Default 16 MiB.")
  @Default.Long(16L * 1024 * 1024)
  long getMaxLineBytes();

  void setMaxLineBytes(long value);
}
