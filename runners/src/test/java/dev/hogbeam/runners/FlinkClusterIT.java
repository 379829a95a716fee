package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.pipeline.clickhouse.SourceEvents;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.runners.JarProcess.Result;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Flink 1.19 standalone cluster started by {@code runners/flink-cluster.sh} (Flink's jars
 * resolved with Maven on first use), and {@code selftest} submitted to it from the bundled jar.
 * Failure messages carry the tails of the cluster's logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterIT {

  private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(6);

  /** Two TaskManagers (each its own JVM) of one slot each: work crosses processes. */
  private static final int TASK_MANAGERS = 2;

  private static final int SLOTS = 2;
  private static final String KEY = "phc_runners_it_project_key";

  private static Path script;
  private static Path flinkHome;
  private static int restPort;
  private static int rpcPort;
  private static boolean stopped;

  @BeforeAll
  static void startCluster() throws Exception {
    script =
        Path.of(System.getProperty("hogbeam.flinkClusterScript", "flink-cluster.sh"))
            .toAbsolutePath();
    flinkHome =
        Path.of(System.getProperty("hogbeam.flinkHome", "target/flink-it")).toAbsolutePath();
    try (ServerSocket rest = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket rpc = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      restPort = rest.getLocalPort();
      rpcPort = rpc.getLocalPort();
    }
    long started = System.nanoTime();
    Result result =
        script(
            "start",
            "--taskmanagers",
            String.valueOf(TASK_MANAGERS),
            "--slots",
            String.valueOf(SLOTS / TASK_MANAGERS),
            "--port",
            String.valueOf(restPort),
            "--rpc-port",
            String.valueOf(rpcPort));
    assertEquals(0, result.exitCode(), () -> result.describe() + logs());
    assertTrue(
        result
            .stdout()
            .contains(
                "ready at http://127.0.0.1:"
                    + restPort
                    + " ("
                    + TASK_MANAGERS
                    + " TaskManagers, "
                    + SLOTS
                    + " slots"),
        () -> result.describe() + logs());
    System.out.printf(
        "flink-cluster.sh start took %d ms%n", (System.nanoTime() - started) / 1_000_000);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (!stopped && script != null) {
      script("stop");
    }
  }

  @Test
  @Order(1)
  void statusReportsTheTaskManager() throws Exception {
    Result status = script("status");
    assertEquals(0, status.exitCode(), status::describe);
    assertTrue(
        status
            .stdout()
            .contains(
                "rest:        http://127.0.0.1:"
                    + restPort
                    + " ("
                    + TASK_MANAGERS
                    + " TaskManagers registered)"),
        status::describe);
  }

  @Test
  @Order(2)
  void startAgainIsANoOp() throws Exception {
    Result again = script("start", "--port", String.valueOf(restPort));
    assertEquals(0, again.exitCode(), again::describe);
    assertTrue(
        again.stdout().startsWith("flink-cluster: already running at http://127.0.0.1:" + restPort),
        again::describe);
  }

  @Test
  @Order(3)
  void selftestRunsOnTheCluster() throws Exception {
    Result result =
        JarProcess.hogbeam(
            Duration.ofMinutes(5),
            "selftest",
            "--runner=FlinkRunner",
            "--flinkMaster=127.0.0.1:" + restPort,
            "--elements=200000");
    assertEquals(0, result.exitCode(), () -> result.describe() + logs());
    assertEquals(
        "selftest OK: 200000 elements in 10 groups on FlinkRunner, rateLimitShares="
            + TASK_MANAGERS
            + "\n",
        result.stdout(),
        () -> result.describe() + logs());
    // The launcher sized the job from the cluster and staged the bundled jar itself.
    assertTrue(
        result
            .stderr()
            .contains(
                "Flink cluster at 127.0.0.1:"
                    + restPort
                    + ": 2 TaskManagers, 2 task slots; running with --parallelism=2"
                    + " --rateLimitShares="
                    + TASK_MANAGERS
                    + ", staging "
                    + JarProcess.jar()),
        result::describe);

    // It ran there: the cluster knows one finished job, and has no Beam of its own.
    JsonNode jobs = get("/jobs/overview").path("jobs");
    assertEquals(1, jobs.size(), jobs::toString);
    assertEquals("FINISHED", jobs.get(0).path("state").asText(), jobs::toString);
    JsonNode vertices = get("/jobs/" + jobs.get(0).path("jid").asText()).path("vertices");
    int widest = 0;
    for (JsonNode vertex : vertices) {
      widest = Math.max(widest, vertex.path("parallelism").asInt());
    }
    assertEquals(SLOTS, widest, () -> "the job used every slot: " + vertices);
    try (Stream<Path> lib = Files.list(flinkHome.resolve("lib"))) {
      assertFalse(
          lib.anyMatch(jar -> jar.getFileName().toString().startsWith("beam-")),
          "the cluster's lib/ must not contain Beam");
    }
  }

  @Test
  @Order(4)
  void theClickHouseMigrationGivesTheSameResultOnEveryRunner() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    String db = ch.createDatabase("runners_it");
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(1, 2)
                .startDay(LocalDate.of(2024, 2, 28))
                .days(4)
                .eventsPerTeamDay(3000)
                .duplicateFraction(0.02)
                .seed(3)
                .build());
    Instant start = Instant.parse("2024-02-29T00:00:00Z");
    Instant end = Instant.parse("2024-03-02T00:00:00Z");
    Map<String, Expected> expected = SourceEvents.expected(ch, db, "events", 2, start, end);
    long copies =
        storedRows(ch, db, "team_id = 2 AND timestamp >= '2024-02-29' AND timestamp < '2024-03-02'")
            - expected.size();
    assertTrue(copies > 0, "the data holds unmerged copies: " + copies);

    Map<String, List<String>> runners = new LinkedHashMap<>();
    runners.put("DirectRunner", List.of("--runner=DirectRunner"));
    runners.put("embedded Flink", List.of());
    runners.put(
        "Flink cluster", List.of("--runner=FlinkRunner", "--flinkMaster=127.0.0.1:" + restPort));
    Map<String, Map<String, List<String>>> sequences = new LinkedHashMap<>();
    Map<String, Map<String, Map<String, Map<String, Long>>>> accounts = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> runner : runners.entrySet()) {
      try (FakeCaptureServer capture = FakeCaptureServer.start()) {
        Path checkpoints = Files.createTempDirectory("hogbeam-it-checkpoints");
        List<String> args =
            new ArrayList<>(
                List.of(
                    "clickhouse",
                    "--clickhouseUrl=" + ch.jdbcUrl(),
                    "--clickhouseUser=" + ch.user(),
                    "--clickhouseDatabase=" + db,
                    "--teamId=2",
                    "--startDate=2024-02-29",
                    "--endDate=2024-03-02",
                    "--posthogUrl=" + capture.url(),
                    "--batchSize=200",
                    "--checkpointDir=" + checkpoints));
        args.addAll(runner.getValue());
        // Secrets as files: a TaskManager of the cluster reads them at setup (it does not share
        // this launcher's environment, and a value flag is refused for a cluster).
        args.add(
            "--posthogApiKeyFile=" + Files.writeString(checkpoints.resolve("posthog.key"), KEY));
        if (!ch.password().isEmpty()) {
          args.add(
              "--clickhousePasswordFile="
                  + Files.writeString(checkpoints.resolve("clickhouse.pw"), ch.password()));
        }
        Map<String, String> env = Map.of();
        long started = System.nanoTime();
        Result result = JarProcess.hogbeam(Duration.ofMinutes(5), env, args);
        System.out.printf(
            "clickhouse migration of %d events on %s: %d ms%n",
            expected.size(), runner.getKey(), (System.nanoTime() - started) / 1_000_000);
        assertEquals(
            0, result.exitCode(), () -> runner.getKey() + ": " + result.describe() + logs());
        SourceEvents.assertDelivered(expected, capture.events(), KEY);
        assertEquals(expected.size(), capture.acceptedEventCount(), runner.getKey());
        SourceEvents.assertInOrderPerDay(capture.events());
        RunReport report = RunReport.fromJson(Files.readString(checkpoints.resolve("report.json")));
        assertEquals(
            copies,
            report.total(RunReport.SHARDS, "copiesMerged"),
            runner.getKey() + ": every copy counted once, by the reader of its shard");
        assertEquals(0, report.total(RunReport.GROUPS, "duplicatesDropped"), runner.getKey());
        Map<String, List<String>> perDay = new TreeMap<>();
        for (ReceivedEvent e : capture.events()) {
          perDay
              .computeIfAbsent(e.timestamp().substring(0, 10), d -> new ArrayList<>())
              .add(e.jsonText());
        }
        sequences.put(runner.getKey(), perDay);
        accounts.put(runner.getKey(), account(report));
      }
    }
    assertEquals(
        sequences.get("DirectRunner"),
        sequences.get("embedded Flink"),
        "embedded Flink sends what the DirectRunner sends, in the same order per day");
    assertEquals(
        sequences.get("DirectRunner"),
        sequences.get("Flink cluster"),
        "the cluster sends what the DirectRunner sends, in the same order per day");
    assertEquals(
        accounts.get("embedded Flink"),
        accounts.get("Flink cluster"),
        "the cluster's account (report.json: every shard, group and total) is embedded Flink's");
    assertEquals(accounts.get("DirectRunner"), accounts.get("embedded Flink"));
  }

  /**
   * The account of a run: report.json's shards, send groups, migration totals and dead letters,
   * without what depends on timing (milliseconds, retries).
   */
  private static Map<String, Map<String, Map<String, Long>>> account(RunReport report) {
    Map<String, Map<String, Map<String, Long>>> out = new TreeMap<>();
    for (String section :
        List.of(RunReport.SHARDS, RunReport.GROUPS, RunReport.MIGRATION, RunReport.DEAD_LETTERS)) {
      Map<String, Map<String, Long>> entries = new TreeMap<>();
      report
          .section(section)
          .forEach(
              (key, counters) -> {
                Map<String, Long> kept = new TreeMap<>(counters);
                kept.keySet().removeIf(c -> c.contains("Millis") || c.startsWith("retries"));
                entries.put(key, kept);
              });
      out.put(section, entries);
    }
    assertTrue(out.get(RunReport.SHARDS).size() >= 2, () -> "shards in the account: " + out);
    return out;
  }

  @Test
  @Order(5)
  void stopStopsBothProcesses() throws Exception {
    Result stop = script("stop");
    stopped = true;
    assertEquals(0, stop.exitCode(), stop::describe);
    assertEquals("flink-cluster: stopped\n", stop.stdout(), stop::describe);
    assertFalse(listening(restPort), "nothing listens on the REST port after stop");
    assertFalse(listening(rpcPort), "nothing listens on the RPC port after stop");
    Result status = script("status");
    assertEquals(3, status.exitCode(), status::describe);
    assertEquals("jobmanager:  stopped\ntaskmanager: stopped\n", status.stdout());
  }

  private static Result script(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    return JarProcess.run(
        SCRIPT_TIMEOUT,
        Map.of(
            "HOGBEAM_FLINK_HOME", flinkHome.toString(),
            "HOGBEAM_FLINK_TM_MEMORY", "2048m",
            "HOGBEAM_FLINK_START_TIMEOUT", "180"),
        command);
  }

  private static long storedRows(LocalClickHouse ch, String db, String where) throws Exception {
    try (var c = ch.connect(db);
        var s = c.createStatement();
        var rs = s.executeQuery("SELECT count() FROM " + db + ".events WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response::body);
    return new ObjectMapper().readTree(response.body());
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The tails of the cluster's log files, for failure messages. */
  private static String logs() {
    StringBuilder text = new StringBuilder();
    for (String name :
        new String[] {
          "jobmanager.out",
          "jobmanager.log",
          "taskmanager.out",
          "taskmanager.log",
          "taskmanager-2.out",
          "taskmanager-2.log"
        }) {
      Path file = flinkHome.resolve("log").resolve(name);
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        text.append("\n--- tail of ").append(file).append('\n');
        lines
            .subList(Math.max(0, lines.size() - 60), lines.size())
            .forEach(line -> text.append(line).append('\n'));
      } catch (IOException e) {
        text.append("\n--- ").append(file).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return text.toString();
  }
}
