package dev.hogbeam.pipeline.options;

import dev.hogbeam.secret.UrlCredentials;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The command line's rules for URL flags ({@link UrlCredentials}): no credentials inside, and no
 * secret sent over plain {@code http://} to another machine unless {@code --allowInsecureHttp}.
 * Messages name the flag and show the URL redacted.
 */
public final class UrlRules {
  private UrlRules() {}

  /**
   * Refuses a URL with a user before the host or a password-, key- or token-like parameter.
   *
   * @param secretFlags where the credentials go instead, for the message
   */
  public static void checkNoCredentials(String flag, @Nullable String url, String secretFlags) {
    if (url == null) {
      return;
    }
    String problem = UrlCredentials.problem(url);
    if (problem != null) {
      throw new IllegalArgumentException(
          "--"
              + flag
              + " "
              + problem
              + ": credentials never go in a URL (it is shown in logs and runner UIs); use "
              + secretFlags
              + " instead");
    }
  }

  /**
   * Refuses to send {@code what} over plain http to a host other than this machine, unless {@code
   * --allowInsecureHttp}.
   */
  public static void checkEncrypted(
      String flag, @Nullable String url, boolean allowInsecureHttp, String what) {
    if (url == null || allowInsecureHttp || !UrlCredentials.cleartextToAnotherHost(url)) {
      return;
    }
    throw new IllegalArgumentException(
        "--"
            + flag
            + "="
            + UrlCredentials.redact(url)
            + " would send "
            + what
            + " in clear text to another machine; use https:// (or, for ClickHouse,"
            + " ssl=true), or pass --allowInsecureHttp if the network between here and that host"
            + " is trusted");
  }

  /**
   * An API's host from a region flag or an explicit URL flag, not both: the URL checked (no
   * credentials, http or https) without a trailing slash, or the region's host ({@code
   * defaultRegion} when neither is given).
   *
   * @param regionUrl the host of a region; throws IllegalArgumentException for an unknown one
   * @param regions the regions there are, for the message (e.g. {@code us or eu})
   * @param secretFlags where the credentials go instead of the URL, for the message
   */
  public static String regionOrUrl(
      String regionFlag,
      @Nullable String region,
      String defaultRegion,
      String urlFlag,
      @Nullable String url,
      Function<String, String> regionUrl,
      String regions,
      String secretFlags) {
    if (region != null && url != null) {
      throw new IllegalArgumentException(
          "--" + regionFlag + " and --" + urlFlag + " exclude each other; give one");
    }
    if (url != null) {
      String u = url.strip();
      checkNoCredentials(urlFlag, u, secretFlags);
      if (!u.startsWith("http://") && !u.startsWith("https://")) {
        throw new IllegalArgumentException(
            "--" + urlFlag + " must be an http(s) URL, but was " + UrlCredentials.redact(u));
      }
      return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }
    try {
      return regionUrl.apply(region == null ? defaultRegion : region);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--" + regionFlag + " must be " + regions + ", but was '" + region + "'", e);
    }
  }
}
