package dev.hogbeam.capture;

import java.io.Serializable;
import java.time.Duration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The writer's configuration, as the DoFn carries it. Only {@link CaptureIO.Write} modifies it, on
 * a {@link #copy()}: instances reachable from a transform are never changed.
 */
final class WriteSettings implements Serializable, Cloneable {
  private static final long serialVersionUID = 1L;

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

  String writerId = "";
  @Nullable String host;
  @Nullable String apiKey;
  @Nullable String outputDirectory;
  boolean dryRun;
  int batchSize = 500;
  long maxBatchBytes = 5L * 1024 * 1024;
  long maxEventBytes = 900L * 1024;
  int gzipLevel = 3;
  double maxEventsPerSecond = 0;
  int rateLimitShares = 1;
  int maxAttempts = 10;
  Duration maxRetryTime = Duration.ofMinutes(10);
  Duration initialBackoff = Duration.ofSeconds(1);
  Duration maxBackoff = Duration.ofSeconds(60);
  Duration connectTimeout = Duration.ofSeconds(10);
  Duration requestTimeout = Duration.ofSeconds(60);
  SendProgress progress = SendProgress.none();

  WriteSettings copy() {
    try {
      return (WriteSettings) clone();
    } catch (CloneNotSupportedException e) {
      throw new AssertionError(e);
    }
  }

  Mode mode() {
    if (dryRun) {
      return Mode.DRY_RUN;
    }
    return outputDirectory != null ? Mode.FILES : Mode.HTTP;
  }

  /** This JVM's share of the job-wide budget; 0 = unlimited. */
  double jvmEventsPerSecond() {
    return maxEventsPerSecond / rateLimitShares;
  }

  CaptureTransport newTransport() {
    switch (mode()) {
      case DRY_RUN:
        return new DiscardTransport(
            HttpTransport.envelopePrefix(apiKey == null ? "" : ApiKeys.normalize(apiKey)).length()
                + 2);
      case FILES:
        return new FilesTransport(outputDirectory);
      default:
        return new HttpTransport(
            Hosts.batchUri(host),
            ApiKeys.normalize(apiKey),
            gzipLevel,
            connectTimeout,
            requestTimeout);
    }
  }

  /** Where batches go, for logs and display data; never the key. */
  String destination() {
    switch (mode()) {
      case DRY_RUN:
        return "nowhere (dry run)";
      case FILES:
        return "files under " + outputDirectory;
      default:
        return host == null ? "(no host)" : Hosts.batchUri(host).toString();
    }
  }

  /** Leaves the API key out. */
  @Override
  public String toString() {
    return "CaptureIO.write{to="
        + destination()
        + ", apiKey="
        + (apiKey == null ? "(none)" : "(hidden)")
        + ", batchSize="
        + batchSize
        + ", maxBatchBytes="
        + maxBatchBytes
        + ", maxEventBytes="
        + maxEventBytes
        + ", gzipLevel="
        + gzipLevel
        + ", maxEventsPerSecond="
        + maxEventsPerSecond
        + ", rateLimitShares="
        + rateLimitShares
        + ", maxAttempts="
        + maxAttempts
        + ", maxRetryTime="
        + maxRetryTime
        + "}";
  }
}
