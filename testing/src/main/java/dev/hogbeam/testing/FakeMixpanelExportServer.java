package dev.hogbeam.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;

/**
 * A local stand-in for Mixpanel's raw Export API ({@code GET
 * /api/2.0/export?from_date=D&to_date=D}), for tests: the JDK's HTTP server on 127.0.0.1, one port
 * per data residency ({@link #url}: us, eu).
 *
 * <ul>
 *   <li>Auth as Mixpanel documents it: HTTP basic with a service account ({@code user:secret}, and
 *       then {@code project_id} must name the project, else 400) or with the project's API secret
 *       as user name and an empty password; anything else gets 401.
 *   <li>The project lives in one residency; the other host answers 400 with a JSON error, as
 *       Mixpanel does for a project asked at the wrong residency.
 *   <li>One day per request ({@code from_date} = {@code to_date}, else 400): the day's lines given
 *       to {@link #putDay}, as JSON lines; a day without lines answers 200 with an empty body.
 *       {@code Accept-Encoding: gzip} gets a gzip body when it is over 1400 bytes, as documented.
 *   <li>Unstable bytes, as Mixpanel's: every download of a day shuffles its lines in another order,
 *       and from the second download on, the lines given to {@link #compactOnRedownload} (older
 *       copies of duplicates) are gone.
 *   <li>Rate limits ({@link #limits}): over the requests per second or per hour (counted over every
 *       request of the last second or hour), 429 with {@code Retry-After: 1}. {@link #failNext}
 *       scripts statuses (e.g. a 429) for a day's next requests.
 *   <li>Records every request ({@link #requests()}) with its arrival time.
 * </ul>
 */
public final class FakeMixpanelExportServer implements AutoCloseable {
  /** One request as the server saw it. */
  public record Request(
      int number,
      String region,
      long arrivalNanos,
      String fromDate,
      String toDate,
      String projectId,
      String auth,
      int status,
      boolean gzip) {}

  private record Failure(int status, String retryAfter) {}

  private final Map<String, HttpServer> servers = new LinkedHashMap<>();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final String region;
  private final String projectId;
  private final String serviceAuth;
  private final String secretAuth;
  private final Map<String, List<String>> days = new HashMap<>();
  private final Map<String, Set<Integer>> compacted = new HashMap<>();
  private final Map<String, Integer> downloads = new HashMap<>();
  private final Map<String, Deque<Failure>> failures = new HashMap<>();
  private final List<Request> requests = new ArrayList<>();
  private final Deque<Long> recent = new ArrayDeque<>();
  private int perSecond = Integer.MAX_VALUE;
  private int perHour = Integer.MAX_VALUE;

  private FakeMixpanelExportServer(
      String region, String projectId, String user, String userSecret, String apiSecret)
      throws IOException {
    this.region = region;
    this.projectId = projectId;
    this.serviceAuth = basic(user + ":" + userSecret);
    this.secretAuth = basic(apiSecret + ":");
    for (String r : List.of("us", "eu")) {
      HttpServer s =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      s.setExecutor(executor);
      s.createContext("/", exchange -> handle(r, exchange));
      s.start();
      servers.put(r, s);
    }
  }

  /**
   * A project living in {@code region} (us or eu) with this id, readable with this service account
   * or this API secret.
   */
  public static FakeMixpanelExportServer start(
      String region, String projectId, String user, String userSecret, String apiSecret) {
    try {
      return new FakeMixpanelExportServer(region, projectId, user, userSecret, apiSecret);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String basic(String pair) {
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  /** Scheme, host and port of a residency's host ({@code us} or {@code eu}). */
  public String url(String residency) {
    return "http://127.0.0.1:" + servers.get(residency).getAddress().getPort();
  }

  /** The day's lines ({@code yyyy-MM-dd}), each a JSON object as Mixpanel exports it. */
  public synchronized FakeMixpanelExportServer putDay(String day, List<String> lines) {
    days.put(day, List.copyOf(lines));
    return this;
  }

  /** From the second download of {@code day} on, the lines at these indexes are gone. */
  public synchronized FakeMixpanelExportServer compactOnRedownload(
      String day, Set<Integer> lineIndexes) {
    compacted.put(day, Set.copyOf(lineIndexes));
    return this;
  }

  /** At most this many requests in any second and in any hour (429 beyond). */
  public synchronized FakeMixpanelExportServer limits(int perSecond, int perHour) {
    this.perSecond = perSecond;
    this.perHour = perHour;
    return this;
  }

  /** The next requests for {@code day} answer these statuses (with Retry-After when given). */
  public synchronized FakeMixpanelExportServer failNext(String day, int status, String retryAfter) {
    failures.computeIfAbsent(day, d -> new ArrayDeque<>()).add(new Failure(status, retryAfter));
    return this;
  }

  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The most requests that arrived within any window of {@code windowNanos}. */
  public synchronized int mostRequestsWithin(long windowNanos) {
    List<Long> times = new ArrayList<>();
    for (Request r : requests) {
      times.add(r.arrivalNanos());
    }
    Collections.sort(times);
    int most = 0;
    int start = 0;
    for (int end = 0; end < times.size(); end++) {
      while (times.get(end) - times.get(start) >= windowNanos) {
        start++;
      }
      most = Math.max(most, end - start + 1);
    }
    return most;
  }

  private void handle(String host, HttpExchange ex) throws IOException {
    long arrival = System.nanoTime();
    try (InputStream in = ex.getRequestBody()) {
      in.readAllBytes();
    }
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    String from = q.getOrDefault("from_date", "");
    String to = q.getOrDefault("to_date", "");
    String project = q.getOrDefault("project_id", "");
    String given = ex.getRequestHeaders().getFirst("Authorization");
    String auth =
        serviceAuth.equals(given) ? "service" : secretAuth.equals(given) ? "secret" : "none";
    boolean wantsGzip =
        String.valueOf(ex.getRequestHeaders().getFirst("Accept-Encoding")).contains("gzip");
    int status;
    byte[] body;
    String retryAfter = null;
    boolean gzip = false;
    synchronized (this) {
      Failure f = failures.getOrDefault(from, new ArrayDeque<>()).poll();
      while (!recent.isEmpty() && arrival - recent.peekFirst() >= 3_600_000_000_000L) {
        recent.removeFirst();
      }
      long lastSecond = recent.stream().filter(t -> arrival - t < 1_000_000_000L).count();
      recent.addLast(arrival);
      if (!ex.getRequestURI().getPath().equals("/api/2.0/export")) {
        status = 404;
        body = error("not found");
      } else if (auth.equals("none")) {
        status = 401;
        body = error("Invalid credentials");
      } else if (!host.equals(region)) {
        status = 400;
        body = error("Project not found in this data residency. Use the correct API host.");
      } else if (auth.equals("service") && !projectId.equals(project)) {
        status = 400;
        body = error("project_id is required and must name a project of the service account");
      } else if (lastSecond >= perSecond || recent.size() > perHour) {
        status = 429;
        retryAfter = "1";
        body = error("rate limit exceeded");
      } else if (f != null) {
        status = f.status();
        retryAfter = f.retryAfter();
        body = error("scripted failure");
      } else if (from.isEmpty() || !from.equals(to)) {
        status = 400;
        body = error("this fake serves one day per request (from_date = to_date)");
      } else {
        status = 200;
        body = dayBody(from);
      }
      if (status == 200 && wantsGzip && body.length > 1400) {
        body = gzip(body);
        gzip = true;
      }
      requests.add(
          new Request(requests.size() + 1, host, arrival, from, to, project, auth, status, gzip));
    }
    if (retryAfter != null) {
      ex.getResponseHeaders().add("Retry-After", retryAfter);
    }
    if (gzip) {
      ex.getResponseHeaders().add("Content-Encoding", "gzip");
    }
    ex.getResponseHeaders()
        .add("Content-Type", status == 200 ? "text/plain; charset=utf-8" : "application/json");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** The day's lines in this download's order, without compacted lines after the first. */
  private byte[] dayBody(String day) {
    int download = downloads.merge(day, 1, Integer::sum);
    List<String> lines = days.getOrDefault(day, List.of());
    Set<Integer> gone = download > 1 ? compacted.getOrDefault(day, Set.of()) : Set.of();
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!gone.contains(i)) {
        kept.add(lines.get(i));
      }
    }
    Collections.shuffle(kept, new Random(31L * download + day.hashCode()));
    StringBuilder sb = new StringBuilder();
    for (String l : kept) {
      sb.append(l).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** How many times {@code day} was served with 200. */
  public synchronized int downloads(String day) {
    return downloads.getOrDefault(day, 0);
  }

  /** The days requested, in order. */
  public synchronized Set<String> daysRequested() {
    Set<String> out = new TreeSet<>();
    for (Request r : requests) {
      out.add(r.fromDate());
    }
    return out;
  }

  private static byte[] error(String message) {
    return ("{\"error\": \"" + message + "\", \"status\": \"error\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(body);
    }
    return out.toByteArray();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public void close() {
    servers.values().forEach(s -> s.stop(0));
    executor.shutdownNow();
  }
}
