package dev.hogbeam.clickhouse;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sits between the driver and ClickHouse's HTTP interface and breaks chosen requests: answers one
 * with ClickHouse's "too many simultaneous queries" error (code 202), or cuts one response off
 * halfway through its body. Everything else passes through unchanged.
 */
final class FlakyClickHouseProxy implements AutoCloseable {
  enum Fault {
    TOO_MANY_QUERIES,
    CUT_OFF_BODY,
    /**
     * The result comes back short without an error, whatever the request asks (as from a server
     * limit in {@code break} mode): the query's {@code LIMIT} is cut to 10 rows.
     */
    SHORT_RESULT,
    /**
     * A row limit ({@code max_result_rows = 10}, blocks of 5 rows) added to the request, which
     * keeps its own overflow mode: what a profile's limit does to a client that sets the mode.
     */
    ROW_LIMIT
  }

  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "content-length",
          "host",
          "transfer-encoding",
          "keep-alive",
          "upgrade",
          "expect");

  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final String target;
  private final Map<Integer, Fault> faults = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();

  /** Forwards to {@code targetHttpUrl} (e.g. http://127.0.0.1:8123). */
  FlakyClickHouseProxy(String targetHttpUrl) throws IOException {
    this.target = targetHttpUrl.replaceAll("/$", "");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  String jdbcUrl() {
    return "jdbc:clickhouse:http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** From now on, the {@code n}-th request (1-based, counted from this call) gets {@code fault}. */
  void arm(Map<Integer, Fault> schedule) {
    requests.set(0);
    faults.clear();
    faults.putAll(schedule);
  }

  /** Requests seen since {@link #arm}. */
  int requests() {
    return requests.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      int n = requests.incrementAndGet();
      Fault fault = faults.get(n);
      byte[] body = ex.getRequestBody().readAllBytes();
      if (fault == Fault.TOO_MANY_QUERIES) {
        byte[] msg =
            ("Code: 202. DB::Exception: Too many simultaneous queries. Maximum: 1."
                    + " (TOO_MANY_SIMULTANEOUS_QUERIES) (version 26.7.2.1)\n")
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("X-ClickHouse-Exception-Code", "202");
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=UTF-8");
        ex.sendResponseHeaders(500, msg.length);
        ex.getResponseBody().write(msg);
        return;
      }
      String uri = ex.getRequestURI().toString();
      if (fault == Fault.SHORT_RESULT) {
        body =
            new String(body, StandardCharsets.UTF_8)
                .replaceFirst(" LIMIT \\d+", " LIMIT 10")
                .getBytes(StandardCharsets.UTF_8);
      } else if (fault == Fault.ROW_LIMIT) {
        uri = uri + (uri.contains("?") ? "&" : "?") + "max_block_size=5&max_result_rows=10";
      }
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(target + uri))
              .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        if (!HOP_BY_HOP.contains(h.getKey().toLowerCase())) {
          for (String v : h.getValue()) {
            req.header(h.getKey(), v);
          }
        }
      }
      HttpResponse<byte[]> resp;
      try {
        resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      resp.headers()
          .map()
          .forEach(
              (k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
                  vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
              });
      byte[] out = resp.body();
      ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
      OutputStream os = ex.getResponseBody();
      if (fault == Fault.CUT_OFF_BODY) {
        os.write(out, 0, out.length / 2);
        os.flush();
        return; // the exchange closes short of its declared length: the client sees the body end
        // early
      }
      os.write(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
