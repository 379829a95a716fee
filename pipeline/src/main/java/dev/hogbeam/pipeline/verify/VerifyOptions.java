package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The flags of {@code hogbeam verify} itself. Every other flag given to {@code verify} is one of
 * the migration's own (its secrets, which are never recorded, or runner flags for {@code --repair})
 * and replaces the recorded one.
 */
public interface VerifyOptions extends PipelineOptions {

  @Description(
      "The checkpoint directory of the migration to verify (its migration.json, plan and dead"
          + " letters). verify.json, verify.html and verify/missing.tsv are written there.")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  @Description(
      "Re-send exactly the missing events through the normal writer (same uuids, batching, rate"
          + " limit; checkpoints under <checkpointDir>/repair/), then verify again. Unexpected"
          + " events are reported, never deleted.")
  @Default.Boolean(false)
  boolean getRepair();

  void setRepair(boolean value);

  @Description(
      "Minutes to wait for PostHog's ingestion: the days that differ are counted again every"
          + " --pollSeconds until they match or the time is up (0 = count once).")
  @Default.Integer(0)
  int getSettleMinutes();

  void setSettleMinutes(int value);

  @Description("Seconds between the re-counts of --settleMinutes.")
  @Default.Integer(10)
  int getPollSeconds();

  void setPollSeconds(int value);

  @Description(
      "Without --settleMinutes: events absent from PostHog when the migration sent last less than"
          + " this many seconds ago are reported as still arriving, not missing.")
  @Default.Integer(120)
  int getIngestionLagSeconds();

  void setIngestionLagSeconds(int value);

  @Description(
      "A personal API key (phx_...) with query:read access to the destination project. Prefer"
          + " the POSTHOG_PERSONAL_API_KEY environment variable or --posthogPersonalApiKeyFile.")
  @JsonIgnore
  String getPosthogPersonalApiKey();

  void setPosthogPersonalApiKey(String value);

  @Description("A file holding the personal API key (surrounding whitespace is ignored).")
  String getPosthogPersonalApiKeyFile();

  void setPosthogPersonalApiKeyFile(String value);

  @Description(
      "The destination project's id (the number in its URLs, /project/<id>); also from the"
          + " POSTHOG_PROJECT_ID environment variable.")
  String getPosthogProjectId();

  void setPosthogProjectId(String value);

  @Description(
      "For a migration of several teams (--teamIds): each team's destination project id, as"
          + " team:project pairs (2:123,5:456). Each team is verified against its project, one"
          + " section per team in verify.json.")
  String getPosthogProjectIds();

  void setPosthogProjectIds(String value);

  @Description(
      "PostHog's app host for the query API. Default: from the migration's --posthogUrl"
          + " (us.i.posthog.com to https://us.posthog.com, eu.i.posthog.com to"
          + " https://eu.posthog.com, a self-hosted URL as it is).")
  String getPosthogAppUrl();

  void setPosthogAppUrl(String value);
}
