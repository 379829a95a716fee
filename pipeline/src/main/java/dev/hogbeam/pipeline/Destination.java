package dev.hogbeam.pipeline;

import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.Secrets;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where events go, decided once from the options: PostHog over HTTP, JSON-lines files
 * ({@code --outputDir}), or nowhere ({@code --dryRun}). Every source's pipeline builds its writer
 * from this.
 */
public final class Destination {
  private final MigrationOptions options;
  private final @Nullable String apiKey;

  private Destination(MigrationOptions options, @Nullable String apiKey) {
    this.options = options;
    this.apiKey = apiKey;
  }

  /** Checks the destination flags; throws IllegalArgumentException naming the flag. */
  public static Destination from(MigrationOptions options, Secrets secrets) {
    if (options.getDryRun() && options.getOutputDir() != null) {
      throw new IllegalArgumentException("--dryRun and --outputDir exclude each other; give one");
    }
    String apiKey =
        secrets.resolve(
            "posthogApiKey",
            options.getPosthogApiKey(),
            "posthogApiKeyFile",
            options.getPosthogApiKeyFile(),
            "POSTHOG_API_KEY");
    if (!options.getDryRun() && options.getOutputDir() == null) {
      if (options.getPosthogUrl() == null) {
        throw new IllegalArgumentException(
            "--posthogUrl is required (or --dryRun / --outputDir to send nothing)");
      }
      if (apiKey == null) {
        throw new IllegalArgumentException(
            "the PostHog project API key is required: --posthogApiKey, --posthogApiKeyFile or"
                + " the POSTHOG_API_KEY environment variable");
      }
    }
    if (options.getBatchSize() <= 0) {
      throw new IllegalArgumentException("--batchSize must be > 0, but was " + options.getBatchSize());
    }
    if (options.getMaxEventsPerSecond() < 0) {
      throw new IllegalArgumentException(
          "--maxEventsPerSecond must be >= 0, but was " + options.getMaxEventsPerSecond());
    }
    Integer shares = options.getRateLimitShares();
    if (shares != null && shares <= 0) {
      throw new IllegalArgumentException("--rateLimitShares must be > 0, but was " + shares);
    }
    return new Destination(options, apiKey);
  }

  /** One line for the plan: where events go. */
  public String describe() {
    if (options.getDryRun()) {
      return "dry run: events are counted, nothing is sent";
    }
    if (options.getOutputDir() != null) {
      return "writing what would be sent to " + options.getOutputDir();
    }
    String rate =
        options.getMaxEventsPerSecond() > 0
            ? String.format(
                java.util.Locale.ROOT,
                ", at most %,.0f events/s over %d process(es)",
                options.getMaxEventsPerSecond(),
                shares())
            : ", no rate limit";
    return "sending to " + options.getPosthogUrl() + " (batches of " + options.getBatchSize()
        + rate + ")";
  }

  private int shares() {
    Integer shares = options.getRateLimitShares();
    return shares == null ? 1 : shares;
  }

  /** The writer, without its checkpoint hook. */
  public CaptureIO.Write writer() {
    CaptureIO.Write w =
        CaptureIO.write()
            .withBatchSize(options.getBatchSize())
            .withMaxBatchBytes(options.getMaxBatchBytes())
            .withMaxEventsPerSecond(options.getMaxEventsPerSecond())
            .withRateLimitShares(shares())
            .withMaxAttempts(options.getMaxAttempts());
    if (options.getDryRun()) {
      return w.withDryRun(true);
    }
    if (options.getOutputDir() != null) {
      return w.withOutputDirectory(options.getOutputDir());
    }
    return w.withHost(options.getPosthogUrl()).withApiKey(apiKey);
  }
}
