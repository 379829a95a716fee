package dev.hogbeam.pipeline.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.pipeline.amplitude.AmplitudePlan.InputFile;
import dev.hogbeam.pipeline.options.DateArgs;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plan saved with the checkpoints, and the small pure helpers of the Amplitude command. */
class AmplitudePlanTest {
  private static final Map<String, String> SETTINGS =
      Map.of("--orderBy", "day", "--aliasMode", "create_alias");
  private static final List<InputFile> FILES =
      List.of(
          new InputFile("/x/a.zip", 10),
          new InputFile("/x/b.zip", 20),
          new InputFile("/x/c.zip", 30));

  @Test
  void plansReadBackTheSame() {
    AmplitudePlan files = AmplitudePlan.files("/x/*.zip", FILES, SETTINGS);
    AmplitudePlan back = AmplitudePlan.fromJson(files.toJson());
    assertEquals(List.of(), back.differencesFrom(files));
    assertEquals(FILES, back.files());
    assertEquals(3, back.shards());

    AmplitudePlan export =
        AmplitudePlan.export(
            "https://amplitude.com",
            Instant.parse("2024-01-01T00:00:00Z"),
            Instant.parse("2024-01-02T06:00:00Z"),
            SETTINGS);
    AmplitudePlan exportBack = AmplitudePlan.fromJson(export.toJson());
    assertEquals(List.of(), exportBack.differencesFrom(export));
    assertEquals(30, exportBack.shards(), "one shard per hour");
  }

  @Test
  void differencesNameTheFlagAndWhatChanged() {
    AmplitudePlan earlier = AmplitudePlan.files("/x/*.zip", FILES, SETTINGS);
    List<InputFile> now =
        List.of(
            new InputFile("/x/a.zip", 10),
            new InputFile("/x/c.zip", 31),
            new InputFile("/x/d.zip", 5),
            new InputFile("/x/e.zip", 5),
            new InputFile("/x/f.zip", 5),
            new InputFile("/x/g.zip", 5));
    assertEquals(
        List.of(
            "the files --inputFiles matches changed (added /x/d.zip, /x/e.zip, /x/f.zip and 1 more;"
                + " removed /x/b.zip; size changed /x/c.zip)"),
        AmplitudePlan.files("/x/*.zip", now, SETTINGS).differencesFrom(earlier));
    assertEquals(
        List.of(
            "--inputFiles was /x/*.zip, now /y/*.zip", "--orderBy was day, now person (8 buckets)"),
        AmplitudePlan.files(
                "/y/*.zip",
                FILES,
                Map.of("--orderBy", "person (8 buckets)", "--aliasMode", "create_alias"))
            .differencesFrom(earlier));
    AmplitudePlan export =
        AmplitudePlan.export(
            "https://amplitude.com",
            Instant.parse("2024-01-01T00:00:00Z"),
            Instant.parse("2024-01-02T00:00:00Z"),
            SETTINGS);
    assertEquals(
        List.of("it read --inputFiles, this run the Export API"), export.differencesFrom(earlier));
    assertEquals(
        List.of("--endDate was 2024-01-02T00:00:00Z, now 2024-01-03T00:00:00Z"),
        AmplitudePlan.export(
                "https://amplitude.com",
                Instant.parse("2024-01-01T00:00:00Z"),
                Instant.parse("2024-01-03T00:00:00Z"),
                SETTINGS)
            .differencesFrom(export));
  }

  @Test
  void exportDatesMustBeWholeHours() {
    assertEquals(
        Instant.parse("2024-01-31T13:00:00Z"),
        AmplitudeMigration.wholeHour("startDate", "2024-01-31T13:00"));
    assertEquals(
        Instant.parse("2024-01-31T11:00:00Z"),
        AmplitudeMigration.wholeHour("endDate", "2024-01-31T13:00+02:00"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AmplitudeMigration.wholeHour("endDate", "2024-01-31T13:30"));
    assertEquals(
        "--endDate=2024-01-31T13:30 is not a whole UTC hour (2024-01-31T13:30:00Z); the Export API"
            + " serves whole hours only: use --endDate=2024-01-31T13:00:00Z or"
            + " --endDate=2024-01-31T14:00:00Z",
        e.getMessage());
  }

  @Test
  void aliasModeFlag() {
    assertEquals(AliasMode.CREATE_ALIAS, AmplitudeMigration.aliasMode("create_alias"));
    assertEquals(AliasMode.IDENTIFY, AmplitudeMigration.aliasMode("IDENTIFY"));
    assertEquals(AliasMode.NONE, AmplitudeMigration.aliasMode("none"));
    assertEquals(
        "--aliasMode must be create_alias, identify or none, but was 'alias'",
        assertThrows(IllegalArgumentException.class, () -> AmplitudeMigration.aliasMode("alias"))
            .getMessage());
  }

  @Test
  void theAliasStoreSitsNextToTheCheckpointDirectory() {
    assertEquals(
        "hogbeam-checkpoints/amplitude-aliases-1",
        AmplitudeMigration.siblingOf("hogbeam-checkpoints/amplitude-x", "amplitude-aliases-1"));
    assertEquals("/data/ck/s", AmplitudeMigration.siblingOf("/data/ck/march/", "s"));
    assertEquals("s", AmplitudeMigration.siblingOf("march", "s"));
    assertEquals("gs://bucket/s", AmplitudeMigration.siblingOf("gs://bucket/ck", "s"));
    assertEquals("gs://bucket/s", AmplitudeMigration.siblingOf("gs://bucket", "s"));
    assertEquals("20240101", DateArgs.compact(Instant.parse("2024-01-01T00:00:00Z")));
    assertEquals("20240101T13", DateArgs.compact(Instant.parse("2024-01-01T13:00:00Z")));
  }
}
