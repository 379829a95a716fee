package dev.hogbeam.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * A local stand-in for Amplitude's Export API ({@code GET /api/2/export?start=..&end=..}), for
 * tests: the JDK's HTTP server on 127.0.0.1, an ephemeral port.
 *
 * <ul>
 *   <li>HTTP basic auth with the API key and secret key given at start; anything else gets 401.
 *   <li>Serves one hour per request: {@code start} and {@code end} must be the same {@code
 *       yyyyMMddTHH} hour (Amplitude's bounds are inclusive; hogbeam never asks for more), else
 *       400. An hour given to {@link #putHour} answers 200 with that zip; any other hour 404, as
 *       Amplitude answers for a range without data.
 *   <li>Scripted trouble: {@link #failNext} (a queue of statuses for an hour, e.g. 429 with
 *       Retry-After, 503, 504), {@link #failAlways} (e.g. 400 for an hour over 4 GB), {@link
 *       #failRequest} (by request number), {@link #dropNext} (a body cut short), {@link #stallNext}
 *       (an answer that comes too late).
 *   <li>Records every request ({@link #requests()}), to prove which hours were asked for and that
 *       none was asked twice.
 * </ul>
 */
public final class FakeAmplitudeExportServer implements AutoCloseable {
  private static final Pattern HOUR = Pattern.compile("\\d{8}T\\d{2}");

  /** One request as the server saw it. */
  public static final class Request {
    public final int number;
    public final String path;
    public final String start;
    public final String end;
    public final boolean authorized;
    public final int status;

    Request(int number, String path, String start, String end, boolean authorized, int status) {
      this.number = number;
      this.path = path;
      this.start = start;
      this.end = end;
      this.authorized = authorized;
      this.status = status;
    }

    @Override
    public String toString() {
      return "#" + number + " " + path + " start=" + start + " end=" + end + " -> " + status;
    }
  }

  private static final class Failure {
    final int status;
    final String retryAfter;

    Failure(int status, String retryAfter) {
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final String expectedAuth;
  private final Map<String, byte[]> hours = new HashMap<>();
  private final Map<String, Deque<Failure>> nextFailures = new HashMap<>();
  private final Map<String, Integer> alwaysFailures = new HashMap<>();
  private final Map<Integer, Failure> requestFailures = new HashMap<>();
  private final Set<String> drops = new HashSet<>();
  private final Map<String, Duration> stalls = new HashMap<>();
  private final List<Request> requests = new ArrayList<>();

  private FakeAmplitudeExportServer(String apiKey, String secretKey) throws IOException {
    this.expectedAuth =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((apiKey + ":" + secretKey).getBytes(StandardCharsets.UTF_8));
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    this.executor = Executors.newCachedThreadPool();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server that accepts these keys. */
  public static FakeAmplitudeExportServer start(String apiKey, String secretKey) {
    try {
      return new FakeAmplitudeExportServer(apiKey, secretKey);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Scheme, host and port, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Serves {@code zip} for {@code hour} ({@code yyyyMMddTHH}). */
  public synchronized FakeAmplitudeExportServer putHour(String hour, byte[] zip) {
    hours.put(hour, zip.clone());
    return this;
  }

  /** The next request for {@code hour} gets {@code status} (queued; retryAfter may be null). */
  public synchronized FakeAmplitudeExportServer failNext(
      String hour, int status, String retryAfter) {
    nextFailures
        .computeIfAbsent(hour, h -> new ArrayDeque<>())
        .add(new Failure(status, retryAfter));
    return this;
  }

  /** Every request for {@code hour} gets {@code status}. */
  public synchronized FakeAmplitudeExportServer failAlways(String hour, int status) {
    alwaysFailures.put(hour, status);
    return this;
  }

  /** Request number {@code n} (1-based, counting all requests) gets {@code status}. */
  public synchronized FakeAmplitudeExportServer failRequest(int n, int status, String retryAfter) {
    requestFailures.put(n, new Failure(status, retryAfter));
    return this;
  }

  /** The next 200 for {@code hour} announces the full length but sends half and hangs up. */
  public synchronized FakeAmplitudeExportServer dropNext(String hour) {
    drops.add(hour);
    return this;
  }

  /** The next request for {@code hour} waits {@code delay} before answering. */
  public synchronized FakeAmplitudeExportServer stallNext(String hour, Duration delay) {
    stalls.put(hour, delay);
    return this;
  }

  /** Every request so far, in arrival order. */
  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  /** How many requests asked for {@code hour} (as start). */
  public synchronized long requestCount(String hour) {
    return requests.stream().filter(r -> hour.equals(r.start)).count();
  }

  /** The hours asked for by requests answered 200 or 404, in order. */
  public synchronized List<String> servedHours() {
    List<String> out = new ArrayList<>();
    for (Request r : requests) {
      if (r.status == 200 || r.status == 404) {
        out.add(r.start);
      }
    }
    return out;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (InputStream body = ex.getRequestBody()) {
      body.transferTo(OutputStream.nullOutputStream());
    }
    Map<String, String> query = query(ex.getRequestURI().getRawQuery());
    String start = query.getOrDefault("start", "");
    String end = query.getOrDefault("end", "");
    boolean authorized = expectedAuth.equals(ex.getRequestHeaders().getFirst("Authorization"));
    String path = ex.getRequestURI().getPath();

    byte[] zip = null;
    Failure failure = null;
    boolean drop = false;
    Duration stall;
    int status;
    synchronized (this) {
      int number = requests.size() + 1;
      if (!path.equals("/api/2/export")) {
        status = 404;
      } else if (!authorized) {
        status = 401;
      } else if (!HOUR.matcher(start).matches() || !start.equals(end)) {
        status = 400;
      } else if (requestFailures.containsKey(number)) {
        failure = requestFailures.remove(number);
        status = failure.status;
      } else if (nextFailures.containsKey(start) && !nextFailures.get(start).isEmpty()) {
        failure = nextFailures.get(start).poll();
        status = failure.status;
      } else if (alwaysFailures.containsKey(start)) {
        status = alwaysFailures.get(start);
      } else if (hours.containsKey(start)) {
        zip = hours.get(start);
        status = 200;
        drop = drops.remove(start);
      } else {
        status = 404;
      }
      stall = stalls.remove(start);
      requests.add(new Request(number, path, start, end, authorized, status));
    }
    if (stall != null) {
      try {
        Thread.sleep(stall.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (failure != null && failure.retryAfter != null) {
      ex.getResponseHeaders().set("Retry-After", failure.retryAfter);
    }
    if (status == 200) {
      ex.getResponseHeaders().set("Content-Type", "application/zip");
      ex.sendResponseHeaders(200, zip.length);
      OutputStream out = ex.getResponseBody();
      if (drop) {
        // Announce the whole zip, send half, hang up.
        out.write(zip, 0, zip.length / 2);
        out.flush();
        ex.close();
        return;
      }
      out.write(zip);
      out.close();
      return;
    }
    byte[] message = ("fake amplitude export: " + status).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain");
    ex.sendResponseHeaders(status, message.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(message);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null) {
      return q;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        q.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return q;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
