package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST probe against a local HTTP server answering like Flink's JobManager. */
class FlinkClusterProbeTest {

  // The shape of Flink 1.19's GET /taskmanagers, trimmed.
  private static final String TWO_TASK_MANAGERS =
      "{\"taskmanagers\":[{\"id\":\"127.0.0.1:40001-a\",\"slotsNumber\":2,\"freeSlots\":2},"
          + "{\"id\":\"127.0.0.1:40002-b\",\"slotsNumber\":4,\"freeSlots\":4}]}";

  private HttpServer server;
  private volatile int status = 200;
  private volatile String body = TWO_TASK_MANAGERS;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/taskmanagers",
        exchange -> {
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private String master() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private static FlinkClusterProbe probe() {
    return FlinkClusterProbe.rest(Duration.ofSeconds(5));
  }

  @Test
  void countsTaskManagersAndSlots() throws IOException {
    assertEquals(new FlinkClusterProbe.Cluster(2, 6), probe().probe(master()));
    assertEquals(new FlinkClusterProbe.Cluster(2, 6), probe().probe("http://" + master() + "/"));
  }

  @Test
  void emptyCluster() throws IOException {
    body = "{\"taskmanagers\":[]}";
    assertEquals(new FlinkClusterProbe.Cluster(0, 0), probe().probe(master()));
  }

  @Test
  void httpErrorsAndNonsenseAreIoErrors() {
    status = 404;
    IOException notFound = assertThrows(IOException.class, () -> probe().probe(master()));
    assertEquals(
        "GET http://" + master() + "/taskmanagers answered HTTP 404", notFound.getMessage());
    status = 200;
    body = "{\"jobs\":[]}";
    IOException nonsense = assertThrows(IOException.class, () -> probe().probe(master()));
    assertEquals("no 'taskmanagers' list in the JobManager's answer", nonsense.getMessage());
  }

  @Test
  void nothingListening() throws IOException {
    int freePort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      freePort = socket.getLocalPort();
    }
    IOException e = assertThrows(IOException.class, () -> probe().probe("127.0.0.1:" + freePort));
    assertTrue(e instanceof java.net.ConnectException, e.toString());
  }
}
