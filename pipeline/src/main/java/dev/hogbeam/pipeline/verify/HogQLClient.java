package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A client of PostHog's query API: {@code POST {app host}/api/projects/{id}/query/} with a HogQL
 * query, {@code Authorization: Bearer <personal API key>}, {@code refresh: force_blocking} (counts
 * must be fresh, not cached).
 *
 * <p>It stays inside the API's documented limits: one query at a time (the limit is 3 concurrent),
 * at most {@value #PER_MINUTE} requests in any minute and {@value #PER_HOUR} in any hour (it waits
 * when the next request would exceed either), and on 429 it waits for {@code Retry-After} seconds
 * (1 s when absent) and asks again. 5xx answers and I/O errors are retried {@value #ATTEMPTS} times
 * with back-off. 401/403 fail at once; the key never appears in a message.
 */
public final class HogQLClient {
  static final int PER_MINUTE = 240;
  static final int PER_HOUR = 2400;
  static final int ATTEMPTS = 5;
  static final int MAX_THROTTLED = 50;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** PostHog refused the personal API key or the project. */
  public static final class QueryAuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QueryAuthException(String message) {
      super(message);
    }
  }

  /** Waits; replaceable in tests. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final URI uri;
  private final String personalApiKey;
  private final HttpClient http;
  private final Sleeper sleeper;
  private final Deque<Long> sent = new ArrayDeque<>();
  private int requests;
  private int throttled;

  HogQLClient(String appHost, String projectId, String personalApiKey, Sleeper sleeper) {
    this.uri = URI.create(AppHost.of(appHost) + "/api/projects/" + projectId + "/query/");
    this.personalApiKey = personalApiKey;
    this.sleeper = sleeper;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
  }

  public static HogQLClient create(String appHost, String projectId, String personalApiKey) {
    return new HogQLClient(appHost, projectId, personalApiKey, d -> Thread.sleep(d.toMillis()));
  }

  /** The query endpoint. */
  public URI uri() {
    return uri;
  }

  /** Requests sent so far, 429s included. */
  public int requests() {
    return requests;
  }

  /** Requests answered 429 so far. */
  public int throttled() {
    return throttled;
  }

  /**
   * Runs {@code hogql} with its {@code {placeholder}} values and returns the result rows.
   *
   * @param name what the query is for, stored in PostHog's query log
   */
  public List<JsonNode> query(String name, String hogql, Map<String, String> values)
      throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode q = body.putObject("query");
    q.put("kind", "HogQLQuery");
    q.put("query", hogql);
    ObjectNode v = q.putObject("values");
    values.forEach(v::put);
    body.put("name", "hogbeam verify: " + name);
    body.put("refresh", "force_blocking");
    byte[] bytes = JSON.writeValueAsBytes(body);
    int failures = 0;
    int throttles = 0;
    while (true) {
      waitForBudget();
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(120))
              .header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + personalApiKey)
              .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
              .build();
      requests++;
      HttpResponse<byte[]> response;
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        if (++failures >= ATTEMPTS) {
          throw new IOException("the query API at " + uri + " cannot be reached: " + e, e);
        }
        sleeper.sleep(backoff(failures));
        continue;
      }
      int status = response.statusCode();
      String text = new String(response.body(), StandardCharsets.UTF_8);
      if (status == 200) {
        JsonNode result = JSON.readTree(text);
        List<JsonNode> rows = new ArrayList<>();
        result.path("results").forEach(rows::add);
        return rows;
      }
      if (status == 429) {
        throttled++;
        if (++throttles > MAX_THROTTLED) {
          throw new IOException(
              "the query API at " + uri + " answered 429 " + throttles + " times");
        }
        sleeper.sleep(retryAfter(response));
        continue;
      }
      if (status == 401 || status == 403) {
        throw new QueryAuthException(
            "PostHog refused the personal API key for "
                + uri
                + " ("
                + status
                + ": "
                + detail(text)
                + "); check --posthogPersonalApiKey (it needs query:read) and --posthogProjectId");
      }
      if (status >= 500 && ++failures < ATTEMPTS) {
        sleeper.sleep(backoff(failures));
        continue;
      }
      throw new IOException("the query API answered " + status + ": " + detail(text));
    }
  }

  /**
   * Waits until one more request stays within {@value #PER_MINUTE}/min and {@value #PER_HOUR}/h.
   */
  private void waitForBudget() throws InterruptedException {
    while (true) {
      long now = System.nanoTime();
      while (!sent.isEmpty() && now - sent.peekFirst() >= Duration.ofHours(1).toNanos()) {
        sent.pollFirst();
      }
      long wait = 0;
      if (sent.size() >= PER_HOUR) {
        wait = sent.peekFirst() + Duration.ofHours(1).toNanos() - now;
      }
      int inLastMinute = 0;
      long oldestInMinute = now;
      for (var it = sent.descendingIterator(); it.hasNext(); ) {
        long t = it.next();
        if (now - t >= Duration.ofMinutes(1).toNanos()) {
          break;
        }
        inLastMinute++;
        oldestInMinute = t;
      }
      if (inLastMinute >= PER_MINUTE) {
        wait = Math.max(wait, oldestInMinute + Duration.ofMinutes(1).toNanos() - now);
      }
      if (wait <= 0) {
        sent.addLast(now);
        return;
      }
      sleeper.sleep(Duration.ofNanos(wait));
    }
  }

  static Duration retryAfter(HttpResponse<?> response) {
    String header = response.headers().firstValue("Retry-After").orElse(null);
    if (header != null) {
      try {
        long s = Long.parseLong(header.trim());
        return Duration.ofSeconds(Math.max(0, Math.min(s, 3600)));
      } catch (NumberFormatException e) {
        // an HTTP date: fall through to the default
      }
    }
    return Duration.ofSeconds(1);
  }

  private static Duration backoff(int failures) {
    return Duration.ofMillis(Math.min(30_000, 500L << Math.min(failures, 6)));
  }

  private static String detail(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.has("detail")) {
        return n.get("detail").asText();
      }
    } catch (IOException e) {
      // not JSON
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }
}
