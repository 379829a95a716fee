package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hogbeam.event.CaptureEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HttpTransportTest {

  @Test
  void anEndlessErrorBodyIsReadOnlyUpToTheCap() throws Exception {
    AtomicLong written = new AtomicLong();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/batch/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(400, 0); // chunked, no length
          byte[] chunk = new byte[64 * 1024];
          Arrays.fill(chunk, (byte) 'x');
          try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < 16 * 1024; i++) { // up to 1 GiB, if anyone read it
              out.write(chunk);
              written.addAndGet(chunk.length);
            }
          } catch (IOException e) {
            // the client stopped reading
          }
        });
    server.start();
    try {
      HttpTransport transport =
          new HttpTransport(
              URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/batch/"),
              "phc_key",
              1,
              Duration.ofSeconds(5),
              Duration.ofSeconds(60));
      CaptureEvent e =
          CaptureEvent.of("00000000-0000-7000-8000-000000000001", "x", "u", 1_000_000L, "{}");
      CaptureTransport.Response r =
          transport.send("g", transport.encode(List.of(new PreparedEvent(e, e.toJsonUtf8()))));
      assertEquals(400, r.status);
      assertTrue(r.message.length() <= HttpTransport.MAX_MESSAGE_CHARS + 3, r.message);
      assertTrue(
          written.get() < 256L * 1024 * 1024, "the server could not push it all: " + written.get());
    } finally {
      server.stop(0);
    }
  }
}
