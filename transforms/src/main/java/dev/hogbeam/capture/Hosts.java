package dev.hogbeam.capture;

import dev.hogbeam.secret.UrlCredentials;
import java.net.URI;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where batches go, decided like PostHog's SDKs decide it: the app hosts of PostHog Cloud are
 * rewritten to their ingestion hosts ({@code https://app.posthog.com} and {@code
 * https://us.posthog.com} to {@code https://us.i.posthog.com}, {@code https://eu.posthog.com} to
 * {@code https://eu.i.posthog.com}); any other host (self-hosted PostHog, a proxy, a test server)
 * is used as given. Trailing slashes are ignored.
 */
public final class Hosts {
  public static final String US_INGESTION = "https://us.i.posthog.com";
  public static final String EU_INGESTION = "https://eu.i.posthog.com";

  private Hosts() {}

  /** The ingestion base URL for {@code host}, without a trailing slash. */
  public static String ingestionHost(String host) {
    String trimmed = stripTrailingSlashes(host.trim());
    String lower = trimmed.toLowerCase(Locale.ROOT);
    if (lower.equals("https://app.posthog.com") || lower.equals("https://us.posthog.com")) {
      return US_INGESTION;
    }
    if (lower.equals("https://eu.posthog.com")) {
      return EU_INGESTION;
    }
    return trimmed;
  }

  /** {@code <ingestion host>/batch/}. */
  public static URI batchUri(String host) {
    return URI.create(ingestionHost(host) + "/batch/");
  }

  /**
   * Why {@code host} cannot be used, or null: it must be an absolute http(s) URL with a host name,
   * without credentials ({@link UrlCredentials}), and may have a path (a reverse proxy) but no
   * query or fragment.
   */
  public static @Nullable String problem(String host) {
    String credentials = UrlCredentials.problem(host);
    if (credentials != null) {
      return credentials
          + ": the project API key goes in its own setting (--posthogApiKeyFile, POSTHOG_API_KEY),"
          + " never in the URL";
    }
    URI uri;
    try {
      uri = URI.create(stripTrailingSlashes(host.trim()));
    } catch (IllegalArgumentException e) {
      return "not a URL";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "must start with https:// (or http://)";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "has no host name";
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return "must not have a query or fragment";
    }
    return null;
  }

  private static String stripTrailingSlashes(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(0, end);
  }
}
