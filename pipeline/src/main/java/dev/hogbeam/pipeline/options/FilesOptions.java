package dev.hogbeam.pipeline.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code hogbeam files --format=posthog}: JSON-lines files of events in PostHog's
 * capture shape, on any Beam file system. ({@code --format=amplitude} takes {@link
 * AmplitudeOptions}.)
 */
public interface FilesOptions extends MigrationOptions {

  @Description(
      "The shape of the events in the files: posthog (the capture API's event: event,"
          + " distinct_id, timestamp, properties, uuid), amplitude (Amplitude's export; the flags of"
          + " hogbeam amplitude apply) or mixpanel.")
  @Validation.Required
  String getFormat();

  void setFormat(String value);

  @Description(
      "The files to read: a file pattern on the local disk or any Beam file system, e.g."
          + " 'events/*.jsonl.gz', 's3://bucket/export/2024-*.json', 'gs://bucket/events/**'."
          + " JSON lines, plain, gzipped or zipped (told apart by their first bytes).")
  @Validation.Required
  String getInputFiles();

  void setInputFiles(String value);

  @Description(
      "Lines longer than this many bytes are dead-lettered (their first KiB kept) and reading"
          + " goes on at the next line. Default 16 MiB.")
  @Default.Long(16L * 1024 * 1024)
  long getMaxLineBytes();

  void setMaxLineBytes(long value);
}
