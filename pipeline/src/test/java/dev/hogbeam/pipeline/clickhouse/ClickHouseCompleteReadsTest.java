package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server whose user profile cuts results short ({@code max_result_rows} with overflow mode {@code
 * break}, the way a shared ClickHouse limits ad-hoc users) makes the run fail loudly, naming the
 * shard: it never finishes a shard with part of its rows.
 */
class ClickHouseCompleteReadsTest extends ClickHouseHarness {
  static LocalClickHouse limited;

  @BeforeAll
  static void limitedEngine() {
    // The profile of a limited user: results end, with no error, after the block that passes
    // 50 rows (blocks of 10 rows where the engine honours max_block_size).
    limited =
        LocalClickHouse.builder()
            .profileSetting("max_result_rows", "50")
            .profileSetting("result_overflow_mode", "break")
            .profileSetting("max_block_size", "10")
            .startLocal();
  }

  @AfterAll
  static void stopLimited() {
    if (limited != null) {
      limited.close();
    }
  }

  @Test
  void aProfileThatCutsResultsShortFailsTheRunNamingTheShard() throws Exception {
    String db = limited.createDatabase("complete_reads");
    PostHogDataGenerator.createEvents(limited, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(2)
                .startDay(DAY0)
                .days(1)
                .eventsPerTeamDay(300)
                .seed(5)
                .build());
    server = FakeCaptureServer.start();
    // The profile is real: a plain query comes back short, without an error.
    try (var c = limited.connect(db);
        var s = c.createStatement();
        var rs = s.executeQuery("SELECT number FROM numbers(300)")) {
      int rows = 0;
      while (rs.next()) {
        rows++;
      }
      assertTrue(rows < 300, "the profile cuts a plain query short: " + rows + " rows");
    }

    List<String> a = args(db);
    a.replaceAll(
        arg ->
            arg.startsWith("--clickhouseUrl=")
                ? "--clickhouseUrl=" + limited.jdbcUrl()
                : arg.startsWith("--clickhouseUser=") ? "--clickhouseUser=" + limited.user() : arg);
    Run r = run(array(a));

    assertEquals(ExitCodes.FAILED, r.exitCode(), r.out() + r.err());
    String all = r.out() + r.err();
    assertTrue(all.contains("Reading ClickHouse shard team2-2024-03-01"), all);
    assertTrue(all.contains("TOO_MANY_ROWS_OR_BYTES"), all);
    assertEquals(0, server.acceptedEventCount(), "nothing of a shard read short is sent");
  }
}
