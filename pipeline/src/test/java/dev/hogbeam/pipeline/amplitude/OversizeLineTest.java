package dev.hogbeam.pipeline.amplitude;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MB line in an Amplitude export file, read by a JVM with a 256 MB heap: the line is
 * dead-lettered with its first KiB, every other line is delivered, the exit code says so.
 */
class OversizeLineTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final byte[] HUGE_START = "{\"event_type\":\"huge\",\"blob\":\"".getBytes(UTF_8);
  private static final long HUGE_BYTES = HUGE_START.length + 200L * 1024 * 1024 + 2;

  @TempDir Path tmp;

  @Test
  void aTwoHundredMegabyteLineIsDeadLetteredAndTheRestDeliveredInA256MbHeap() throws Exception {
    Path file = tmp.resolve("exports/big.json");
    Files.createDirectories(file.getParent());
    Set<String> expected = new TreeSet<>();
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      for (int i = 0; i < 10; i++) {
        String uuid = String.format("0190b000-0000-7000-8000-%012d", i);
        expected.add(uuid);
        out.write(
            (AmplitudeTestData.line(
                        uuid, "click", "user-" + i, "dev-" + i, "2024-06-01 10:00:0" + i)
                    + "\n")
                .getBytes(UTF_8));
        if (i == 4) {
          out.write(HUGE_START);
          byte[] chunk = new byte[1 << 20];
          Arrays.fill(chunk, (byte) 'a');
          for (int mb = 0; mb < 200; mb++) {
            out.write(chunk);
          }
          out.write("\"}\n".getBytes(UTF_8));
        }
      }
    }
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx256m");
      command.add("-cp");
      command.add(
          System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
      command.add(AmplitudeMigration.class.getName());
      command.addAll(
          List.of(
              "--runner=DirectRunner",
              "--persons=none",
              "--inputFiles=" + file,
              "--posthogUrl=" + capture.url(),
              "--posthogApiKey=phc_oversize_line_test",
              "--progressIntervalSeconds=0",
              "--checkpointDir=" + tmp.resolve("checkpoints")));
      Path log = tmp.resolve("run.log");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "finished");
      String output = Files.readString(log);
      assertEquals(3, p.exitValue(), "exit code: dead letters\n" + output);

      assertEquals(
          expected,
          capture.events().stream()
              .filter(e -> !e.event().equals("$create_alias")) // and one alias per user
              .map(ReceivedEvent::uuid)
              .collect(Collectors.toCollection(TreeSet::new)),
          output);
      List<JsonNode> dead = new ArrayList<>();
      try (Stream<Path> files = Files.list(tmp.resolve("checkpoints/dead-letters"))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          for (String line : Files.readAllLines(f)) {
            if (!line.isBlank()) {
              dead.add(JSON.readTree(line));
            }
          }
        }
      }
      assertEquals(1, dead.size(), dead.toString());
      JsonNode d = dead.get(0);
      assertEquals("read", d.path("stage").asText());
      assertTrue(d.path("source").asText().contains("big.json"), d.toString());
      assertTrue(d.path("reason").asText().contains("--maxLineBytes"), d.path("reason").asText());
      assertTrue(
          d.path("reason").asText().contains(" " + HUGE_BYTES + " bytes"),
          d.path("reason").asText());
      assertEquals(1024, d.path("payload").asText().length());
      assertTrue(d.path("payload").asText().startsWith("{\"event_type\":\"huge\""));
    }
  }
}
