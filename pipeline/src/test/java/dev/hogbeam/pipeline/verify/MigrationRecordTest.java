package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** migration.json keeps the migration's own flags, never a secret, never a runner flag. */
class MigrationRecordTest {
  @TempDir Path tmp;

  @Test
  void secretsAndRunnerFlagsAreNotRecorded() throws Exception {
    String[] args = {
      "--runner=FlinkRunner",
      "--flinkMaster=[local]",
      "--clickhouseUrl=http://ch:8123",
      "--clickhousePassword=s3cret-password",
      "--posthogApiKey=phc_secretkey",
      "--posthogUrl=https://eu.i.posthog.com",
      "--teamId=2",
      "--dryRun"
    };
    CheckpointStore store = CheckpointStore.at(tmp.toString());

    MigrationRecord.write(store, "clickhouse", args, ClickHouseOptions.class);

    String text = Files.readString(tmp.resolve(MigrationRecord.FILE));
    assertEquals(false, text.contains("s3cret"), text);
    assertEquals(false, text.contains("phc_secretkey"), text);
    MigrationRecord r = MigrationRecord.read(store);
    assertEquals("clickhouse", r.source());
    assertEquals(
        List.of(
            "--clickhouseUrl=http://ch:8123",
            "--posthogUrl=https://eu.i.posthog.com",
            "--teamId=2",
            "--dryRun"),
        r.args());
  }

  @Test
  void flagsGivenToVerifyReplaceRecordedOnes() {
    assertEquals(
        List.of("--teamId=2", "--clickhouseUrl=http://other:8123", "--runner=DirectRunner"),
        MigrationRecord.merge(
            List.of("--clickhouseUrl=http://ch:8123", "--teamId=2"),
            List.of("--clickhouseUrl=http://other:8123", "--runner=DirectRunner")));
  }

  @Test
  void appHostIsTheIngestionHostMappedBack() {
    assertEquals("https://us.posthog.com", AppHost.of("https://us.i.posthog.com/"));
    assertEquals("https://us.posthog.com", AppHost.of("https://app.posthog.com"));
    assertEquals("https://eu.posthog.com", AppHost.of("https://eu.i.posthog.com"));
    assertEquals("https://eu.posthog.com", AppHost.of("https://eu.posthog.com"));
    assertEquals("https://posthog.example.com", AppHost.of("https://posthog.example.com/"));
  }
}
