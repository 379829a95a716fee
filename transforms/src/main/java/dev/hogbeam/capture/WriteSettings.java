package dev.hogbeam.capture;

import com.google.auto.value.AutoValue;
import dev.hogbeam.secret.SecretRef;
import java.io.Serializable;
import java.time.Duration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The writer's configuration, as the DoFn carries it. Immutable; {@link CaptureIO.Write}'s {@code
 * withX} methods change it through {@link #toBuilder()}.
 */
@AutoValue
abstract class WriteSettings implements Serializable {
  private static final long serialVersionUID = 2L;

  /** Where batches go. */
  enum Mode {
    HTTP,
    FILES,
    DRY_RUN
  }

  /**
   * Room kept in every request for the envelope around the events ({@code {"api_key":"...",
   * "historical_migration":true,"batch":[...]}} with a key of at most 64 characters, escaped):
   * batches are formed the same way whatever the transport, so the files show exactly the requests
   * HTTP would make.
   */
  static final int ENVELOPE_RESERVE_BYTES = 512;

  /** Names the application of the writer, so its senders in one JVM share one rate limiter. */
  abstract String writerId();

  abstract @Nullable String host();

  /** Where the worker reads the API key (never the key itself: see {@link SecretRef}). */
  abstract @Nullable SecretRef apiKey();

  abstract @Nullable String outputDirectory();

  abstract boolean dryRun();

  abstract int batchSize();

  abstract long maxBatchBytes();

  abstract long maxEventBytes();

  abstract int gzipLevel();

  abstract double maxEventsPerSecond();

  abstract int rateLimitShares();

  abstract int maxAttempts();

  abstract Duration maxRetryTime();

  abstract Duration initialBackoff();

  abstract Duration maxBackoff();

  abstract Duration connectTimeout();

  abstract Duration requestTimeout();

  abstract SendProgress progress();

  abstract Builder toBuilder();

  /** The defaults {@link CaptureIO#write()} documents. */
  static WriteSettings defaults() {
    return new AutoValue_WriteSettings.Builder()
        .writerId("")
        .dryRun(false)
        .batchSize(500)
        .maxBatchBytes(5L * 1024 * 1024)
        .maxEventBytes(900L * 1024)
        .gzipLevel(3)
        .maxEventsPerSecond(0)
        .rateLimitShares(1)
        .maxAttempts(10)
        .maxRetryTime(Duration.ofMinutes(10))
        .initialBackoff(Duration.ofSeconds(1))
        .maxBackoff(Duration.ofSeconds(60))
        .connectTimeout(Duration.ofSeconds(10))
        .requestTimeout(Duration.ofSeconds(60))
        .progress(SendProgress.none())
        .build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder writerId(String id);

    abstract Builder host(@Nullable String host);

    abstract Builder apiKey(@Nullable SecretRef apiKey);

    abstract Builder outputDirectory(@Nullable String directory);

    abstract Builder dryRun(boolean dryRun);

    abstract Builder batchSize(int batchSize);

    abstract Builder maxBatchBytes(long bytes);

    abstract Builder maxEventBytes(long bytes);

    abstract Builder gzipLevel(int level);

    abstract Builder maxEventsPerSecond(double eventsPerSecond);

    abstract Builder rateLimitShares(int shares);

    abstract Builder maxAttempts(int attempts);

    abstract Builder maxRetryTime(Duration time);

    abstract Builder initialBackoff(Duration backoff);

    abstract Builder maxBackoff(Duration backoff);

    abstract Builder connectTimeout(Duration timeout);

    abstract Builder requestTimeout(Duration timeout);

    abstract Builder progress(SendProgress progress);

    abstract WriteSettings build();
  }

  Mode mode() {
    if (dryRun()) {
      return Mode.DRY_RUN;
    }
    return outputDirectory() != null ? Mode.FILES : Mode.HTTP;
  }

  /** This JVM's share of the job-wide budget; 0 = unlimited. */
  double jvmEventsPerSecond() {
    return maxEventsPerSecond() / rateLimitShares();
  }

  CaptureTransport newTransport() {
    switch (mode()) {
      case DRY_RUN:
        return new DiscardTransport(
            HttpTransport.envelopePrefix(apiKey() == null ? "" : resolvedApiKey()).length() + 2);
      case FILES:
        return new FilesTransport(outputDirectory());
      default:
        return new HttpTransport(
            Hosts.batchUri(host()),
            resolvedApiKey(),
            gzipLevel(),
            connectTimeout(),
            requestTimeout());
    }
  }

  /**
   * The API key, read from its reference (once per JVM and reference) and checked as {@link
   * ApiKeys} checks it; the message of a refused key never holds the key.
   */
  private String resolvedApiKey() {
    String key = ApiKeys.normalize(apiKey().resolve());
    String problem = ApiKeys.problem(key);
    if (problem != null) {
      throw new CaptureAuthException(
          "the PostHog API key read from "
              + apiKey()
              + ": "
              + problem
              + ". "
              + ApiKeys.WHAT_IS_EXPECTED);
    }
    return key;
  }

  /** Where batches go, for logs and display data; never the key. */
  String destination() {
    switch (mode()) {
      case DRY_RUN:
        return "nowhere (dry run)";
      case FILES:
        return "files under " + outputDirectory();
      default:
        return host() == null ? "(no host)" : Hosts.batchUri(host()).toString();
    }
  }

  /** Leaves the API key out. */
  @Override
  public final String toString() {
    return "CaptureIO.write{to="
        + destination()
        + ", apiKey="
        + (apiKey() == null ? "(none)" : "(from " + apiKey() + ")")
        + ", batchSize="
        + batchSize()
        + ", maxBatchBytes="
        + maxBatchBytes()
        + ", maxEventBytes="
        + maxEventBytes()
        + ", gzipLevel="
        + gzipLevel()
        + ", maxEventsPerSecond="
        + maxEventsPerSecond()
        + ", rateLimitShares="
        + rateLimitShares()
        + ", maxAttempts="
        + maxAttempts()
        + ", maxRetryTime="
        + maxRetryTime()
        + "}";
  }
}
