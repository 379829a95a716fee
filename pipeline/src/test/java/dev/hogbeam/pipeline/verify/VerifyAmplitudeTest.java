package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakePostHog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code verify} of an Amplitude migration: the files read again through the same mapping. */
class VerifyAmplitudeTest extends VerifyHarness {
  private final List<String> uuids = new ArrayList<>();

  /** 60 events of 20 users over two days, each user on a device first, then logged in. */
  private Path exports() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String uuid = String.format("0190c000-0000-7000-8000-%012d", i);
      uuids.add(uuid);
      String type = i % 3 == 0 ? "Viewed Home" : i % 3 == 1 ? "Logged In" : "Purchased";
      String user = i % 3 == 0 ? null : "user-" + (i % 20);
      String time = String.format("2024-05-%02d 1%d:%02d:00", 1 + i % 2, i % 10, i % 60);
      lines.add(
          AmplitudeExportZipBuilder.webEvent(uuid, type, user, "dev-" + (i % 20), time).toString());
    }
    Path dir = tmp.resolve("exports");
    Files.createDirectories(dir);
    Files.write(
        dir.resolve("may.zip"),
        new AmplitudeExportZipBuilder("123").file("20240501T00", 0, lines).build());
    return dir;
  }

  private Run migrateAmplitude(Path exports) {
    return run(
        (args, env) -> AmplitudeMigration.command().run(args, env),
        List.of(
            "--runner=DirectRunner",
            "--persons=none",
            "--inputFiles=" + exports + "/*.zip",
            "--posthogUrl=" + posthog.url(),
            "--posthogApiKey=" + KEY,
            "--batchSize=7",
            "--progressIntervalSeconds=0",
            "--checkpointDir=" + checkpoints()),
        Map.of(),
        MIGRATION_CLOCK);
  }

  @Test
  void lostEventsOfAnAmplitudeMigrationAreNamedAndRepaired() throws Exception {
    Path exports = exports();
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    List<String> lost = List.of(uuids.get(4), uuids.get(17), uuids.get(33), uuids.get(58));
    posthog.loseEvents(lost);
    Run m = migrateAmplitude(exports);
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.MISSING, v.exitCode(), v.out() + v.err());
    assertEquals(new TreeSet<>(lost), missingTsv());
    JsonNode json = verifyJson();
    assertEquals(60 - 4, json.at("/totals/destination").asLong(), json.toString());
    assertEquals(60, json.at("/totals/source").asLong());
    Set<String> days = new TreeSet<>();
    json.get("cells").forEach(c -> days.add(c.get("day").asText()));
    assertEquals(Set.of("2024-05-01", "2024-05-02"), days);
    for (JsonNode c : json.get("cells")) {
      assertTrue(!c.get("event").asText().equals("$create_alias"), "aliases are not compared");
    }

    posthog.stopLosing();
    int before = posthog.capture().events().size();
    Run r = verify("--ingestionLagSeconds=0", "--repair");

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    List<ReceivedEvent> resent = posthog.capture().events();
    resent = resent.subList(before, resent.size());
    Set<String> resentUuids = new TreeSet<>();
    resent.forEach(e -> resentUuids.add(e.uuid()));
    assertEquals(4, resent.size(), "exactly the missing events, once each");
    assertEquals(new TreeSet<>(lost), resentUuids);
    assertEquals("complete", verifyJson().get("verdict").asText());
  }

  @Test
  void aCleanAmplitudeMigrationVerifiesComplete() throws Exception {
    Path exports = exports();
    posthog = FakePostHog.start(ch, PROJECT, PERSONAL_KEY);
    Run m = migrateAmplitude(exports);
    assertEquals(ExitCodes.OK, m.exitCode(), m.out() + m.err());

    Run v = verify("--ingestionLagSeconds=0");

    assertEquals(ExitCodes.OK, v.exitCode(), v.out() + v.err());
    JsonNode json = verifyJson();
    assertEquals("complete", json.get("verdict").asText());
    assertEquals(60, json.at("/totals/source").asLong());
    assertEquals(60, json.at("/totals/destination").asLong());
  }
}
