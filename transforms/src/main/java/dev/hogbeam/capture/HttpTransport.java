package dev.hogbeam.capture;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * Sends batches to PostHog: {@code POST <host>/batch/} with {@code {"api_key": ...,
 * "historical_migration": true, "batch": [...]}}, gzip, and no {@code sent_at} (so PostHog keeps
 * each event's own timestamp).
 *
 * <p>The JDK {@link HttpClient} is shared by every sender of the JVM (one per connect timeout): it
 * is thread-safe, pools kept-alive connections (one per concurrent request on HTTP/1.1) and owns a
 * selector thread, so one per DoFn instance would multiply threads and connections, and leak them
 * when a runner discards instances without tearing them down. HTTP/1.1 is forced: with HTTP/2 all
 * senders would share one connection and one slow response would hold up the rest.
 */
final class HttpTransport implements CaptureTransport {
  private static final ConcurrentHashMap<Duration, HttpClient> CLIENTS = new ConcurrentHashMap<>();
  static final int MAX_MESSAGE_CHARS = 500;
  private static final String USER_AGENT = "hogbeam/0.1 (Apache Beam)";

  private final URI batchUri;
  private final String apiKey;
  private final byte[] prefix;
  private final byte[] suffix = "]}".getBytes(UTF_8);
  private final int gzipLevel;
  private final Duration requestTimeout;
  private final HttpClient client;

  HttpTransport(
      URI batchUri,
      String apiKey,
      int gzipLevel,
      Duration connectTimeout,
      Duration requestTimeout) {
    this.batchUri = batchUri;
    this.apiKey = apiKey;
    this.prefix = envelopePrefix(apiKey).getBytes(UTF_8);
    this.gzipLevel = gzipLevel;
    this.requestTimeout = requestTimeout;
    this.client =
        CLIENTS.computeIfAbsent(
            connectTimeout,
            t ->
                HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(t)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build());
  }

  /** {@code {"api_key":"<key>","historical_migration":true,"batch":[}. */
  static String envelopePrefix(String apiKey) {
    StringBuilder sb = new StringBuilder("{\"api_key\":\"");
    JsonStringEncoder.getInstance().quoteAsString(apiKey, sb);
    return sb.append("\",\"historical_migration\":true,\"batch\":[").toString();
  }

  @Override
  public Encoded encode(List<PreparedEvent> events) throws IOException {
    long json = prefix.length + suffix.length + Math.max(0, events.size() - 1);
    for (PreparedEvent e : events) {
      json += e.jsonBytes();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(json / 4 + 1024, json));
    // The events' JSON is UTF-8 already: bytes go to the compressor as they are, buffered so that
    // the deflater sees large inputs rather than one call per event and comma.
    try (OutputStream gz = new BufferedOutputStream(new GzipStream(out, gzipLevel), 65536)) {
      gz.write(prefix);
      for (int i = 0; i < events.size(); i++) {
        if (i > 0) {
          gz.write(',');
        }
        gz.write(events.get(i).json);
      }
      gz.write(suffix);
    }
    return new Body(events, json, out.toByteArray());
  }

  @Override
  public Response send(String groupKey, Encoded request) throws IOException, InterruptedException {
    byte[] body = ((Body) request).gzipped;
    HttpRequest httpRequest =
        HttpRequest.newBuilder(batchUri)
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .header("User-Agent", USER_AGENT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<InputStream> response =
        client.send(httpRequest, HttpResponse.BodyHandlers.ofInputStream());
    String text;
    try (InputStream in = response.body()) {
      // PostHog's answers are short; a server that streams an endless body is not read to the end.
      text = new String(in.readNBytes(MAX_RESPONSE_BYTES), StandardCharsets.UTF_8);
    }
    return new Response(
        response.statusCode(),
        safeMessage(text, apiKey),
        RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), Instant.now()));
  }

  /** The most of a response body that is read. */
  static final int MAX_RESPONSE_BYTES = 64 * 1024;

  /** The server's message, shortened, with the key removed should the server echo it. */
  static String safeMessage(String body, String apiKey) {
    String m = body == null ? "" : body.strip();
    if (!apiKey.isEmpty()) {
      m = m.replace(apiKey, "<api key>");
    }
    return m.length() > MAX_MESSAGE_CHARS ? m.substring(0, MAX_MESSAGE_CHARS) + "..." : m;
  }

  private static final class Body implements Encoded {
    private final List<PreparedEvent> events;
    private final long jsonBytes;
    final byte[] gzipped;

    Body(List<PreparedEvent> events, long jsonBytes, byte[] gzipped) {
      this.events = events;
      this.jsonBytes = jsonBytes;
      this.gzipped = gzipped;
    }

    @Override
    public List<PreparedEvent> events() {
      return events;
    }

    @Override
    public long jsonBytes() {
      return jsonBytes;
    }

    @Override
    public long wireBytes() {
      return gzipped.length;
    }
  }

  /** {@link GZIPOutputStream} at a chosen level. */
  static final class GzipStream extends GZIPOutputStream {
    GzipStream(OutputStream out, int level) throws IOException {
      super(out, 65536);
      def.setLevel(level);
    }
  }
}
