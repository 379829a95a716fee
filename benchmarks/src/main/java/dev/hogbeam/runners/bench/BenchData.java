package dev.hogbeam.runners.bench;

import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;

/**
 * One generated PostHog events table per benchmark size, kept in the engine's data directory so
 * that later runs (other runners, other invocations) reuse it: generating is not what is measured.
 * A table counts as generated once its marker table holds the generator's result; anything else
 * under that name is dropped and generated again. The copies are counted each time: merges in an
 * earlier engine process may have folded some of them together.
 */
record BenchData(
    String database,
    long teamId,
    LocalDate firstDay,
    int days,
    long events,
    long duplicates,
    Duration generated) {

  static final long TEAM = 2;
  static final LocalDate FIRST_DAY = LocalDate.of(2024, 3, 1);

  /** What the rows look like; part of the database name, so another shape never reuses a table. */
  record Shape(
      int days, int propertyBytes, int personPropertyBytes, double duplicateFraction, long seed) {
    String suffix(long events) {
      return String.format(
          Locale.ROOT,
          "n%d_d%d_p%d%s_dup%d_s%d",
          events,
          days,
          propertyBytes,
          personPropertyBytes == 0 ? "" : "_pp" + personPropertyBytes,
          Math.round(duplicateFraction * 10_000),
          seed);
    }
  }

  long rows() {
    return events + duplicates;
  }

  String startDate() {
    return firstDay.toString();
  }

  String endDate() {
    return firstDay.plusDays(days).toString();
  }

  /** The table for {@code events} events of {@code shape}: found, or generated now. */
  static BenchData ensure(LocalClickHouse ch, long events, Shape shape) throws SQLException {
    if (events % shape.days() != 0) {
      throw new IllegalArgumentException(
          "--events=" + events + " must be a multiple of --days=" + shape.days());
    }
    String db = "hogbeam_bench_" + shape.suffix(events);
    try (Connection c = ch.connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT count() FROM system.tables WHERE database = '"
                  + db
                  + "' AND name = 'generated'")) {
        rs.next();
        if (rs.getLong(1) == 1) {
          long millis = -1;
          try (ResultSet g = s.executeQuery("SELECT events, millis FROM " + db + ".generated")) {
            if (g.next() && g.getLong(1) == events) {
              millis = g.getLong(2);
            }
          }
          if (millis >= 0) {
            // A restarted engine merges again (SYSTEM STOP MERGES does not outlive it), and a
            // merge folds copies together: stop it, and count the copies there are now.
            s.execute("SYSTEM STOP MERGES " + db + ".events");
            try (ResultSet n =
                s.executeQuery("SELECT count() FROM " + db + ".events WHERE team_id = " + TEAM)) {
              n.next();
              return new BenchData(
                  db,
                  TEAM,
                  FIRST_DAY,
                  shape.days(),
                  events,
                  n.getLong(1) - events,
                  Duration.ofMillis(millis));
            }
          }
        }
      }
      s.execute("DROP DATABASE IF EXISTS " + db);
      s.execute("CREATE DATABASE " + db);
    }
    PostHogDataGenerator.Generated g =
        PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
            .generate(
                PostHogDataGenerator.spec()
                    .teams(TEAM)
                    .startDay(FIRST_DAY)
                    .days(shape.days())
                    .eventsPerTeamDay(events / shape.days())
                    .propertyBytes(shape.propertyBytes())
                    .personPropertyBytes(shape.personPropertyBytes())
                    .duplicateFraction(shape.duplicateFraction())
                    .seed(shape.seed())
                    .build());
    ch.execute(
        "CREATE TABLE "
            + db
            + ".generated (events UInt64, duplicates UInt64, millis UInt64)"
            + " ENGINE = MergeTree ORDER BY tuple()");
    ch.execute(
        "INSERT INTO "
            + db
            + ".generated VALUES ("
            + g.events()
            + ", "
            + g.duplicates()
            + ", "
            + g.took().toMillis()
            + ")");
    return new BenchData(db, TEAM, FIRST_DAY, shape.days(), g.events(), g.duplicates(), g.took());
  }
}
