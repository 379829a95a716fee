package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import dev.hogbeam.secret.UrlCredentials;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Pure conversions between the ClickHouse addresses users type and the JDBC URLs the official
 * driver takes.
 *
 * <p>PostHog's own migration script takes {@code --clickhouse-url http(s)://host[:port][/db]};
 * hogbeam accepts that form too and turns it into {@code jdbc:clickhouse:http(s)://host:port[/db]}.
 * A URL without a port means what it means to any HTTP client (80 for http, 443 for https), not the
 * driver's own defaults (8123 / 8443), so the same address reaches the same server as with the
 * script. Nothing here turns TLS certificate verification off: an {@code https} URL is verified by
 * the driver against the JVM's trust store unless the user adds driver options of their own.
 */
public final class ClickHouseUrls {
  private ClickHouseUrls() {}

  /**
   * Returns a JDBC URL for {@code url}: a {@code jdbc:clickhouse:} / {@code jdbc:ch:} URL is
   * returned as given; {@code http(s)://host[:port][/database][?query]} becomes {@code
   * jdbc:clickhouse:http(s)://host:port[/database][?query]}. Credentials inside the URL (a user
   * before the host, a password-, key- or token-like query parameter) are refused (pass them as
   * user and password), and the message never repeats the URL.
   */
  public static String toJdbcUrl(String url) {
    checkArgument(url != null && !url.isBlank(), "ClickHouse URL must not be empty");
    String trimmed = url.trim();
    String lower = trimmed.toLowerCase(Locale.ROOT);
    String credentials = UrlCredentials.problem(trimmed);
    checkArgument(
        credentials == null,
        "ClickHouse URL %s; credentials never go in the URL: pass them as the user and password"
            + " settings",
        credentials);
    if (lower.startsWith("jdbc:clickhouse:") || lower.startsWith("jdbc:ch:")) {
      checkArgument(
          !hasUserInfo(trimmed.substring(trimmed.indexOf(':', 5) + 1)),
          "ClickHouse URL must not contain a user or password before the host; "
              + "pass them as the user and password settings");
      return trimmed;
    }
    checkArgument(
        lower.startsWith("http://") || lower.startsWith("https://"),
        "ClickHouse URL must start with http://, https:// or jdbc:clickhouse:, but was %s",
        redact(trimmed));
    URI uri;
    try {
      uri = new URI(trimmed);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "ClickHouse URL is not a valid URL: " + redact(trimmed), e);
    }
    checkArgument(
        uri.getRawUserInfo() == null,
        "ClickHouse URL must not contain a user or password before the host; "
            + "pass them as the user and password settings");
    checkArgument(uri.getHost() != null, "ClickHouse URL has no host: %s", redact(trimmed));
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.equals("/")) {
      path = "";
    }
    StringBuilder sb = new StringBuilder("jdbc:clickhouse:").append(scheme).append("://");
    String host = uri.getHost();
    sb.append(host).append(':').append(port).append(path);
    if (uri.getRawQuery() != null) {
      sb.append('?').append(uri.getRawQuery());
    }
    return sb.toString();
  }

  /**
   * {@code url} without anything secret: user info before the host and password-like query
   * parameters are replaced by {@code ***}. For logs, display data and error messages.
   */
  public static String redact(String url) {
    return UrlCredentials.redact(url);
  }

  private static boolean hasUserInfo(String afterPrefix) {
    int scheme = afterPrefix.indexOf("//");
    if (scheme < 0) {
      return false;
    }
    int hostStart = scheme + 2;
    int at = afterPrefix.indexOf('@', hostStart);
    int end = afterPrefix.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int i = afterPrefix.indexOf(c, hostStart);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    return at >= 0 && at < end;
  }
}
