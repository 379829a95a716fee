package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.Fault;
import dev.hogbeam.testing.FakeCaptureServer.FaultPlan;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogPersonsGenerator.FinalState;
import dev.hogbeam.testing.PostHogPersonsGenerator.Group;
import dev.hogbeam.testing.PostHogPersonsGenerator.Person;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A process killed during the final-state stage resumes it: the final state still comes out. */
class FinalStateResumeTest extends ClickHouseHarness {
  private static final java.util.Set<String> STAGE_EVENTS = FinalStateTest.STAGE_EVENTS;

  private long stageEvents() {
    return server.events().stream()
        .filter(e -> STAGE_EVENTS.contains(e.json().path("event").asText()))
        .count();
  }

  @Test
  void aKillDuringTheStageResumesWithAtMostTheInFlightBatchesTwice() throws Exception {
    String db = ch.createDatabase("final_state_resume");
    FinalState state = FinalStateTest.loadPersons(db);
    server =
        FakeCaptureServer.builder()
            .faultPlan(FaultPlan.always(Fault.acceptThenDelay(Duration.ofMillis(150))))
            .start();
    List<String> args = args(db, "--personShards=2", "--personPageSize=7");
    args.removeIf(a -> a.startsWith("--batchSize="));
    args.add("--batchSize=5");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(ClickHouseMigration.class.getName());
    command.addAll(args);
    Process killed =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("killed.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (stageEvents() < 20 && System.nanoTime() < deadline && killed.isAlive()) {
      Thread.sleep(20);
    }
    killed.destroyForcibly().waitFor();
    long before = stageEvents();
    List<Person> persons = state.seenPersons();
    List<Group> groups = state.seenGroups();
    long links = persons.stream().mapToLong(p -> p.distinctIds().size() - 1).sum();
    long expected = persons.size() + links + groups.size();
    assertTrue(before >= 20 && before < expected, "killed during the stage: " + before);

    server.setFaultPlan(FaultPlan.none());
    Run second = run(array(args));

    assertEquals(ExitCodes.OK, second.exitCode(), second.out() + second.err());
    Map<String, Integer> times = new HashMap<>();
    for (ReceivedEvent e : server.events()) {
      if (STAGE_EVENTS.contains(e.json().path("event").asText())) {
        times.merge(e.uuid(), 1, Integer::sum);
      }
    }
    assertEquals(expected, times.size());
    long twice = times.values().stream().filter(n -> n > 1).count();
    System.out.printf(
        "killed after %d of %d final-state events; %d re-sent%n", before, expected, twice);
    assertTrue(twice <= 5L * 3, "at most one batch of 5 per send group in flight: " + twice);
    PersonModel model = PersonModel.of(server.events());
    for (Person p : persons) {
      PersonModel.Person m = model.byDistinctId.get(p.distinctIds().first());
      assertEquals(p.distinctIds(), m.distinctIds);
      assertEquals(p.properties(), m.properties);
    }
  }
}
