package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * State files as an attacker who can write the checkpoint directory would leave them, and flags no
 * one should pass: each is refused before anything is read or sent, with a message that names the
 * problem and does not repeat a long value.
 */
class HostileStateTest extends ClickHouseHarness {

  /** A first run's plan.json, by a run stopped at once (every request refused with 401). */
  private Path savedPlan(String db) {
    server.setFaultPlan(
        FakeCaptureServer.FaultPlan.always(FakeCaptureServer.Fault.unauthorized()).batchOnly());
    Run first = run(args(db).toArray(String[]::new));
    assertEquals(ExitCodes.UNAUTHORIZED, first.exitCode(), first.out() + first.err());
    server.setFaultPlan(FakeCaptureServer.FaultPlan.none());
    server.reset();
    Path plan = tmp.resolve("checkpoints/plan.json");
    assertTrue(Files.isRegularFile(plan));
    return plan;
  }

  private Run again(String db) {
    return run(args(db).toArray(String[]::new));
  }

  @Test
  void anSqlFragmentInAKeyExpressionOfTheSavedPlanIsRefusedWithBothShown() throws Exception {
    String db = load(Layout.GEN3, 40);
    server = FakeCaptureServer.start();
    Path plan = savedPlan(db);
    String json = Files.readString(plan, StandardCharsets.UTF_8);
    String injected = "distinct_id) UNION ALL SELECT name, 1 FROM system.users --";
    String tampered =
        json.replaceFirst("\"expression\" : \"[^\"]*\"", "\"expression\" : \"" + injected + "\"");
    assertFalse(tampered.equals(json));
    Files.writeString(plan, tampered, StandardCharsets.UTF_8);

    Run r = again(db);

    assertEquals(ExitCodes.USAGE, r.exitCode(), r.out() + r.err());
    assertTrue(
        r.err()
            .contains(
                "the saved read plan does not describe the events table as ClickHouse does"
                    + " now: paging keys (expression type): saved ["
                    + injected),
        r.err());
    assertTrue(r.err().contains(", found ["), r.err());
    assertEquals(0, server.requestCount(), "nothing sent");
  }

  @Test
  void malformedAndOversizedPlansAreRefusedNamingTheField() throws Exception {
    String db = load(Layout.GEN3, 40);
    server = FakeCaptureServer.start();
    Path plan = savedPlan(db);
    String json = Files.readString(plan, StandardCharsets.UTF_8);

    Files.writeString(plan, "{\"database\": 12", StandardCharsets.UTF_8);
    Run notJson = again(db);
    // Read like every state file: not JSON, and no earlier generation to fall back on.
    assertEquals(ExitCodes.FAILED, notJson.exitCode(), notJson.err());
    assertTrue(notJson.err().contains("plan.json is unreadable (not valid)"), notJson.err());

    Files.writeString(
        plan, json.replaceFirst("\"teamId\" : 2", "\"teamId\" : \"2\""), StandardCharsets.UTF_8);
    Run wrongType = again(db);
    assertEquals(ExitCodes.USAGE, wrongType.exitCode(), wrongType.err());
    assertTrue(
        wrongType.err().contains("the read plan: teamId is not an integer"), wrongType.err());

    String huge = "x".repeat(1 << 20);
    Files.writeString(
        plan,
        json.replaceFirst("\"id\" : \"[^\"]*\"", "\"id\" : \"" + huge + "\""),
        StandardCharsets.UTF_8);
    Run longId = again(db);
    assertEquals(ExitCodes.USAGE, longId.exitCode(), longId.err());
    assertTrue(
        longId.err().contains("a shard of the read plan: id is 1048576 characters long"),
        longId.err());
    assertTrue(longId.err().length() < 2000, "the message does not repeat the value");
    assertEquals(0, server.requestCount(), "nothing sent");
  }

  @Test
  void aCursorOfOneMegabyteIsRefused() {
    server = FakeCaptureServer.start();
    String cursor = "hb:" + "A".repeat(1 << 20);
    Run r = run(with(args("no_database_needed"), "--cursor=" + cursor).toArray(String[]::new));
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(
        r.err().contains("--cursor is 1048579 characters long; a cursor printed by hogbeam"),
        r.err());
    assertTrue(r.err().length() < 2000, "the message does not repeat the cursor");
    assertEquals(0, server.requestCount());
  }

  private static List<String> with(List<String> args, String flag) {
    List<String> out = new java.util.ArrayList<>(args);
    out.add(flag);
    return out;
  }

  /**
   * A group checkpoint written by hand before a run, with no previous generation to fall back on.
   */
  private Run withGroupFile(String db, String group, byte[] content) throws Exception {
    Path groups = tmp.resolve("checkpoints/groups");
    Files.createDirectories(groups);
    Files.write(groups.resolve(group + ".json"), content);
    return again(db);
  }

  @Test
  void malformedOversizedAndAlteredCheckpointsAreRefusedNamingTheFile() throws Exception {
    String db = load(Layout.GEN3, 40);
    server = FakeCaptureServer.start();

    Run notJson =
        withGroupFile(
            db, "team2-2024-03-02", "{\"group\": \"team2-".getBytes(StandardCharsets.UTF_8));
    assertEquals(ExitCodes.FAILED, notJson.exitCode(), notJson.out() + notJson.err());
    assertTrue(
        notJson.err().contains("groups/team2-2024-03-02.json is unreadable (not valid)"),
        notJson.err());

    byte[] huge = new byte[70 * 1024 * 1024];
    Arrays.fill(huge, (byte) ' ');
    Run oversized = withGroupFile(db, "team2-2024-03-02", huge);
    assertEquals(ExitCodes.FAILED, oversized.exitCode(), oversized.err());
    assertTrue(oversized.err().contains("more than a checkpoint file can hold"), oversized.err());

    String megabyte = "x".repeat(1024 * 1024);
    Run longCursor =
        withGroupFile(
            db,
            "team2-2024-03-02",
            ("{\"group\":\"team2-2024-03-02\",\"sent\":1,\"done\":false,\"acknowledged\":"
                    + "{\"timestamp_us\":1,\"uuid\":\"0190a7b8-0000-7000-8000-000000000001\","
                    + "\"event\":\""
                    + megabyte
                    + "\",\"distinct_id\":\"u\"}}")
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(ExitCodes.FAILED, longCursor.exitCode(), longCursor.err());
    assertTrue(longCursor.err().contains("longer than 8192 characters"), longCursor.err());
    assertTrue(longCursor.err().length() < 4000, "the message does not repeat the value");

    Files.delete(tmp.resolve("checkpoints/groups/team2-2024-03-02.json"));
    Run otherGroup =
        withGroupFile(
            db,
            "team2-2024-03-03",
            "{\"group\":\"team2-2024-03-01\",\"sent\":0,\"done\":true}"
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(ExitCodes.FAILED, otherGroup.exitCode(), otherGroup.err());
    assertTrue(
        otherGroup.err().contains("holds the checkpoint of another group"), otherGroup.err());
    assertEquals(0, server.requestCount(), "nothing sent");
  }
}
