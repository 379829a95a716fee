package dev.hogbeam.runners;

import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.clickhouse.ClickHouseMigration;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The body of {@code hogbeam demo} (see {@link Demo}): runs only where the testing kit ({@code
 * dev.hogbeam.testing}, from {@code hogbeam-testing.jar}) is on the classpath.
 */
final class DemoRun {
  static final String DEMO_KEY = Demo.DEMO_KEY;
  static final LocalDate FIRST_DAY = Demo.FIRST_DAY;
  static final int DAYS = Demo.DAYS;

  private DemoRun() {}

  static int run(String[] args, PrintStream out) throws IOException {
    long eventsPerTeamDay = 5000;
    List<String> pass = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--events=")) {
        eventsPerTeamDay = Long.parseLong(a.substring("--events=".length()));
        if (eventsPerTeamDay <= 0) {
          throw new UsageException("--events must be > 0, but was " + eventsPerTeamDay);
        }
      } else {
        pass.add(a);
      }
    }
    Path work = Files.createTempDirectory("hogbeam-demo-");
    out.println(
        "hogbeam demo: starting the local ClickHouse engine"
            + " (the first run installs it from npm, about 170 MB)");
    try (LocalClickHouse ch =
            LocalClickHouse.builder().dataDirectory(work.resolve("clickhouse")).start();
        FakeCaptureServer capture = FakeCaptureServer.start()) {
      String db = ch.createDatabase("posthog_demo");
      PostHogDataGenerator.Generated g =
          PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
              .generate(
                  PostHogDataGenerator.spec()
                      .teams(1, 2)
                      .startDay(FIRST_DAY)
                      .days(DAYS)
                      .eventsPerTeamDay(eventsPerTeamDay)
                      .duplicateFraction(0.01)
                      .seed(42)
                      .build());
      out.printf(
          Locale.ROOT,
          "hogbeam demo: loaded %,d sample events (%,d unmerged copies) for teams 1 and 2, %s to %s,"
              + " into %s.events at %s%n",
          g.events(),
          g.duplicates(),
          FIRST_DAY,
          FIRST_DAY.plusDays(DAYS - 1),
          db,
          ch.httpUrl());
      out.println("hogbeam demo: local capture endpoint at " + capture.url());

      List<String> migration =
          new ArrayList<>(
              List.of(
                  "--clickhouseUrl=" + ch.jdbcUrl(),
                  "--clickhouseUser=" + ch.user(),
                  "--clickhouseDatabase=" + db,
                  "--teamId=2",
                  "--startDate=" + FIRST_DAY,
                  "--endDate=" + FIRST_DAY.plusDays(DAYS),
                  "--posthogUrl=" + capture.url(),
                  "--checkpointDir=" + work.resolve("checkpoints"),
                  "--progressIntervalSeconds=5"));
      migration.addAll(pass);
      out.println(
          "hogbeam demo: running hogbeam clickhouse "
              + String.join(" ", migration)
              + " (the API key comes from POSTHOG_API_KEY)");
      out.println();
      int code =
          ClickHouseMigration.command()
              .run(
                  migration.toArray(new String[0]),
                  new MigrationCommand.Environment(
                      out,
                      System.err,
                      java.util.Map.of("POSTHOG_API_KEY", DEMO_KEY),
                      java.time.Clock.systemUTC()));
      out.println();
      List<ReceivedEvent> events = capture.events();
      long historical = capture.requests().stream().filter(r -> r.historicalMigration()).count();
      out.printf(
          Locale.ROOT,
          "hogbeam demo: the capture endpoint accepted %,d events in %,d requests"
              + " (%,d of them with historical_migration: true, gzip: %s)%n",
          capture.acceptedEventCount(),
          capture.requestCount(),
          historical,
          capture.requests().isEmpty() ? "-" : capture.requests().get(0).contentEncoding());
      if (!events.isEmpty()) {
        out.println("hogbeam demo: the first event it received:");
        out.println("  " + abbreviate(events.get(0).jsonText(), 600));
      }
      out.println(
          "hogbeam demo: checkpoints, report and dead letters are in "
              + work.resolve("checkpoints"));
      return code;
    }
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }
}
