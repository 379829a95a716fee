package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.clickhouse.ClickHouseMigration;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.testing.FakePostHog;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The memory figure of {@code verify}: 1M source events over 10 days, PostHog holding all but the
 * events whose uuid hash is 0 mod 1000, verified in a separate JVM with {@code -Xmx256m}. Run it
 * with {@code -DverifyMillion=true} (it takes minutes); docs/benchmarks.md has the figures.
 */
class VerifyMillionEventsTest extends VerifyHarness {

  @Test
  void aMillionEventsVerifyIn256Megabytes() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("verifyMillion"), "-DverifyMillion=true runs it");
    db = ch.createDatabase("verify_million");
    PostHogDataGenerator.createEvents(ch, db, Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(2)
                .startDay(DAY0)
                .days(10)
                .eventsPerTeamDay(100_000)
                .duplicateFraction(0)
                .seed(1)
                .build());
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    ch.execute(
        "INSERT INTO "
            + posthog.database()
            + ".events SELECT * FROM "
            + db
            + ".events WHERE cityHash64(toString(uuid)) % 1000 != 0");
    long lost =
        longQuery(
            "SELECT uniqExact(uuid) FROM "
                + db
                + ".events WHERE cityHash64(toString(uuid)) % 1000 = 0 AND event != ''"
                + " AND distinct_id != ''");

    // The checkpoint directory a migration leaves: its plan and migration.json.
    List<String> args =
        new ArrayList<>(
            List.of(
                "--clickhouseUrl=" + ch.jdbcUrl(),
                "--clickhouseUser=" + ch.user(),
                "--clickhouseDatabase=" + db,
                "--teamId=2",
                "--startDate=2024-03-01",
                "--endDate=2024-03-11",
                "--posthogUrl=" + posthog.url(),
                "--posthogApiKey=" + KEY,
                "--checkpointDir=" + checkpoints()));
    if (!ch.password().isEmpty()) {
      args.add("--clickhousePassword=" + ch.password());
    }
    String[] a = args.toArray(new String[0]);
    PipelineOptionsFactory.register(ClickHouseOptions.class);
    ClickHouseMigration.create(
        PipelineOptionsFactory.fromArgs(a).as(ClickHouseOptions.class),
        new dev.hogbeam.pipeline.MigrationCommand.Environment(
            System.out, System.err, Map.of(), MIGRATION_CLOCK));
    MigrationRecord.write(
        CheckpointStore.at(checkpoints().toString()), "clickhouse", a, ClickHouseOptions.class);

    Path log = tmp.resolve("verify.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(VerifyCommand.class.getName());
    cmd.add("--checkpointDir=" + checkpoints());
    cmd.add("--posthogProjectId=" + PROJECT);
    cmd.add("--ingestionLagSeconds=0");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY);
    if (!ch.password().isEmpty()) {
      pb.environment().put("CLICKHOUSE_PASSWORD", ch.password());
    }
    long started = System.nanoTime();
    Process p = pb.start();
    assertTrue(p.waitFor(20, TimeUnit.MINUTES));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    String out = Files.readString(log);
    System.out.println(out);
    System.out.println("verify of 1M events in -Xmx256m: " + seconds + " s");

    assertEquals(ExitCodes.MISSING, p.exitValue(), out);
    JsonNode json = verifyJson();
    assertEquals(lost, json.at("/totals/missing").asLong());
    assertEquals(1_000_000L, json.at("/totals/source").asLong());
    System.out.println(
        "queries: source "
            + json.at("/queries/source")
            + ", PostHog "
            + json.at("/queries/destination")
            + "; cells "
            + json.get("cells").size()
            + "; missing "
            + lost);
  }
}
