package dev.hogbeam.pipeline.jdbc;

import static dev.hogbeam.pipeline.jdbc.JdbcTestData.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.KilledChildRun;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.jdbc.JdbcTestData.Row;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code hogbeam jdbc} run from PostgreSQL killed mid-send in a child JVM ({@code
 * destroyForcibly}, as {@code kill -9}), then the same command again: every row delivered exactly
 * once, except at most one batch per group (a UTC day) received twice.
 */
class JdbcResumeAfterKillTest {
  private static final int BATCH = 4;
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @TempDir Path tmp;

  @Test
  void aKilledRunResumesReSendingAtMostOneBatchPerGroup() throws Exception {
    assumeTrue(
        LocalPostgres.available(),
        "PostgreSQL is not installed (apt-get install -y postgresql; .ci/run installs it)");
    List<Row> rows = JdbcTestData.rows(150).stream().filter(r -> !JdbcTestData.refused(r)).toList();
    try (LocalPostgres pg = LocalPostgres.start();
        FakeCaptureServer capture =
            FakeCaptureServer.builder()
                .faultPlan(FaultPlan.always(Fault.delay(Duration.ofMillis(150))).batchOnly())
                .start()) {
      try (Connection c = pg.connect()) {
        JdbcTestData.loadPostgres(c, rows);
      }
      Path checkpoints = tmp.resolve("ck");
      List<String> args =
          args(
              List.of("--jdbcUrl=" + pg.jdbcUrl(), "--jdbcUser=" + LocalPostgres.USER),
              JdbcTestData.mapping("ts", "timestamp"),
              List.of(
                  "--uuidColumn=event_uuid",
                  "--uuidFrom=id",
                  "--posthogUrl=" + capture.url(),
                  "--batchSize=" + BATCH,
                  "--checkpointDir=" + checkpoints,
                  "--progressIntervalSeconds=1"));
      Map<String, String> env =
          Map.of("POSTHOG_API_KEY", JdbcTestData.KEY, "JDBC_PASSWORD", pg.password());

      KilledChildRun.start(JdbcMigration.class, args, env, tmp)
          .killWhen(
              () -> capture.requests().stream().filter(r -> r.status() == 200).count() >= 6,
              DEADLINE);
      Map<String, GroupCheckpoint> atKill =
          CheckpointStore.at(checkpoints.toString()).readAllGroups();
      assertTrue(atKill.values().stream().anyMatch(g -> !g.done()), "killed mid-send: " + atKill);
      long sentBeforeKill = atKill.values().stream().mapToLong(GroupCheckpoint::sent).sum();

      capture.setFaultPlan(FaultPlan.none());
      CommandRun second = JdbcTestData.runCommand(env, args);
      assertEquals(ExitCodes.OK, second.exitCode(), second.describe());

      // Every row delivered with its fields; copies only of at most one batch per day.
      List<ReceivedEvent> received = capture.events();
      Map<String, ReceivedEvent> firsts = new TreeMap<>();
      Map<String, Integer> copiesPerDay = new TreeMap<>();
      List<ReceivedEvent> firstReceipts = new ArrayList<>();
      for (ReceivedEvent e : received) {
        if (firsts.putIfAbsent(e.uuid(), e) != null) {
          copiesPerDay.merge(e.timestamp().substring(0, 10), 1, Integer::sum);
        } else {
          firstReceipts.add(e);
        }
      }
      assertEquals(
          JdbcTestData.expectedByUuid(rows, false, false),
          JdbcTestData.receivedByUuid(firstReceipts));
      copiesPerDay.forEach(
          (day, copies) ->
              assertTrue(copies <= BATCH, day + ": " + copies + " events received twice"));
      System.out.printf(
          "killed after %d events acknowledged; %d received twice %s%n",
          sentBeforeKill, received.size() - rows.size(), copiesPerDay);
      assertTrue(sentBeforeKill > 0 && sentBeforeKill < rows.size(), "killed mid-run");
    }
  }
}
