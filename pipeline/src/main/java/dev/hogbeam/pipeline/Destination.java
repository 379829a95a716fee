package dev.hogbeam.pipeline;

import dev.hogbeam.capture.ApiKeys;
import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.options.UrlRules;
import dev.hogbeam.secret.UrlCredentials;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where events go, decided once from the options: PostHog over HTTP, JSON-lines files ({@code
 * --outputDir}), or nowhere ({@code --dryRun}). Every source's pipeline builds its writer from
 * this.
 */
public final class Destination {
  private final MigrationOptions options;
  private final @Nullable String apiKey;
  private final Secrets.@Nullable Secret apiKeySecret;
  private final @Nullable String budget;

  /** {@code --outputDir}, or the sub-directory of it this destination writes to. */
  private final @Nullable String outputDir;

  private Destination(
      MigrationOptions options, Secrets.@Nullable Secret apiKeySecret, @Nullable String budget) {
    this(options, apiKeySecret, budget, options.getOutputDir());
  }

  private Destination(
      MigrationOptions options,
      Secrets.@Nullable Secret apiKeySecret,
      @Nullable String budget,
      @Nullable String outputDir) {
    this.options = options;
    this.apiKeySecret = apiKeySecret;
    this.apiKey = apiKeySecret == null ? null : apiKeySecret.value();
    this.budget = budget;
    this.outputDir = outputDir;
  }

  /** Checks the destination flags; throws IllegalArgumentException naming the flag. */
  public static Destination from(MigrationOptions options, Secrets secrets) {
    checkNotBoth(options);
    Secrets.Secret apiKey =
        secrets.secret(
            "posthogApiKey",
            options.getPosthogApiKey(),
            "posthogApiKeyFile",
            options.getPosthogApiKeyFile(),
            "POSTHOG_API_KEY");
    Destination checked = withoutKey(options);
    if (!checked.sendsToPostHog()) {
      return new Destination(options, apiKey, null);
    }
    if (apiKey == null) {
      throw new IllegalArgumentException(
          "the PostHog project API key is required: --posthogApiKey, --posthogApiKeyFile or"
              + " the POSTHOG_API_KEY environment variable");
    }
    return checked.toProject(apiKey, "the PostHog API key (from " + apiKey.ref() + ")");
  }

  /**
   * The destination flags checked as {@link #from} checks them, without a project key: for a run
   * that sends to several projects, each then given with {@link #toProject}.
   */
  public static Destination withoutKey(MigrationOptions options) {
    checkNotBoth(options);
    if (!options.getDryRun() && options.getOutputDir() == null) {
      if (options.getPosthogUrl() == null) {
        throw new IllegalArgumentException(
            "--posthogUrl is required (or --dryRun / --outputDir to send nothing)");
      }
      UrlRules.checkNoCredentials(
          "posthogUrl", options.getPosthogUrl(), "--posthogApiKeyFile or POSTHOG_API_KEY");
      UrlRules.checkEncrypted(
          "posthogUrl",
          options.getPosthogUrl(),
          options.getAllowInsecureHttp(),
          "the PostHog project API key");
    }
    if (options.getBatchSize() <= 0) {
      throw new IllegalArgumentException(
          "--batchSize must be > 0, but was " + options.getBatchSize());
    }
    if (options.getMaxEventsPerSecond() < 0) {
      throw new IllegalArgumentException(
          "--maxEventsPerSecond must be >= 0, but was " + options.getMaxEventsPerSecond());
    }
    Integer shares = options.getRateLimitShares();
    if (shares != null && shares <= 0) {
      throw new IllegalArgumentException("--rateLimitShares must be > 0, but was " + shares);
    }
    return new Destination(options, null, null);
  }

  private static void checkNotBoth(MigrationOptions options) {
    if (options.getDryRun() && options.getOutputDir() != null) {
      throw new IllegalArgumentException("--dryRun and --outputDir exclude each other; give one");
    }
  }

  /**
   * This destination, sending to the project of {@code key} (checked when events go to PostHog).
   *
   * @param what names the key in messages ({@code the key of team 5 in the file keys.json})
   */
  public Destination toProject(Secrets.Secret key, String what) {
    if (sendsToPostHog()) {
      String problem = ApiKeys.problem(key.value());
      if (problem != null) {
        throw new IllegalArgumentException(what + ": " + problem + ". " + ApiKeys.WHAT_IS_EXPECTED);
      }
    }
    return new Destination(options, key, budget, outputDir);
  }

  /**
   * This destination, its writer sharing one rate budget (and stop signal) per JVM with every other
   * writer given the same {@code name} ({@link CaptureIO.Write#withSharedBudget}): several projects
   * of one run keep to one {@code --maxEventsPerSecond}.
   */
  public Destination sharingBudget(String name) {
    return new Destination(options, apiKeySecret, name, outputDir);
  }

  /**
   * With {@code --outputDir}: this destination writing into its sub-directory {@code name} (one per
   * project of a run over several, so that no two projects' files mix); else this destination.
   */
  public Destination inSubdirectory(String name) {
    if (outputDir == null) {
      return this;
    }
    String dir =
        org.apache.beam.sdk.io.FileSystems.matchNewResource(outputDir, true)
            .resolve(
                name,
                org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_DIRECTORY)
            .toString();
    return new Destination(options, apiKeySecret, budget, dir);
  }

  /** Whether events go to PostHog (not a dry run, not files). */
  public boolean sendsToPostHog() {
    return !options.getDryRun() && outputDir == null;
  }

  /**
   * A short id of the destination PostHog project: the start of the SHA-256 of its API key (the key
   * cannot be recovered from it), or null when no key was given. Stable across runs, for naming
   * state that belongs to the project.
   */
  public @Nullable String projectId() {
    return apiKey == null
        ? null
        : com.google.common.hash.Hashing.sha256()
            .hashString(apiKey, java.nio.charset.StandardCharsets.UTF_8)
            .toString()
            .substring(0, 12);
  }

  /** How the destination is named in a saved plan: a different one is a different migration. */
  public String id() {
    if (options.getDryRun()) {
      return "dry run";
    }
    if (outputDir != null) {
      return "files in " + outputDir;
    }
    return "PostHog project " + projectId();
  }

  /**
   * A suffix for default checkpoint directories, so that a dry run, files and each PostHog project
   * keep their own checkpoints (a dry run must never mark shards done for a real run).
   */
  public String dirSuffix() {
    if (options.getDryRun()) {
      return "dry-run";
    }
    if (outputDir != null) {
      return "output-"
          + com.google.common.hash.Hashing.sha256()
              .hashString(outputDir, java.nio.charset.StandardCharsets.UTF_8)
              .toString()
              .substring(0, 8);
    }
    return "to-" + projectId().substring(0, 8);
  }

  /** One line for the plan: where events go. */
  public String describe() {
    if (options.getDryRun()) {
      return "dry run: events are counted, nothing is sent";
    }
    if (outputDir != null) {
      return "writing what would be sent to " + outputDir;
    }
    String rate =
        options.getMaxEventsPerSecond() > 0
            ? String.format(
                java.util.Locale.ROOT,
                ", at most %,.0f events/s over %d process(es)",
                options.getMaxEventsPerSecond(),
                shares())
            : ", no rate limit";
    return "sending to "
        + UrlCredentials.redact(options.getPosthogUrl())
        + " (batches of "
        + options.getBatchSize()
        + rate
        + ")";
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
    if (budget != null) {
      w = w.withSharedBudget(budget);
    }
    if (options.getDryRun()) {
      return w.withDryRun(true);
    }
    if (outputDir != null) {
      return w.withOutputDirectory(outputDir);
    }
    return w.withHost(options.getPosthogUrl()).withApiKey(apiKeySecret.ref());
  }
}
