package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * chDB installs handlers for SIGSEGV/SIGBUS/SIGILL/SIGFPE; HotSpot needs its own there (implicit
 * null checks in JIT-compiled code raise SIGSEGV). The front end keeps the JVM's handlers. These
 * tests provoke NullPointerExceptions in compiled code while the engine runs a query: they must
 * complete, and, as the control, they hang when chDB's handlers are left in place.
 */
class ChdbSignalTrapTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ITERATIONS = 2_000_000;

  /** Runs the self-test; empty if it did not answer within {@code deadline}. */
  private static JsonNode npeStorm(LocalClickHouse clickHouse, Duration deadline) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(clickHouse.httpUrl() + "/hogbeam/selftest/npe?iterations=" + ITERATIONS))
            .timeout(deadline)
            .GET()
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      return JSON.readTree(response.body());
    } catch (IOException e) {
      // HttpTimeoutException, or the process died: either way, no answer.
      return null;
    }
  }

  @Test
  void nullPointerExceptionsInCompiledCodeWhileAQueryRunsDoNotHang() throws Exception {
    LocalClickHouse clickHouse = LocalClickHouse.shared();
    assumeFalse(clickHouse.isExternal(), "the signal trap concerns the local engine only");
    JsonNode result = npeStorm(clickHouse, Duration.ofMinutes(2));
    assertTrue(
        result != null,
        "the NPE self-test did not answer within 2 minutes: the JVM hangs on its signals");
    assertEquals(ITERATIONS / 2, result.path("npes").asLong());
    assertEquals(
        20_000_000, result.path("query_rows").asLong(), "the concurrent query ran to completion");
    JsonNode status = JSON.readTree(clickHouse.httpGet("/hogbeam/status"));
    assertTrue(status.path("signal_guard").asBoolean());
    System.out.println("NPE storm with the JVM's handlers: " + result + ", status " + status);
  }

  @Test
  void withChdbsHandlersLeftInPlaceTheSameStormHangs() throws Exception {
    assumeFalse(
        LocalClickHouse.shared().isExternal(), "the signal trap concerns the local engine only");
    LocalClickHouse trapped = LocalClickHouse.builder().keepEngineSignalHandlers().startLocal();
    try {
      JsonNode status = JSON.readTree(trapped.httpGet("/hogbeam/status"));
      assertFalse(status.path("signal_guard").asBoolean());
      JsonNode result = npeStorm(trapped, Duration.ofSeconds(15));
      assertEquals(
          null, result, "expected the storm to hang without the signal guard, but it answered");
    } finally {
      trapped.killForcibly();
    }
  }
}
