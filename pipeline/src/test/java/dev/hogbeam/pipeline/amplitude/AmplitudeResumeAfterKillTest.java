package dev.hogbeam.pipeline.amplitude;

import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.alias;
import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.line;
import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.KilledRun;
import dev.hogbeam.pipeline.amplitude.AmplitudeTestData.Sent;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.identity.PendingAliasPairs;
import dev.hogbeam.pipeline.identity.PendingAliasPairsTest;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeAmplitudeExportServer;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Export API path killed mid-send in a child JVM ({@code destroyForcibly}, as a crash or {@code
 * kill -9} would), then run again with the same command line: every event delivered, only the
 * batches in flight at the kill received twice, each alias pair sent exactly once, and a report
 * that accounts for both runs. The resumed run downloads nothing again.
 */
class AmplitudeResumeAfterKillTest {
  private static final String KEY = "phc_resume_after_kill_test";
  private static final String AMP_KEY = "amp-api-key-kill";
  private static final String AMP_SECRET = "amp-secret-key-kill";
  private static final String[] HOURS = {"20240620T00", "20240620T01", "20240620T02"};
  private static final int USERS = 30;
  private static final int BATCH = 4;
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @TempDir Path tmp;

  @Test
  void aKilledRunResumesWithEveryEventDeliveredAndEachAliasOnce() throws Exception {
    // 30 users over three days: an anonymous event on their device, then two as the user; each
    // day's send order has an alias every four events or so.
    List<Sent> expected = new ArrayList<>();
    Map<String, List<String>> linesByHourPart = new TreeMap<>();
    Map<String, Sent> aliasOfPair = new HashMap<>();
    int n = 1000;
    for (int i = 0; i < USERS; i++) {
      String device = "dev-" + i;
      String user = "user-" + i;
      String day = "2024-06-" + (18 + i % 3);
      String[] times = {
        String.format(Locale.ROOT, "%s 10:%02d:00", day, 2 * i),
        String.format(Locale.ROOT, "%s 10:%02d:30", day, 2 * i),
        String.format(Locale.ROOT, "%s 10:%02d:00", day, 2 * i + 1)
      };
      for (int k = 0; k < 3; k++) {
        String id = uuid(++n);
        String who = k == 0 ? null : user;
        String type = k == 0 ? "Viewed Home" : k == 1 ? "Logged In" : "Purchased";
        linesByHourPart
            .computeIfAbsent(HOURS[n % 3] + "#" + (n % 2), h -> new ArrayList<>())
            .add(line(id, type, who, device, times[k]));
        expected.add(
            new Sent(
                id, type, who == null ? device : user, times[k].replace(' ', 'T') + ".000000Z"));
      }
      Sent a = alias(device, user, times[1].replace(' ', 'T') + ".000000Z");
      expected.add(a);
      aliasOfPair.put(AliasPairs.pairKey(device, user), a);
    }
    Map<String, List<Sent>> groups = new TreeMap<>();
    expected.stream()
        .sorted(AmplitudeTestData.SEND_ORDER)
        .forEach(s -> groups.computeIfAbsent(s.day(), d -> new ArrayList<>()).add(s));

    try (FakeAmplitudeExportServer amplitude =
            FakeAmplitudeExportServer.start(AMP_KEY, AMP_SECRET);
        FakeCaptureServer capture =
            FakeCaptureServer.builder()
                .faultPlan(FaultPlan.always(Fault.delay(Duration.ofMillis(150))).batchOnly())
                .start()) {
      for (String hour : HOURS) {
        AmplitudeExportZipBuilder zip = new AmplitudeExportZipBuilder("789");
        for (int part = 0; part < 2; part++) {
          zip.file(hour, part, linesByHourPart.get(hour + "#" + part));
        }
        amplitude.putHour(hour, zip.build());
      }
      Path checkpoints = tmp.resolve("ck");
      List<String> args =
          List.of(
              "--amplitudeUrl=" + amplitude.baseUrl(),
              "--startDate=2024-06-20T00:00",
              "--endDate=2024-06-20T03:00",
              "--posthogUrl=" + capture.url(),
              "--batchSize=" + BATCH,
              "--checkpointDir=" + checkpoints,
              "--progressIntervalSeconds=1");
      Map<String, String> env = AmplitudeTestData.keys(KEY, AMP_KEY, AMP_SECRET);

      // 1. The first run, in its own JVM, killed once a few batches were acknowledged.
      KilledRun.start(AmplitudeMigration.class, AmplitudeTestData.withoutFinalState(args), env, tmp)
          .killAfterAcknowledged(capture, 5, DEADLINE);

      Map<String, GroupCheckpoint> atKill =
          CheckpointStore.at(checkpoints.toString()).readAllGroups();
      assertTrue(atKill.values().stream().anyMatch(g -> !g.done()), "killed mid-send: " + atKill);
      Set<String> inFlight = new HashSet<>();
      long inFlightEvents = 0;
      long sentBeforeKill = 0;
      for (GroupCheckpoint g : atKill.values()) {
        sentBeforeKill += g.sent();
        if (g.inFlight() != null) {
          inFlightEvents += g.inFlight().events();
          for (Sent s : groups.get(g.group())) {
            if (!before(s, g.inFlight().first()) && !after(s, g.inFlight().last())) {
              inFlight.add(s.uuid());
            }
          }
          assertEquals(
              g.inFlight().events(),
              inFlight.stream()
                  .filter(u -> groups.get(g.group()).stream().anyMatch(s -> s.uuid().equals(u)))
                  .count());
        }
      }
      Set<String> aliasesSettledAtStart = new TreeSet<>();
      aliasOfPair.forEach(
          (pair, a) -> {
            GroupCheckpoint g = atKill.get(a.day());
            if (g != null
                && (g.done() || (g.acknowledged() != null && !after(a, g.acknowledged())))) {
              aliasesSettledAtStart.add(pair);
            }
          });
      assertFalse(
          aliasesSettledAtStart.isEmpty(), "the kill came after some aliases were delivered");
      assertTrue(aliasesSettledAtStart.size() < USERS, "and before all were");
      int downloadsBefore = amplitude.requests().size();
      System.out.printf(
          "killed after %d events acknowledged, %d in flight, %d of %d groups done;"
              + " %d alias pairs delivered%n",
          sentBeforeKill,
          inFlightEvents,
          atKill.values().stream().filter(GroupCheckpoint::done).count(),
          groups.size(),
          aliasesSettledAtStart.size());

      // 2. Before the resume, a migration of another range (a later day, from files) with events of
      // the same device/user pairs, sharing the alias store: every pair is either recorded as sent
      // (its alias was delivered before the kill) or pending in the killed migration, so this run
      // sends no alias event at all.
      Path laterFiles = tmp.resolve("later");
      Files.createDirectories(laterFiles);
      List<String> later = new ArrayList<>();
      for (int i = 0; i < USERS; i++) {
        later.add(
            line(uuid(5000 + i), "Came Back", "user-" + i, "dev-" + i, "2024-06-25 09:00:00"));
      }
      Files.write(laterFiles.resolve("later.json"), later, StandardCharsets.UTF_8);
      CommandRun other;
      try (FakeCaptureServer otherCapture = FakeCaptureServer.start()) {
        other =
            AmplitudeTestData.runCommand(
                env,
                List.of(
                    "--inputFiles=" + laterFiles + "/*.json",
                    "--posthogUrl=" + otherCapture.url(),
                    "--checkpointDir=" + tmp.resolve("ck-later"),
                    "--aliasStore="
                        + AmplitudeMigration.siblingOf(
                            checkpoints.toString(),
                            "amplitude-aliases-" + AmplitudeMigration.shortHash(KEY, 12)),
                    "--progressIntervalSeconds=0"));
        assertEquals(ExitCodes.OK, other.exitCode(), other.describe());
        assertEquals(
            List.of(),
            otherCapture.events().stream()
                .filter(e -> e.event().equals("$create_alias"))
                .map(ReceivedEvent::uuid)
                .collect(Collectors.toList()),
            "no pair is aliased again by another migration");
        assertEquals(USERS, otherCapture.acceptedEventCount());
      }
      assertTrue(
          other
              .out()
              .contains(
                  "("
                      + aliasesSettledAtStart.size()
                      + " pending record(s) of earlier runs settled now, "
                      + (USERS - aliasesSettledAtStart.size())
                      + " still pending)"),
          other.out());

      // 3. The same command again, in this JVM, with PostHog answering at full speed.
      capture.setFaultPlan(FaultPlan.none());
      CommandRun second = AmplitudeTestData.runCommand(env, args);
      System.out.println(second.out());
      assertEquals(ExitCodes.OK, second.exitCode(), second.describe());

      // Every event delivered; only events of the batches in flight at the kill received twice.
      List<ReceivedEvent> received = capture.events();
      Map<String, Integer> receipts = new HashMap<>();
      received.forEach(e -> receipts.merge(e.uuid(), 1, Integer::sum));
      assertEquals(
          expected.stream().map(Sent::uuid).collect(Collectors.toSet()), receipts.keySet());
      receipts.forEach(
          (uuid, count) -> {
            assertTrue(count <= 2, uuid + " received " + count + " times");
            if (count == 2) {
              assertTrue(
                  inFlight.contains(uuid),
                  uuid + " received twice but was not in flight at the kill");
            }
          });
      assertTrue(
          received.size() - expected.size() <= inFlightEvents,
          "duplicates at most the batches in flight: " + (received.size() - expected.size()));
      assertTrue(
          inFlightEvents <= (long) BATCH * groups.size(), "at most one batch per group in flight");
      assertTrue(
          capture.requests().stream()
              .allMatch(FakeCaptureServer.RequestRecord::historicalMigration));

      // Each group in send order (re-sent copies aside).
      Map<String, List<Sent>> firstReceipts = new LinkedHashMap<>();
      Set<String> seen = new HashSet<>();
      for (ReceivedEvent e : received) {
        if (seen.add(e.uuid())) {
          firstReceipts.computeIfAbsent(Sent.of(e).day(), d -> new ArrayList<>()).add(Sent.of(e));
        }
      }
      assertEquals(groups, new TreeMap<>(firstReceipts), "every group whole and in send order");

      // Each alias pair sent by exactly one run: one uuid, received once (twice only if in flight).
      for (Map.Entry<String, Sent> pair : aliasOfPair.entrySet()) {
        List<ReceivedEvent> aliases =
            received.stream()
                .filter(
                    e ->
                        e.event().equals("$create_alias")
                            && e.distinctId().equals(AliasPairs.deviceId(pair.getKey()))
                            && e.properties()
                                .path("alias")
                                .asText()
                                .equals(AliasPairs.userId(pair.getKey())))
                .collect(Collectors.toList());
        Set<String> uuids = aliases.stream().map(ReceivedEvent::uuid).collect(Collectors.toSet());
        assertEquals(Set.of(pair.getValue().uuid()), uuids, pair.getKey());
        assertEquals(
            inFlight.contains(pair.getValue().uuid()) ? receipts.get(pair.getValue().uuid()) : 1,
            aliases.size(),
            pair.getKey());
      }

      // The report of the resumed run accounts for the kill.
      RunReport report = AmplitudeTestData.report(checkpoints);
      assertEquals(inFlightEvents, report.total(RunReport.RUN, "possiblyResent"));
      assertEquals(
          expected.size(),
          sentBeforeKill + report.total(RunReport.GROUPS, "sent"),
          "acknowledged before the kill + sent after it = every event");
      Map<String, Long> counts = report.section(AmplitudeMigration.AMPLITUDE).get("conversion");
      assertEquals(aliasesSettledAtStart.size(), counts.get("alias_pairs_already_sent"));
      assertEquals(USERS - aliasesSettledAtStart.size(), counts.get("alias_pairs_new"));
      assertTrue(
          second.out().contains("resumed:   " + inFlightEvents + " events re-sent")
              || inFlightEvents == 0,
          second.out());

      // Every pair recorded, nothing left pending; no hour downloaded again.
      String store =
          AmplitudeMigration.siblingOf(
              checkpoints.toString(), "amplitude-aliases-" + AmplitudeMigration.shortHash(KEY, 12));
      assertEquals(aliasOfPair.keySet(), PendingAliasPairsTest.storedPairs(store));
      assertEquals(
          Set.of(), PendingAliasPairsTest.fileNames(Path.of(store, PendingAliasPairs.DIRECTORY)));
      assertEquals(
          downloadsBefore, amplitude.requests().size(), "the resumed run reads the download cache");
      assertEquals(
          List.of(HOURS), amplitude.servedHours().stream().sorted().collect(Collectors.toList()));
    }
  }

  private static boolean before(Sent s, EventCursor c) {
    return EventOrder.compare(
            AmplitudeTestData.micros(s.timestamp()), s.uuid(), c.timestampMicros(), c.uuid())
        < 0;
  }

  private static boolean after(Sent s, EventCursor c) {
    return EventOrder.compare(
            AmplitudeTestData.micros(s.timestamp()), s.uuid(), c.timestampMicros(), c.uuid())
        > 0;
  }
}
