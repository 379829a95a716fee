package dev.hogbeam.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretRefTest {
  private static final String SECRET = "phc_secret_ref_test_value";

  private static boolean carries(Object o, String text) {
    return new String(
            SerializableUtils.serializeToByteArray((java.io.Serializable) o),
            StandardCharsets.ISO_8859_1)
        .contains(text);
  }

  @Test
  void anInMemoryValueIsSerializedAsAnIdOnlyAndResolvesInThisJvm() {
    SecretRef ref = SecretRef.inMemory(" " + SECRET + "\n", "use --xFile");
    assertFalse(carries(ref, SECRET));
    SecretRef copy = SerializableUtils.clone(ref);
    assertEquals(SECRET, copy.resolve());
    assertFalse(ref.travels());
    assertEquals("a value held in the launching JVM", copy.toString());
  }

  @Test
  void aFileIsReadWhenResolvedAndStripped(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("key"), "  " + SECRET + "\n");
    SecretRef ref = SecretRef.file(f.toString(), "");
    assertEquals(SECRET, ref.resolve());
    SecretRef copy = SerializableUtils.clone(ref);
    assertFalse(carries(ref, SECRET), "the resolved value is transient");
    assertEquals(SECRET, copy.resolve());
    assertEquals("file " + f, ref.toString());
    assertTrue(ref.travels());
  }

  @Test
  void problemsNameTheReferenceNotTheValue(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty"), " \n");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> SecretRef.file(empty.toString(), "").resolve());
    assertEquals("the secret in file " + empty + " is empty", e.getMessage());
    IllegalStateException missing =
        assertThrows(
            IllegalStateException.class,
            () -> SecretRef.env("HOGBEAM_NO_SUCH_VARIABLE_42", "give --keyFile").resolve());
    assertEquals(
        "the environment variable HOGBEAM_NO_SUCH_VARIABLE_42 is not set in this process; give"
            + " --keyFile",
        missing.getMessage());
    Path big = Files.write(dir.resolve("big"), new byte[SecretRef.MAX_SECRET_BYTES + 1]);
    IllegalStateException tooBig =
        assertThrows(
            IllegalStateException.class, () -> SecretRef.file(big.toString(), "").resolve());
    assertTrue(tooBig.getMessage().contains("is longer than 65536 bytes"), tooBig.getMessage());
  }

  @Test
  void secretManagerNamesAreChecked() {
    assertEquals(
        "Secret Manager projects/p-1/secrets/posthog_key/versions/latest",
        SecretRef.secretManager("projects/p-1/secrets/posthog_key/versions/latest", "").toString());
    assertThrows(
        IllegalArgumentException.class, () -> SecretRef.secretManager("projects/p/secrets/s", ""));
    assertThrows(IllegalArgumentException.class, () -> SecretRef.env("NOT-A-NAME", ""));
  }

  @Test
  void anEntryOfAMapOfSecretsTravelsAsTheReferenceAndItsName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, "{\"2\": \"phc_two222\", \"5\": \" phc_five55 \"}");
    SecretRef five = SecretRef.file(file.toString(), "").entry("5", null);
    SecretRef copy = SerializableUtils.clone(five);
    assertEquals("phc_five55", copy.resolve());
    assertEquals("entry \"5\" of file " + file, copy.toString());
    assertFalse(SerializableUtils.serializeToByteArray(five).length == 0);
    assertFalse(
        new String(SerializableUtils.serializeToByteArray(five), StandardCharsets.ISO_8859_1)
            .contains("phc_"));

    IllegalStateException missing =
        assertThrows(
            IllegalStateException.class,
            () ->
                SerializableUtils.clone(SecretRef.file(file.toString(), "").entry("9", null))
                    .resolve());
    assertEquals("entry \"9\" of file " + file + " has no entry", missing.getMessage());

    Files.writeString(file, "{\"2\": phc_two222}");
    IllegalStateException broken =
        assertThrows(IllegalStateException.class, () -> SerializableUtils.clone(five).resolve());
    assertFalse(broken.getMessage().contains("phc_two222"), broken.getMessage());
    assertTrue(
        broken.getMessage().contains("is not valid JSON (line 1, column"), broken.getMessage());

    SecretRef inMemory = SecretRef.inMemory("{\"2\": \"phc_two222\"}", "").entry("2", null);
    assertEquals("phc_two222", SerializableUtils.clone(inMemory).resolve());
  }
}
