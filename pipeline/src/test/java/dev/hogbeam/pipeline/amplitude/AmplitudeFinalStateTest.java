package dev.hogbeam.pipeline.amplitude;

import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.line;
import static dev.hogbeam.pipeline.amplitude.AmplitudeTestData.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each Amplitude user's last user_properties arrive as one final $set, after every event. */
class AmplitudeFinalStateTest {
  private static final String KEY = "phc_amplitude_final_state_test";
  @TempDir Path tmp;

  /** 12 users over three days; each event sets a plan that changes over time; user 0 never. */
  private Map<String, String> write() throws Exception {
    List<String> lines = new ArrayList<>();
    Map<String, String> last = new TreeMap<>();
    int n = 0;
    for (int day = 0; day < 3; day++) {
      for (int u = 0; u < 12; u++) {
        String user = "user-" + u;
        String time = String.format(Locale.ROOT, "2024-04-%02d 1%d:00:00", 10 + day, u % 10);
        String plan = "plan-" + day + "-" + u;
        int k = day;
        boolean hasProperties = u != 0;
        lines.add(
            line(
                uuid(++n),
                "Viewed",
                user,
                "dev-" + u,
                time,
                e -> {
                  if (hasProperties) {
                    ((ObjectNode) e).putObject("user_properties").put("plan", plan).put("day", k);
                  } else {
                    ((ObjectNode) e).remove("user_properties");
                  }
                }));
        if (hasProperties) {
          last.put(user, "{\"plan\":\"" + plan + "\",\"day\":" + day + "}");
        }
      }
    }
    // An event without properties after the last one with: the $set still comes after it.
    lines.add(
        line(
            uuid(++n),
            "Logged Out",
            "user-5",
            "dev-5",
            "2024-04-12 23:00:00",
            e -> ((ObjectNode) e).remove("user_properties")));
    Files.createDirectories(tmp.resolve("in"));
    Files.write(tmp.resolve("in/events.json"), lines);
    return last;
  }

  private CommandRun migrate(FakeCaptureServer capture, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--inputFiles=" + tmp.resolve("in") + "/*.json",
                "--posthogUrl=" + capture.url(),
                "--batchSize=5",
                "--aliasMode=none",
                "--progressIntervalSeconds=0",
                "--checkpointDir=" + tmp.resolve("ck")));
    args.addAll(List.of(extra));
    return AmplitudeTestData.runCommand(AmplitudeTestData.keys(KEY, "a", "b"), args);
  }

  @Test
  void eachUsersLastPropertiesArriveAsOneSetAfterEveryEvent() throws Exception {
    Map<String, String> last = write();
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      CommandRun r = migrate(capture, "--persons=seen");
      assertEquals(ExitCodes.OK, r.exitCode(), r.describe());
      List<ReceivedEvent> received = capture.events();
      int firstSet = -1;
      int lastOther = -1;
      Map<String, String> sets = new TreeMap<>();
      for (int i = 0; i < received.size(); i++) {
        ReceivedEvent e = received.get(i);
        if (e.event().equals("$set")) {
          firstSet = firstSet < 0 ? i : firstSet;
          assertEquals(null, sets.put(e.distinctId(), e.properties().get("$set").toString()));
          assertTrue(
              e.timestamp().compareTo("2024-04-12T23:00:00") > 0
                  || !e.distinctId().equals("user-5"));
        } else {
          lastOther = i;
        }
      }
      assertEquals(last, sets, "one $set per user with properties: the last ones");
      assertTrue(firstSet > lastOther, "every $set after every event");
      assertEquals(37, lastOther + 1, "the events themselves");
      assertTrue(
          r.out().contains("final state: 11 user(s)' last user_properties sent as $set"), r.out());
    }
  }

  @Test
  void personsNoneSendsNoFinalSet() throws Exception {
    write();
    try (FakeCaptureServer capture = FakeCaptureServer.start()) {
      CommandRun r = migrate(capture, "--persons=none");
      assertEquals(ExitCodes.OK, r.exitCode(), r.describe());
      assertEquals(37, capture.acceptedEventCount());
      assertTrue(capture.events().stream().noneMatch(e -> e.event().equals("$set")));
    }
  }
}
