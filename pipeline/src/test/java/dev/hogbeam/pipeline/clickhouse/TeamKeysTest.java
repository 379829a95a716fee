package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.MigrationCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --teamIds} with bad destination keys is refused before anything is read or sent, with a
 * message naming where the keys came from and the team at fault, never a key.
 */
class TeamKeysTest {
  static final String KEY2 = "phc_secretTeamTwo1";
  static final String KEY5 = "phc_secretTeamFive5";

  @TempDir Path tmp;

  record Refusal(int exitCode, String err) {}

  private Refusal run(Map<String, String> env, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--clickhouseUrl=jdbc:clickhouse://127.0.0.1:9/",
                "--startDate=2024-03-01",
                "--endDate=2024-03-04",
                "--posthogUrl=http://127.0.0.1:9/",
                "--checkpointDir=" + tmp.resolve("ck")));
    args.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ClickHouseMigration.command()
            .run(
                args.toArray(String[]::new),
                new MigrationCommand.Environment(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    env,
                    Clock.fixed(Instant.parse("2026-11-21T00:00:00Z"), ZoneOffset.UTC)));
    String text = err.toString(StandardCharsets.UTF_8);
    for (String key : List.of(KEY2, KEY5, "phx_personal7", "sk_notakey")) {
      assertFalse(text.contains(key) || out.toString(StandardCharsets.UTF_8).contains(key), text);
    }
    assertFalse(Files.exists(tmp.resolve("ck/team-2")), "no team opened before the checks");
    return new Refusal(code, text);
  }

  private String file(String name, String content) throws Exception {
    return Files.writeString(tmp.resolve(name), content).toString();
  }

  private void assertRefused(Refusal r, String... parts) {
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    for (String p : parts) {
      assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
    }
  }

  @Test
  void aTeamWithoutAKeyIsRefusedNamingTheFileAndTheTeam() throws Exception {
    String f = file("keys.json", "{\"2\": \"" + KEY2 + "\", \"5\": \"" + KEY5 + "\"}");
    assertRefused(
        run(Map.of(), "--teamIds=2,5,9", "--projectKeysFile=" + f),
        "the file --projectKeysFile=" + f + " has no key for team 9");
  }

  @Test
  void aTeamNotInTeamIdsIsRefusedNotIgnored() throws Exception {
    String f = file("keys.json", "{\"2\": \"" + KEY2 + "\", \"7\": \"" + KEY5 + "\"}");
    assertRefused(
        run(Map.of(), "--teamIds=2", "--projectKeysFile=" + f),
        "the file --projectKeysFile=" + f + " holds a key for team 7, which is not in --teamIds");
  }

  @Test
  void aMalformedFileIsRefusedWithItsPositionButNotItsText() throws Exception {
    String f = file("keys.json", "{\"2\": \"" + KEY2 + "\",\n \"5\": " + KEY5 + "}");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--projectKeysFile=" + f),
        "the file --projectKeysFile=" + f,
        "is not valid JSON (line 2, column");
    String lines = file("lines.txt", "2=" + KEY2 + "\n5=" + KEY5 + "\n");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--projectKeysFile=" + lines),
        "the file --projectKeysFile=" + lines + " (a JSON object of team id to project key");
    String notTeam = file("names.json", "{\"two\": \"" + KEY2 + "\"}");
    assertRefused(
        run(Map.of(), "--teamIds=2", "--projectKeysFile=" + notTeam), "\"two\" is not a team id");
    String twice = file("twice.json", "{\"5\": \"" + KEY5 + "\", \"05\": \"" + KEY5 + "\"}");
    assertRefused(
        run(Map.of(), "--teamIds=5", "--projectKeysFile=" + twice), "two keys for team 5");
  }

  @Test
  void keysThatAreNotProjectKeysAreRefusedNamingTheTeam() throws Exception {
    String personal = file("p.json", "{\"2\": \"" + KEY2 + "\", \"5\": \"phx_personal7\"}");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--projectKeysFile=" + personal),
        "the key of team 5: the API key is a personal API key (phx_...)");
    assertRefused(
        run(
            Map.of("POSTHOG_PROJECT_KEYS", "{\"2\": \"sk_notakey\", \"5\": \"" + KEY5 + "\"}"),
            "--teamIds=2,5"),
        "the environment variable POSTHOG_PROJECT_KEYS: the key of team 2: the key does not start"
            + " with phc_");
    assertRefused(
        run(Map.of(), "--teamIds=2", "--projectKeys={\"2\": 12}"),
        "--projectKeys (a JSON object of team id to project key",
        "the entry \"2\" is not a string");
  }

  @Test
  void teamIdsIsRefusedWithTeamIdOneKeyACursorOrNoKeys() throws Exception {
    String f = file("keys.json", "{\"2\": \"" + KEY2 + "\", \"5\": \"" + KEY5 + "\"}");
    assertRefused(
        run(Map.of(), "--teamId=2", "--teamIds=2,5", "--projectKeysFile=" + f),
        "--teamId and --teamIds are both set");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--posthogApiKey=" + KEY2, "--projectKeysFile=" + f),
        "--posthogApiKey cannot be used with --teamIds");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--cursor=hb:x", "--projectKeysFile=" + f),
        "--cursor cannot be used with --teamIds");
    assertRefused(run(Map.of(), "--teamIds=2,5"), "--teamIds needs the destination key of every");
    assertRefused(
        run(Map.of(), "--teamIds=2,x", "--projectKeysFile=" + f), "\"x\" is not a team id");
    assertRefused(run(Map.of()), "--teamId is required (or --teamIds=2,5,9");
  }

  @Test
  void theDirectoryOfAOneTeamMigrationIsRefused() throws Exception {
    Files.createDirectories(tmp.resolve("ck"));
    Files.writeString(
        tmp.resolve("ck/run.json"),
        dev.hogbeam.pipeline.checkpoint.RunIdentity.toJson(
            Map.of("destination", "dry run", "orderBy", "day")));
    String f = file("keys.json", "{\"2\": \"" + KEY2 + "\", \"5\": \"" + KEY5 + "\"}");
    assertRefused(
        run(Map.of(), "--teamIds=2,5", "--projectKeysFile=" + f),
        "--checkpointDir=" + tmp.resolve("ck") + " holds the checkpoints of a run with");
  }
}
