package dev.hogbeam.pipeline.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@code hogbeam amplitude}: Amplitude export files, or Amplitude's Export API, as the
 * source. Exactly one of {@code --inputFiles} and the API keys.
 */
public interface AmplitudeOptions extends MigrationOptions {

  @Description(
      "Amplitude export files to read: a file pattern on the local disk or any Beam file system"
          + " (e.g. 'exports/*.zip', 'gs://bucket/amplitude/**'). Zips as the Export API and"
          + " Amplitude's UI make them, or .json.gz / .json files. Read whole: no date range."
          + " Give this OR the Export API keys.")
  String getInputFiles();

  void setInputFiles(String value);

  @Description(
      "The Amplitude project's API key, to read from the Export API. Prefer the"
          + " AMPLITUDE_API_KEY environment variable or --amplitudeApiKeyFile.")
  @JsonIgnore
  String getAmplitudeApiKey();

  void setAmplitudeApiKey(String value);

  @Description(
      "A file holding the Amplitude API key (surrounding whitespace is ignored), on any Beam file system (gs://...; on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getAmplitudeApiKeyFile();

  void setAmplitudeApiKeyFile(String value);

  @Description(
      "The Amplitude project's secret key. Prefer the AMPLITUDE_SECRET_KEY environment variable"
          + " or --amplitudeSecretKeyFile.")
  @JsonIgnore
  String getAmplitudeSecretKey();

  void setAmplitudeSecretKey(String value);

  @Description(
      "A file holding the Amplitude secret key (surrounding whitespace is ignored), on any Beam file system (gs://...; on a cluster every worker reads it), or"
          + " secretmanager:projects/P/secrets/S/versions/V.")
  String getAmplitudeSecretKeyFile();

  void setAmplitudeSecretKeyFile(String value);

  @Description(
      "Amplitude data region of the project: us (amplitude.com, the default) or eu"
          + " (analytics.eu.amplitude.com).")
  String getAmplitudeRegion();

  void setAmplitudeRegion(String value);

  @Description(
      "Scheme and host of the Export API instead of a region, e.g. a proxy"
          + " (https://proxy.example.com); /api/2/export is appended.")
  String getAmplitudeUrl();

  void setAmplitudeUrl(String value);

  @Description(
      "Export API only: first hour to read (inclusive), a whole UTC hour: 2024-01-31 (its"
          + " midnight) or 2024-01-31T13:00 (no zone means UTC). Amplitude's hours are server"
          + " upload time.")
  String getStartDate();

  void setStartDate(String value);

  @Description(
      "Export API only: end of the range (exclusive), a whole UTC hour, same forms as"
          + " --startDate. Must be at least 48 hours ago (PostHog's rule for historical imports).")
  String getEndDate();

  void setEndDate(String value);

  @Description(
      "Send Amplitude's event names unchanged (no $pageview / $autocapture / $set renames).")
  @Default.Boolean(false)
  boolean getKeepEventNames();

  void setKeepEventNames(boolean value);

  @Description(
      "The longest line read, in bytes: a longer one is dead-lettered (stage read, its first KiB"
          + " kept) and reading goes on at the next line, so no line can exhaust the heap."
          + " Default 16 MiB.")
  @Default.Long(16L * 1024 * 1024)
  long getMaxLineBytes();

  void setMaxLineBytes(long value);

  @Description("Send session_start / session_end events instead of dropping them.")
  @Default.Boolean(false)
  boolean getKeepSessionEvents();

  void setKeepSessionEvents(boolean value);

  @Description(
      "How a (device_id, user_id) pair seen for the first time is told to PostHog: create_alias"
          + " ($create_alias, the default), identify ($identify with $anon_distinct_id) or none.")
  @Default.String("create_alias")
  String getAliasMode();

  void setAliasMode(String value);

  @Description(
      "Where the (device, user) pairs whose alias event was delivered are recorded, so no run"
          + " sends one twice (any Beam file system). Default: next to the checkpoint directory,"
          + " amplitude-aliases-<hash of the PostHog API key>, shared by every run into that"
          + " PostHog project.")
  String getAliasStore();

  void setAliasStore(String value);

  @Description("Send one $groupidentify per Amplitude group, from the events' group_properties.")
  @Default.Boolean(false)
  boolean getGroupIdentify();

  void setGroupIdentify(boolean value);

  @Description("Export API only: most hours downloading at once, across all workers.")
  @Default.Integer(4)
  int getMaxConcurrentDownloads();

  void setMaxConcurrentDownloads(int value);

  @Description(
      "Export API only: where downloaded hours are kept, so a resumed run does not download"
          + " them again (any Beam file system; one per Amplitude project). Default:"
          + " <checkpointDir>/downloads.")
  String getDownloadCache();

  void setDownloadCache(String value);
}
