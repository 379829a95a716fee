package dev.hogbeam.capture;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Checks on the PostHog project API key that can be made before anything is sent. They are the
 * checks PostHog's capture service makes ({@code validate_token}): after trimming surrounding
 * whitespace the key must not be empty, longer than 64 characters, non-ASCII, contain NUL, or be a
 * personal API key ({@code phx_...}). A well-formed key of the wrong project cannot be detected:
 * PostHog answers 200 and drops the events later.
 *
 * <p>Messages never contain the key.
 */
public final class ApiKeys {
  private ApiKeys() {}

  /** What hogbeam asks for, in every message about a refused key. */
  public static final String WHAT_IS_EXPECTED =
      "hogbeam needs the PROJECT API key (the project token, which starts with phc_; PostHog"
          + " shows it under Project settings), not a personal API key (phx_...)";

  /** Why {@code key} can never be accepted, or null when it is well formed. */
  public static @Nullable String problem(@Nullable String key) {
    if (key == null) {
      return "no API key was given";
    }
    String k = key.strip();
    if (k.isEmpty()) {
      return "the API key is empty";
    }
    if (k.startsWith("phx_")) {
      return "the API key is a personal API key (phx_...)";
    }
    if (k.length() > 64) {
      return "the API key is longer than 64 characters";
    }
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      if (c > 0x7f) {
        return "the API key has non-ASCII characters";
      }
      if (c == 0) {
        return "the API key contains a NUL character";
      }
    }
    return null;
  }

  /** The key as PostHog uses it (surrounding whitespace removed). */
  public static String normalize(String key) {
    return key.strip();
  }
}
