package dev.hogbeam.pipeline.files;

import static dev.hogbeam.pipeline.files.FilesTestData.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.KilledRun;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.LocalS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hogbeam files --format=posthog} reading {@code s3://} (the local S3-compatible server),
 * killed mid-send in a child JVM ({@code destroyForcibly}, as {@code kill -9}) that took its S3
 * keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, then the same command again: the files are
 * read again whole, and every event arrives with its fields, at most one batch per group (UTC day)
 * twice.
 */
class FilesResumeAfterKillTest {
  private static final int BATCH = 4;
  private static final int EVENTS = 120;
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @TempDir Path tmp;

  @Test
  void aKilledRunResumesReSendingAtMostOneBatchPerGroup() throws Exception {
    // 120 events over three UTC days, spread over three gzipped files (each file has every day).
    Map<String, String> expected = new TreeMap<>();
    List<List<String>> files = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int i = 0; i < EVENTS; i++) {
      String uuid = String.format(Locale.ROOT, "01900000-0000-7000-8000-%012d", i);
      String ts = String.format(Locale.ROOT, "2024-05-0%dT%02d:%02d:00", 1 + i % 3, i % 24, i % 60);
      files
          .get(i % 3 == 0 ? 0 : i % 5 == 0 ? 1 : 2)
          .add(
              String.format(
                  Locale.ROOT,
                  "{\"event\":\"e%d\",\"distinct_id\":\"user-%d\",\"timestamp\":\"%sZ\","
                      + "\"uuid\":\"%s\",\"properties\":{\"n\":%d}}",
                  i % 4,
                  i % 7,
                  ts,
                  uuid,
                  i));
      expected.put(
          uuid,
          "e"
              + (i % 4)
              + "|user-"
              + (i % 7)
              + "|"
              + ts
              + ".000000Z|{\"n\":"
              + i
              + ",\"$geoip_disable\":true}");
    }
    try (LocalS3 s3 = LocalS3.start();
        FakeCaptureServer capture =
            FakeCaptureServer.builder()
                .faultPlan(FaultPlan.always(Fault.delay(Duration.ofMillis(150))).batchOnly())
                .start()) {
      for (int f = 0; f < 3; f++) {
        s3.put("export", "events/part-" + f + ".jsonl.gz", FilesTestData.gzip(files.get(f)));
      }
      Path checkpoints = tmp.resolve("ck");
      List<String> args = new ArrayList<>();
      args.addAll(
          List.of(
              "--format=posthog",
              "--inputFiles=s3://export/events/*.jsonl.gz",
              "--posthogUrl=" + capture.url(),
              "--batchSize=" + BATCH,
              "--checkpointDir=" + checkpoints,
              "--progressIntervalSeconds=1"));
      args.addAll(FilesTestData.s3Flags(s3));
      Map<String, String> childEnv = new HashMap<>(FilesTestData.s3KeysEnvironment());
      childEnv.put("POSTHOG_API_KEY", KEY);

      // 1. The first run, in its own JVM, killed once a few batches were acknowledged.
      KilledRun.start(FilesCommand.class, args, childEnv, tmp)
          .killAfterAcknowledged(capture, 6, DEADLINE);
      Map<String, GroupCheckpoint> atKill =
          CheckpointStore.at(checkpoints.toString()).readAllGroups();
      assertTrue(atKill.values().stream().anyMatch(g -> !g.done()), "killed mid-send: " + atKill);
      long sentBeforeKill = atKill.values().stream().mapToLong(GroupCheckpoint::sent).sum();
      long inFlightAtKill =
          atKill.values().stream()
              .mapToLong(g -> g.inFlight() == null ? 0 : g.inFlight().events())
              .sum();

      // 2. The same command again, in this JVM, PostHog at full speed.
      capture.setFaultPlan(FaultPlan.none());
      FilesTestData.useS3Keys();
      CommandRun second;
      try {
        second = FilesTestData.files(Map.of("POSTHOG_API_KEY", KEY), args);
      } finally {
        FilesTestData.clearS3Keys();
      }
      assertEquals(ExitCodes.OK, second.exitCode(), second.describe());

      // Every event delivered with its fields; copies only of at most one batch per day.
      Map<String, ReceivedEvent> firsts = new TreeMap<>();
      Map<String, Integer> copiesPerDay = new TreeMap<>();
      for (ReceivedEvent e : capture.events()) {
        if (firsts.putIfAbsent(e.uuid(), e) != null) {
          copiesPerDay.merge(e.timestamp().substring(0, 10), 1, Integer::sum);
        }
      }
      FilesMigrationTest.assertSameEvents(
          expected, FilesMigrationTest.received(new ArrayList<>(firsts.values())));
      copiesPerDay.forEach(
          (day, copies) ->
              assertTrue(copies <= BATCH, day + ": " + copies + " events received twice"));
      long copies = capture.events().size() - EVENTS;
      assertTrue(copies <= inFlightAtKill, copies + " copies, " + inFlightAtKill + " in flight");
      assertTrue(sentBeforeKill > 0 && sentBeforeKill < EVENTS, "killed mid-run");
      System.out.printf(
          "killed after %d events acknowledged; %d received twice %s%n",
          sentBeforeKill, copies, copiesPerDay);

      // The account: both runs, the three files read again, the re-sent batch counted.
      RunReport report = FilesTestData.report(checkpoints);
      assertEquals(
          List.of(
              "file s3://export/events/part-0.jsonl.gz",
              "file s3://export/events/part-1.jsonl.gz",
              "file s3://export/events/part-2.jsonl.gz"),
          new ArrayList<>(new TreeMap<>(report.section(RunReport.SHARDS)).keySet()));
      assertEquals(inFlightAtKill, report.total(RunReport.RUN, "possiblyResent"));
      assertEquals(EVENTS, sentBeforeKill + report.total(RunReport.GROUPS, "sent"));
    }
  }
}
