package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one hour of Amplitude's Export API into a local file, streaming (the body never sits in
 * memory), with retries at the scope of that one request.
 *
 * <ul>
 *   <li>200: the zip is written to the target file; a body shorter than its Content-Length, or a
 *       connection that drops, is retried.
 *   <li>404: the hour has no data (not an error).
 *   <li>408, 429, 5xx, connection failures and read timeouts: retried with exponential backoff,
 *       honouring {@code Retry-After}.
 *   <li>400 (the hour is over Amplitude's 4 GB limit), 401/403 (keys), other 4xx: {@link
 *       AmplitudeExportException} at once, naming the hour, never the keys.
 * </ul>
 *
 * Redirects are followed by hand so that the keys are only ever sent to the configured host.
 */
final class ExportClient {
  private static final Logger LOG = LoggerFactory.getLogger(ExportClient.class);
  private static final Counter RETRIES = Metrics.counter(ExportClient.class, "exportRetries");
  private static final Counter BYTES = Metrics.counter(ExportClient.class, "exportBytesDownloaded");
  private static final int MAX_REDIRECTS = 5;

  /** Retry and timeout settings. */
  static final class Policy implements Serializable {
    private static final long serialVersionUID = 1L;
    final int maxAttempts;
    final Duration initialBackoff;
    final Duration maxBackoff;
    final Duration connectTimeout;
    final Duration readTimeout;

    Policy(
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        Duration connectTimeout,
        Duration readTimeout) {
      checkArgument(maxAttempts > 0, "maxAttempts must be > 0, but was %s", maxAttempts);
      this.maxAttempts = maxAttempts;
      this.initialBackoff = initialBackoff;
      this.maxBackoff = maxBackoff;
      this.connectTimeout = connectTimeout;
      this.readTimeout = readTimeout;
    }

    static Policy defaults() {
      return new Policy(
          8,
          Duration.ofSeconds(5),
          Duration.ofMinutes(5),
          Duration.ofSeconds(30),
          Duration.ofMinutes(5));
    }
  }

  /** Waits between attempts; tests pass one that records instead of sleeping. */
  interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  private final String exportUrl;
  private final ExportCredentials credentials;
  private final Policy policy;
  private final Sleeper sleeper;

  /**
   * @param baseUrl scheme and host, e.g. {@code https://amplitude.com} (no trailing slash)
   */
  ExportClient(String baseUrl, ExportCredentials credentials, Policy policy, Sleeper sleeper) {
    this.exportUrl = baseUrl + "/api/2/export";
    this.credentials = credentials;
    this.policy = policy;
    this.sleeper = sleeper;
  }

  /**
   * Downloads {@code hour} ({@code yyyyMMddTHH}) into {@code target}, replacing it.
   *
   * @return true when the hour has data (a zip is in {@code target}), false when it is empty (404)
   */
  boolean download(String hour, Path target) throws IOException, InterruptedException {
    String url = exportUrl + "?start=" + hour + "&end=" + hour;
    for (int attempt = 1; ; attempt++) {
      Retry retry;
      try {
        return attempt(hour, url, target);
      } catch (Retry r) {
        retry = r;
      }
      if (attempt >= policy.maxAttempts) {
        throw new AmplitudeExportException(
            "Amplitude Export API: gave up on hour "
                + label(hour)
                + " after "
                + attempt
                + " attempts; last problem: "
                + retry.problem,
            retry.status);
      }
      long delay = backoffMillis(attempt, retry.retryAfter, policy, Instant.now());
      RETRIES.inc();
      LOG.warn(
          "Amplitude export of hour {}: {}; retrying in {} ms (attempt {} of {})",
          label(hour),
          retry.problem,
          delay,
          attempt + 1,
          policy.maxAttempts);
      sleeper.sleep(delay);
    }
  }

  /** A failure worth another attempt. */
  private static final class Retry extends Exception {
    private static final long serialVersionUID = 1L;
    final String problem;
    final int status;
    final @Nullable String retryAfter;

    Retry(String problem, int status, @Nullable String retryAfter) {
      super(problem, null, false, false);
      this.problem = problem;
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  private boolean attempt(String hour, String url, Path target) throws Retry {
    HttpURLConnection c = null;
    try {
      c = connect(url);
      int status = c.getResponseCode();
      if (status == 200) {
        copyBody(hour, c, target);
        return true;
      }
      drain(c);
      if (status == 404) {
        return false;
      }
      if (status == 408 || status == 429 || status >= 500) {
        throw new Retry("HTTP " + status, status, c.getHeaderField("Retry-After"));
      }
      throw new AmplitudeExportException(refusal(hour, status), status);
    } catch (IOException e) {
      throw new Retry(e.getClass().getSimpleName() + ": " + e.getMessage(), 0, null);
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  /** Opens the request, following redirects; the keys go to the configured host only. */
  private HttpURLConnection connect(String url) throws IOException {
    URL configured = URI.create(url).toURL();
    URL current = configured;
    for (int i = 0; ; i++) {
      HttpURLConnection c = (HttpURLConnection) current.openConnection();
      c.setInstanceFollowRedirects(false);
      c.setConnectTimeout((int) policy.connectTimeout.toMillis());
      c.setReadTimeout((int) policy.readTimeout.toMillis());
      if (sameOrigin(current, configured)) {
        c.setRequestProperty("Authorization", credentials.authorizationHeader());
      }
      int status = c.getResponseCode();
      String location = c.getHeaderField("Location");
      if (status < 300 || status > 399 || status == 304 || location == null || i >= MAX_REDIRECTS) {
        return c;
      }
      drain(c);
      c.disconnect();
      current = URI.create(current.toString()).resolve(location).toURL();
    }
  }

  private static boolean sameOrigin(URL a, URL b) {
    return a.getProtocol().equalsIgnoreCase(b.getProtocol())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort();
  }

  private static void copyBody(String hour, HttpURLConnection c, Path target) throws IOException {
    long expected = c.getContentLengthLong();
    long copied;
    try (InputStream in = c.getInputStream()) {
      copied = Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    BYTES.inc(copied);
    if (expected >= 0 && copied != expected) {
      throw new IOException("body ended after " + copied + " of " + expected + " bytes");
    }
    if (copied == 0) {
      throw new IOException("empty body");
    }
    byte[] head = new byte[2];
    try (InputStream in = Files.newInputStream(target)) {
      if (in.readNBytes(head, 0, 2) < 2 || head[0] != 'P' || head[1] != 'K') {
        throw new AmplitudeExportException(
            "Amplitude Export API answered 200 for hour "
                + label(hour)
                + " but the body is not a zip archive (Content-Type: "
                + c.getContentType()
                + ")",
            200);
      }
    }
  }

  /** The most of an error body that is read. */
  static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  private static void drain(HttpURLConnection c) {
    try (InputStream err = c.getErrorStream()) {
      if (err != null) {
        // Drained for the connection's reuse, up to a cap: an endless error body is not read.
        err.readNBytes(MAX_ERROR_BODY_BYTES);
      }
    } catch (IOException e) {
      // the status is what matters
    }
  }

  /** The message for a status retrying cannot fix. */
  static String refusal(String hour, int status) {
    switch (status) {
      case 400:
        return "Amplitude Export API answered 400 for hour "
            + label(hour)
            + ": the export of that hour is over Amplitude's 4 GB limit (an hour is the smallest"
            + " range the API serves). Export that hour in smaller pieces from Amplitude"
            + " (or ask Amplitude support), put the files next to the others and read them with"
            + " --inputFiles; run the API import on the remaining hours.";
      case 401:
      case 403:
        return "Amplitude Export API refused the keys (HTTP "
            + status
            + ") for hour "
            + label(hour)
            + ": check "
            + ExportCredentials.FLAGS
            + ", and that the keys are the project's API key and secret key with export access.";
      default:
        return "Amplitude Export API answered HTTP " + status + " for hour " + label(hour) + ".";
    }
  }

  private static String label(String hour) {
    return ExportHours.source(hour).substring("export hour ".length());
  }

  /**
   * How long to wait after the {@code failures}-th failed attempt: {@code Retry-After} when the
   * server sent one (seconds or an HTTP date), else {@code initialBackoff * 2^(failures-1)}; both
   * capped at {@code maxBackoff}.
   */
  static long backoffMillis(int failures, @Nullable String retryAfter, Policy p, Instant now) {
    long cap = p.maxBackoff.toMillis();
    Long asked = retryAfterMillis(retryAfter, now);
    if (asked != null) {
      return Math.min(Math.max(asked, 0), cap);
    }
    long delay = p.initialBackoff.toMillis();
    for (int i = 1; i < failures && delay < cap; i++) {
      delay *= 2;
    }
    return Math.min(delay, cap);
  }

  private static @Nullable Long retryAfterMillis(@Nullable String header, Instant now) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String h = header.trim();
    try {
      return Math.multiplyExact(Long.parseLong(h), 1000L);
    } catch (NumberFormatException | ArithmeticException e) {
      // not seconds; maybe a date
    }
    try {
      Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Duration.between(now, at).toMillis();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
