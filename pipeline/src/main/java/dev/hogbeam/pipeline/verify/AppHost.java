package dev.hogbeam.pipeline.verify;

import java.util.Locale;

/**
 * The app host of a PostHog destination (where the private API, e.g. the query API, lives) from the
 * host events were sent to, the reverse of what PostHog's SDKs do for capture: {@code
 * https://us.i.posthog.com} (and {@code app.posthog.com}) to {@code https://us.posthog.com}, {@code
 * https://eu.i.posthog.com} to {@code https://eu.posthog.com}; a self-hosted PostHog serves both
 * from one host, which is kept as given. Trailing slashes are dropped.
 */
public final class AppHost {
  public static final String US = "https://us.posthog.com";
  public static final String EU = "https://eu.posthog.com";

  private AppHost() {}

  /** The app host for {@code ingestionHost}, without a trailing slash. */
  public static String of(String ingestionHost) {
    String trimmed = ingestionHost.trim();
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    String lower = trimmed.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "https://us.i.posthog.com":
      case "https://app.posthog.com":
      case "https://us.posthog.com":
        return US;
      case "https://eu.i.posthog.com":
      case "https://eu.posthog.com":
        return EU;
      default:
        return trimmed;
    }
  }
}
