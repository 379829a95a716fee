package dev.hogbeam.pipeline.jdbc;

import static dev.hogbeam.pipeline.jdbc.JdbcTestData.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.jdbc.JdbcTestData.Row;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.LocalMariaDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam jdbc} against a real MariaDB ({@link LocalMariaDb}): DATETIME(6) timestamps (no
 * zone: UTC), a JSON column, CHAR(36) uuids with NULLs (name-based instead), unicode; three days
 * delivered exactly, field by field, and the rows without event name or distinct_id dead-lettered.
 */
class MariaDbMigrationTest {
  private static LocalMariaDb db;
  private static List<Row> rows;

  @TempDir Path tmp;

  @BeforeAll
  static void startMariaDb() throws Exception {
    assumeTrue(
        LocalMariaDb.available(),
        "MariaDB is not installed (apt-get install -y mariadb-server; .ci/run installs it)");
    db = LocalMariaDb.start();
    rows = JdbcTestData.rows(45);
    List<Row> all = new ArrayList<>(rows);
    all.addAll(JdbcTestData.outside());
    try (Connection c = db.connect()) {
      JdbcTestData.loadMariaDb(c, all);
    }
  }

  @AfterAll
  static void stopMariaDb() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void threeDaysDeliveredFieldByField() throws Exception {
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      CommandRun run =
          JdbcTestData.runCommand(
              Map.of("POSTHOG_API_KEY", JdbcTestData.KEY, "JDBC_PASSWORD", db.password()),
              args(
                  List.of("--jdbcUrl=" + db.jdbcUrl(), "--jdbcUser=" + LocalMariaDb.USER),
                  JdbcTestData.mapping("ts", "timestamp"),
                  List.of(
                      "--uuidColumn=event_uuid",
                      "--uuidFrom=id",
                      "--posthogUrl=" + capture.url(),
                      "--batchSize=5",
                      "--checkpointDir=" + tmp.resolve("ck"),
                      "--progressIntervalSeconds=0")));
      assertEquals(ExitCodes.DEAD_LETTERS, run.exitCode(), run.describe());
      assertEquals(
          JdbcTestData.expectedByUuid(rows, false, false),
          JdbcTestData.receivedByUuid(capture.events()));
      assertEquals(
          4, JdbcTestData.deadLetters(tmp.resolve("ck/dead-letters")).size(), run.describe());
    }
  }
}
