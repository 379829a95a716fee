package dev.hogbeam.download;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One export download (an Amplitude hour, a Mixpanel day) into a local file, streaming (the body
 * never sits in memory), with retries at the scope of that one request: what every export API
 * source shares. The API itself ({@link Api}) says how to authenticate, whether a 200 body is
 * whole, and what a refusal means.
 *
 * <ul>
 *   <li>200: the body is written to the target file, then checked by the API; a body shorter than
 *       its Content-Length, or a connection that drops, is retried.
 *   <li>404: no data (not an error).
 *   <li>408, 429, 5xx, connection failures and read timeouts: retried with exponential backoff,
 *       honouring {@code Retry-After} (a 429's also pauses every request through the same {@link
 *       Gate}).
 *   <li>other statuses: the API's refusal at once, with at most {@link #MAX_ERROR_BODY_BYTES} of
 *       the error body (never the credentials).
 * </ul>
 *
 * Redirects are followed by hand so that the credentials are only ever sent to the configured host.
 */
public final class HttpDownload {
  private static final Logger LOG = LoggerFactory.getLogger(HttpDownload.class);
  private static final Counter RETRIES = Metrics.counter(HttpDownload.class, "exportRetries");
  private static final Counter BYTES = Metrics.counter(HttpDownload.class, "exportBytesDownloaded");
  private static final int MAX_REDIRECTS = 5;

  /** The most of an error body that is read (and the most of it kept in a message: 1 KiB). */
  public static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  private static final int ERROR_TEXT_CHARS = 1024;

  /** Retry and timeout settings. */
  public static final class Policy implements Serializable {
    private static final long serialVersionUID = 1L;
    public final int maxAttempts;
    public final Duration initialBackoff;
    public final Duration maxBackoff;
    public final Duration connectTimeout;
    public final Duration readTimeout;

    public Policy(
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

    /** 8 attempts, 5 s doubling up to 5 min, 30 s to connect, 5 min of silence while reading. */
    public static Policy defaults() {
      return new Policy(
          8,
          Duration.ofSeconds(5),
          Duration.ofMinutes(5),
          Duration.ofSeconds(30),
          Duration.ofMinutes(5));
    }

    public Policy withRetries(int attempts, Duration initial, Duration max) {
      return new Policy(attempts, initial, max, connectTimeout, readTimeout);
    }

    public Policy withTimeouts(Duration connect, Duration read) {
      return new Policy(maxAttempts, initialBackoff, maxBackoff, connect, read);
    }
  }

  /** Waits between attempts; tests pass one that records instead of sleeping. */
  public interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  /**
   * What every request must pass before it is sent (an API's query limits); {@link #NONE} lets all
   * through.
   */
  public interface Gate {
    /** Blocks until a request may start; the caller then calls {@link #release} once. */
    void acquire() throws InterruptedException;

    void release();

    /** The server answered 429 with a Retry-After: hold every request for {@code millis}. */
    default void pause(long millis) {}

    Gate NONE =
        new Gate() {
          @Override
          public void acquire() {}

          @Override
          public void release() {}
        };
  }

  /** One export API's side of a download. */
  public interface Api {
    /** The {@code Authorization} header (sent to the configured host only). */
    String authorization();

    /**
     * Checks a 200 body written to {@code body}: true when it holds data, false when the API means
     * "nothing in this range" by it. An {@link IOException} retries the download; a runtime
     * exception fails it.
     */
    boolean checkBody(String label, Path body, HttpURLConnection connection) throws IOException;

    /** The exception for a status retrying cannot fix; {@code errorText} is capped. */
    RuntimeException refusal(String label, int status, String errorText);

    /** The exception once every attempt failed. */
    RuntimeException gaveUp(String label, int attempts, String lastProblem, int lastStatus);
  }

  private final Api api;
  private final Policy policy;
  private final Sleeper sleeper;
  private final Gate gate;

  public HttpDownload(Api api, Policy policy, Sleeper sleeper, Gate gate) {
    this.api = api;
    this.policy = policy;
    this.sleeper = sleeper;
    this.gate = gate;
  }

  /**
   * Downloads {@code url} into {@code target}, replacing it.
   *
   * @param label what is downloaded, for messages (e.g. {@code hour 2024-05-01T13})
   * @param headers further request headers
   * @return true when {@code target} holds data, false when the range is empty
   */
  public boolean download(String label, String url, Map<String, String> headers, Path target)
      throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      Retry retry;
      gate.acquire();
      try {
        return attempt(label, url, headers, target);
      } catch (Retry r) {
        retry = r;
      } finally {
        gate.release();
      }
      if (attempt >= policy.maxAttempts) {
        throw api.gaveUp(label, attempt, retry.problem, retry.status);
      }
      long delay = backoffMillis(attempt, retry.retryAfter, policy, Instant.now());
      if (retry.status == 429 && retry.retryAfter != null) {
        gate.pause(delay);
      }
      RETRIES.inc();
      LOG.warn(
          "Download of {}: {}; retrying in {} ms (attempt {} of {})",
          label,
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

  private boolean attempt(String label, String url, Map<String, String> headers, Path target)
      throws Retry {
    HttpURLConnection c = null;
    try {
      c = connect(url, headers);
      int status = c.getResponseCode();
      if (status == 200) {
        copyBody(c, target);
        return api.checkBody(label, target, c);
      }
      String error = errorText(c);
      if (status == 404) {
        return false;
      }
      if (status == 408 || status == 429 || status >= 500) {
        throw new Retry("HTTP " + status, status, c.getHeaderField("Retry-After"));
      }
      throw api.refusal(label, status, error);
    } catch (IOException e) {
      throw new Retry(e.getClass().getSimpleName() + ": " + e.getMessage(), 0, null);
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  /** Opens the request, following redirects; the credentials go to the configured host only. */
  private HttpURLConnection connect(String url, Map<String, String> headers) throws IOException {
    URL configured = URI.create(url).toURL();
    URL current = configured;
    for (int i = 0; ; i++) {
      HttpURLConnection c = (HttpURLConnection) current.openConnection();
      c.setInstanceFollowRedirects(false);
      c.setConnectTimeout((int) policy.connectTimeout.toMillis());
      c.setReadTimeout((int) policy.readTimeout.toMillis());
      headers.forEach(c::setRequestProperty);
      if (sameOrigin(current, configured)) {
        c.setRequestProperty("Authorization", api.authorization());
      }
      int status = c.getResponseCode();
      String location = c.getHeaderField("Location");
      if (status < 300 || status > 399 || status == 304 || location == null || i >= MAX_REDIRECTS) {
        return c;
      }
      errorText(c);
      c.disconnect();
      current = URI.create(current.toString()).resolve(location).toURL();
    }
  }

  private static boolean sameOrigin(URL a, URL b) {
    return a.getProtocol().equalsIgnoreCase(b.getProtocol())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort();
  }

  private static void copyBody(HttpURLConnection c, Path target) throws IOException {
    long expected = c.getContentLengthLong();
    long copied;
    try (InputStream in = c.getInputStream()) {
      copied = Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    BYTES.inc(copied);
    if (expected >= 0 && copied != expected) {
      throw new IOException("body ended after " + copied + " of " + expected + " bytes");
    }
  }

  /**
   * Reads the error body up to {@link #MAX_ERROR_BODY_BYTES} (so the connection can be reused, and
   * an endless body is not read) and returns its first KiB as text.
   */
  private static String errorText(HttpURLConnection c) {
    try (InputStream err = c.getErrorStream()) {
      if (err == null) {
        return "";
      }
      byte[] body = err.readNBytes(MAX_ERROR_BODY_BYTES);
      String text = new String(body, StandardCharsets.UTF_8).strip();
      return text.length() > ERROR_TEXT_CHARS ? text.substring(0, ERROR_TEXT_CHARS) + "…" : text;
    } catch (IOException e) {
      return ""; // the status is what matters
    }
  }

  /**
   * How long to wait after the {@code failures}-th failed attempt: {@code Retry-After} when the
   * server sent one (seconds or an HTTP date), else {@code initialBackoff * 2^(failures-1)}; both
   * capped at {@code maxBackoff}.
   */
  public static long backoffMillis(
      int failures, @Nullable String retryAfter, Policy p, Instant now) {
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
