package dev.hogbeam.pipeline.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Resolves a secret from, in order: its flag, a file flag, an environment variable. The value is
 * never part of any message this class produces.
 */
public final class Secrets {
  private final Map<String, String> env;

  private Secrets(Map<String, String> env) {
    this.env = env;
  }

  public static Secrets fromEnvironment() {
    return new Secrets(System.getenv());
  }

  public static Secrets from(Map<String, String> env) {
    return new Secrets(env);
  }

  /**
   * @param flag the option's name, for messages ({@code posthogApiKey})
   * @param value the option's value, or null
   * @param fileFlag the file option's name ({@code posthogApiKeyFile})
   * @param file the file option's value, or null
   * @param envVar the environment variable to fall back to
   * @return the secret, or null when none of the three is set
   */
  public @Nullable String resolve(
      String flag, @Nullable String value, String fileFlag, @Nullable String file, String envVar) {
    if (value != null && file != null) {
      throw new IllegalArgumentException(
          "--" + flag + " and --" + fileFlag + " are both set; give one of them");
    }
    if (value != null) {
      return nonEmpty(value.strip(), "--" + flag);
    }
    if (file != null) {
      String text;
      try {
        text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--" + fileFlag + "=" + file + " cannot be read: " + e.getClass().getSimpleName(), e);
      }
      return nonEmpty(text.strip(), "the file named by --" + fileFlag);
    }
    String fromEnv = env.get(envVar);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.strip();
    }
    return null;
  }

  private static String nonEmpty(String s, String where) {
    if (s.isEmpty()) {
      throw new IllegalArgumentException(where + " is empty");
    }
    return s;
  }
}
