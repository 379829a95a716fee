package dev.hogbeam.pipeline.mixpanel;

import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.API_SECRET;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.KEY;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.PROJECT;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.USER;
import static dev.hogbeam.pipeline.mixpanel.MixpanelTestData.USER_SECRET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.NameUuids;
import dev.hogbeam.mixpanel.MixpanelEventMapper;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.KilledRun;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.FakeMixpanelExportServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code hogbeam mixpanel} Export API run killed mid-send in a child JVM ({@code
 * destroyForcibly}, as {@code kill -9}), then the same command again, while the fake Export API
 * answers every new download of a day with other bytes (lines shuffled, older duplicates compacted
 * away), and every staged day is split into hour pieces: every event delivered, with its fields,
 * each day downloaded once (the resumed run reads the staged copy and its pieces), and no more
 * copies than one batch per day (PostHog de-duplicates them by uuid).
 */
class MixpanelResumeAfterKillTest {
  private static final int BATCH = 4;
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final List<String> DAYS = List.of("2024-05-01", "2024-05-02", "2024-05-03");
  private static final int PER_DAY = 40;

  @TempDir Path tmp;

  /** One expected event: the line's fields as PostHog must receive them. */
  private record Expected(String event, String distinctId, Instant at) {}

  @Test
  void aKilledRunResumesFromTheStagedDaysAndDeliversEveryEvent() throws Exception {
    Map<String, Expected> expected = new TreeMap<>();
    Map<String, Integer> receiptsPerUuid = new TreeMap<>();
    try (FakeMixpanelExportServer mixpanel =
            FakeMixpanelExportServer.start("us", PROJECT, USER, USER_SECRET, API_SECRET);
        FakeCaptureServer capture =
            FakeCaptureServer.builder()
                .faultPlan(FaultPlan.always(Fault.delay(Duration.ofMillis(150))).batchOnly())
                .start()) {
      for (int d = 0; d < DAYS.size(); d++) {
        long midnight = Instant.parse(DAYS.get(d) + "T00:00:00Z").getEpochSecond();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < PER_DAY; i++) {
          String insertId = "d" + d + "-" + i;
          String user = "user-" + (i % 7);
          boolean millis = i % 2 == 0;
          long seconds = midnight + 1500L * i + 7; // 40 lines over 17 hours
          String time = millis ? (seconds * 1000 + 250) + "" : seconds + "";
          lines.add(
              "{\"event\":\"Step "
                  + (i % 3)
                  + "\",\"properties\":{\"time\":"
                  + time
                  + ",\"distinct_id\":\""
                  + user
                  + "\",\"$insert_id\":\""
                  + insertId
                  + "\",\"n\":"
                  + i
                  + "}}");
          String uuid = NameUuids.v5(MixpanelEventMapper.INSERT_ID_NAMESPACE, insertId);
          expected.put(
              uuid,
              new Expected(
                  "Step " + (i % 3),
                  user,
                  Instant.ofEpochSecond(seconds, millis ? 250_000_000 : 0)));
          receiptsPerUuid.put(uuid, 1);
        }
        // An older copy of line 0 (same $insert_id), which compaction drops from later downloads.
        lines.add(lines.get(0).replace("\"n\":0", "\"n\":0,\"copy\":\"older\""));
        receiptsPerUuid.merge(
            NameUuids.v5(MixpanelEventMapper.INSERT_ID_NAMESPACE, "d" + d + "-0"), 1, Integer::sum);
        mixpanel.putDay(DAYS.get(d), lines).compactOnRedownload(DAYS.get(d), Set.of(PER_DAY));
      }

      Path checkpoints = tmp.resolve("ck");
      List<String> args =
          List.of(
              "--mixpanelUrl=" + mixpanel.url("us"),
              "--startDate=2024-05-01",
              "--endDate=2024-05-04",
              "--identify=false",
              "--mixpanelSplitDayBytes=100", // every day is split into hour pieces
              "--posthogUrl=" + capture.url(),
              "--batchSize=" + BATCH,
              "--checkpointDir=" + checkpoints,
              "--progressIntervalSeconds=1");
      Map<String, String> env = Map.of("POSTHOG_API_KEY", KEY, "MIXPANEL_API_SECRET", API_SECRET);

      KilledRun.start(MixpanelMigration.class, args, env, tmp)
          .killAfterAcknowledged(capture, 6, DEADLINE);
      Map<String, GroupCheckpoint> atKill =
          CheckpointStore.at(checkpoints.toString()).readAllGroups();
      assertTrue(atKill.values().stream().anyMatch(g -> !g.done()), "killed mid-send: " + atKill);

      capture.setFaultPlan(FaultPlan.none());
      CommandRun second = MixpanelTestData.runCommand(env, args);
      assertEquals(ExitCodes.OK, second.exitCode(), second.describe());

      // Every event, with its fields; each day downloaded once, the resumed run read it staged.
      Map<String, Integer> received = new TreeMap<>();
      Map<String, Integer> extraPerDay = new TreeMap<>();
      for (ReceivedEvent e : capture.events()) {
        Expected x = expected.get(e.uuid());
        assertTrue(x != null, "unexpected event " + e.jsonText());
        assertEquals(x.event(), e.event());
        assertEquals(x.distinctId(), e.distinctId());
        assertEquals(x.at(), Instant.parse(e.timestamp()));
        assertEquals(true, e.properties().get("historical_migration").asBoolean());
        assertEquals("mixpanel", e.properties().get("analytics_source").asText());
        int n = received.merge(e.uuid(), 1, Integer::sum);
        if (n > receiptsPerUuid.get(e.uuid())) {
          extraPerDay.merge(e.timestamp().substring(0, 10), 1, Integer::sum);
        }
      }
      assertEquals(expected.keySet(), received.keySet(), "every event delivered");
      for (String day : DAYS) {
        assertEquals(1, mixpanel.downloads(day), day + " downloaded once, then read staged");
        assertTrue(Files.exists(checkpoints.resolve("downloads/" + day + ".jsonl.gz")));
        assertTrue(Files.exists(checkpoints.resolve("downloads/" + day + ".split.done")));
        for (int h = 0; h < 24; h++) {
          assertEquals(
              h <= 16,
              Files.exists(
                  checkpoints.resolve(String.format("downloads/%sT%02d.jsonl.gz", day, h))),
              day + " hour " + h);
        }
        assertTrue(
            extraPerDay.getOrDefault(day, 0) <= BATCH,
            day + ": " + extraPerDay.get(day) + " events received again");
      }
      System.out.printf(
          "killed with %s; events received again after the resume: %s%n", atKill, extraPerDay);
    }
  }
}
