package dev.hogbeam.pipeline.clickhouse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared set-up for the end-to-end tests of {@code hogbeam clickhouse}: the real ClickHouse engine
 * (shared per test JVM), a fresh database per test, the fake capture server, the command line run
 * in-process, and exact comparisons against the source table.
 */
abstract class ClickHouseHarness {
  static final String KEY = "phc_migrationtestkey";
  static final LocalDate DAY0 = LocalDate.of(2024, 3, 1);
  static final Instant START = DAY0.atStartOfDay(ZoneOffset.UTC).toInstant();
  static final Instant END = DAY0.plusDays(3).atStartOfDay(ZoneOffset.UTC).toInstant();
  static final Clock NOW = Clock.fixed(Instant.parse("2026-11-21T00:00:00Z"), ZoneOffset.UTC);
  static final ObjectMapper JSON = new ObjectMapper();

  static LocalClickHouse ch;
  FakeCaptureServer server;
  @TempDir Path tmp;

  @BeforeAll
  static void engine() {
    ch = LocalClickHouse.shared();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** A database with teams 1 and 2 over four days (one outside the range) in {@code layout}. */
  static String load(Layout layout, long eventsPerTeamDay) {
    return load(layout, eventsPerTeamDay, 1, 2);
  }

  /** As {@link #load(Layout, long)}, with events of {@code teams}. */
  static String load(Layout layout, long eventsPerTeamDay, long... teams) {
    String db = ch.createDatabase("migration_" + layout.name().toLowerCase());
    PostHogDataGenerator.createEvents(ch, db, layout)
        .generate(
            PostHogDataGenerator.spec()
                .teams(teams)
                .startDay(DAY0.minusDays(1))
                .days(5)
                .eventsPerTeamDay(eventsPerTeamDay)
                .duplicateFraction(0.03)
                .sharedTimestampFraction(0.2)
                .seed(11)
                .build());
    return db;
  }

  record Run(int exitCode, String out, String err) {}

  Run run(String... args) {
    return runWith(Map.of(), args);
  }

  /** The command with {@code variables} as its environment. */
  Run runWith(Map<String, String> variables, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ClickHouseMigration.command()
            .run(
                args,
                new MigrationCommand.Environment(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    variables,
                    NOW));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  List<String> args(String db, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=" + ch.user(),
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=2024-03-01",
                "--endDate=2024-03-04",
                "--posthogUrl=" + server.url(),
                "--posthogApiKey=" + KEY,
                "--batchSize=50",
                "--fetchLimit=200",
                "--progressIntervalSeconds=0",
                "--checkpointDir=" + tmp.resolve("checkpoints")));
    if (!ch.password().isEmpty()) {
      a.add("--clickhousePassword=" + ch.password());
    }
    a.addAll(Arrays.asList(extra));
    return a;
  }

  static String[] array(List<String> a) {
    return a.toArray(new String[0]);
  }

  static void assertDelivered(Map<String, Expected> expected, List<ReceivedEvent> received) {
    SourceEvents.assertDelivered(expected, received, KEY);
  }

  static void assertInOrderPerDay(List<ReceivedEvent> received) {
    SourceEvents.assertInOrderPerDay(received);
  }

  static long micros(String iso) {
    return Timestamps.toMicros(Instant.parse(iso));
  }

  static RunReport report(Path checkpoints) throws IOException {
    return RunReport.fromJson(Files.readString(checkpoints.resolve("report.json")));
  }

  static List<DeadLetter> deadLetters(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<DeadLetter> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().collect(Collectors.toList())) {
        for (String line : Files.readAllLines(f)) {
          if (!line.isBlank()) {
            out.add(DeadLetter.fromJsonLine(line));
          }
        }
      }
    }
    return out;
  }

  static long rows(String db, String where) throws Exception {
    try (var c = ch.connect(db);
        var s = c.createStatement();
        var rs = s.executeQuery("SELECT count() FROM " + db + ".events WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
