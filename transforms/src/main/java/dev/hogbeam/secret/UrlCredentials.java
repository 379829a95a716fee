package dev.hogbeam.secret;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The rules hogbeam applies to every URL it is given: no credentials inside (user-info before the
 * host, or a query parameter named like a password, key or token), every URL shown redacted, and
 * plain {@code http://} only to this machine. Messages never repeat what was refused.
 */
public final class UrlCredentials {
  private UrlCredentials() {}

  /** Query parameters that hold a secret: password, passwd, pass, *key, *token, *secret. */
  private static final Pattern SECRET_PARAM_NAME =
      Pattern.compile("(?i)[a-z0-9_.-]*(password|passwd|pass|key|token|secret)");

  private static final Pattern SECRET_PARAM =
      Pattern.compile("(?i)([?&;][a-z0-9_.-]*(?:password|passwd|pass|key|token|secret)=)[^&;#]*");

  /**
   * Why {@code url} carries credentials, or null when it does not: "a user or password before the
   * host" or "a 'password' query parameter" (the parameter's name, never its value).
   */
  public static @Nullable String problem(String url) {
    if (url == null) {
      return null;
    }
    String s = withoutJdbcPrefix(url.strip());
    int scheme = s.indexOf("//");
    if (scheme >= 0) {
      int hostStart = scheme + 2;
      int end = s.length();
      for (char c : new char[] {'/', '?', '#'}) {
        int i = s.indexOf(c, hostStart);
        if (i >= 0 && i < end) {
          end = i;
        }
      }
      int at = s.indexOf('@', hostStart);
      if (at >= 0 && at < end) {
        return "has a user or password before the host";
      }
    }
    int q = s.indexOf('?');
    if (q >= 0) {
      int hash = s.indexOf('#', q);
      String query = hash < 0 ? s.substring(q + 1) : s.substring(q + 1, hash);
      for (String pair : query.split("[&;]")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (SECRET_PARAM_NAME.matcher(name).matches()) {
          return "has a '" + name + "' query parameter";
        }
      }
    }
    return null;
  }

  /**
   * {@code url} with user-info and secret-like query parameter values replaced by {@code ***}: the
   * only form in which hogbeam prints, logs or writes a URL it was given.
   */
  public static String redact(@Nullable String url) {
    if (url == null) {
      return "null";
    }
    String s = SECRET_PARAM.matcher(url).replaceAll("$1***");
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      int hostStart = scheme + 3;
      int end = s.length();
      for (char c : new char[] {'/', '?', '#'}) {
        int i = s.indexOf(c, hostStart);
        if (i >= 0 && i < end) {
          end = i;
        }
      }
      int at = s.lastIndexOf('@', end - 1);
      if (at >= hostStart) {
        s = s.substring(0, hostStart) + "***@" + s.substring(at + 1);
      }
    }
    return s;
  }

  /**
   * Whether {@code url} travels in clear text to another machine: an {@code http} URL (or a JDBC
   * URL over http without {@code ssl=true}) whose host is not a loopback address.
   */
  public static boolean cleartextToAnotherHost(String url) {
    String given = url.strip();
    String s = withoutJdbcPrefix(given);
    boolean jdbc = s.length() != given.length();
    if (jdbc && s.startsWith("//")) {
      s = "http:" + s; // the driver's default protocol
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      return true;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      return false; // https, or not a URL sent over HTTP
    }
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery().toLowerCase(Locale.ROOT);
    if (jdbc && ("&" + query + "&").matches(".*[&;]ssl=(true|1)[&;].*")) {
      return false;
    }
    return uri.getHost() == null || !isLoopback(uri.getHost());
  }

  /** {@code localhost}, 127.0.0.0/8 and ::1: names and addresses of this machine only. */
  public static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+|[0-9a-f:]+")) {
      return false; // a name: no lookup, only literal addresses count
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static String withoutJdbcPrefix(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:clickhouse:")) {
      return url.substring("jdbc:clickhouse:".length());
    }
    if (lower.startsWith("jdbc:ch:")) {
      return url.substring("jdbc:ch:".length());
    }
    return url;
  }
}
