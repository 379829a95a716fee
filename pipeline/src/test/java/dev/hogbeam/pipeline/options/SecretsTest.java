package dev.hogbeam.pipeline.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  private final Secrets secrets = Secrets.from(Map.of("POSTHOG_API_KEY", " phc_fromenv \n"));

  @Test
  void flagWinsOverEnvironment() {
    assertEquals(
        "phc_flag",
        secrets.resolve("posthogApiKey", "phc_flag", "posthogApiKeyFile", null, "POSTHOG_API_KEY"));
  }

  @Test
  void fileIsReadAndStripped(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("key");
    Files.writeString(f, "phc_fromfile\n");
    assertEquals(
        "phc_fromfile",
        secrets.resolve(
            "posthogApiKey", null, "posthogApiKeyFile", f.toString(), "POSTHOG_API_KEY"));
  }

  @Test
  void environmentIsTheFallback() {
    assertEquals(
        "phc_fromenv",
        secrets.resolve("posthogApiKey", null, "posthogApiKeyFile", null, "POSTHOG_API_KEY"));
    assertNull(
        Secrets.from(Map.of())
            .resolve("posthogApiKey", null, "posthogApiKeyFile", null, "POSTHOG_API_KEY"));
  }

  @Test
  void bothFlagsIsAnError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                secrets.resolve(
                    "posthogApiKey", "a", "posthogApiKeyFile", "/x", "POSTHOG_API_KEY"));
    assertEquals(
        "--posthogApiKey and --posthogApiKeyFile are both set; give one of them", e.getMessage());
  }

  @Test
  void unreadableFileNamesTheFlagNotTheContent(@TempDir Path dir) {
    String missing = dir.resolve("nope").toString();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                secrets.resolve(
                    "clickhousePassword", null, "clickhousePasswordFile", missing, "X"));
    assertTrue(
        e.getMessage().startsWith("--clickhousePasswordFile=" + missing + " cannot be read"));
  }

  @Test
  void emptyFileIsAnErrorWithoutEchoingAnything(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("empty");
    Files.writeString(f, "  \n");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                secrets.resolve(
                    "clickhousePassword", null, "clickhousePasswordFile", f.toString(), "X"));
    assertEquals("the file named by --clickhousePasswordFile is empty", e.getMessage());
    assertFalse(e.getMessage().contains(f.toString()) && e.getMessage().contains("phc"));
  }
}
