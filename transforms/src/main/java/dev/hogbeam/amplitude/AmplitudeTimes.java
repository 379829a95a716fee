package dev.hogbeam.amplitude;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Amplitude's export time format, {@code YYYY-MM-DD HH:MM:SS[.f...]} in UTC, to epoch microseconds.
 * Fractions of any length up to nine digits are accepted and truncated to the microsecond (PostHog
 * stores microseconds); a {@code T} instead of the space and a trailing {@code Z} are tolerated.
 */
final class AmplitudeTimes {
  private AmplitudeTimes() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the text when it is not such a time
   */
  static long parseMicros(String text) {
    String s = text.endsWith("Z") ? text.substring(0, text.length() - 1) : text;
    if (s.length() < 19
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || (s.charAt(10) != ' ' && s.charAt(10) != 'T')
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      throw invalid(text);
    }
    int micros = 0;
    if (s.length() > 19) {
      int digits = s.length() - 20;
      if (s.charAt(19) != '.' || digits < 1 || digits > 9) {
        throw invalid(text);
      }
      int fraction = digits(s, 20, s.length(), text);
      for (int i = digits; i < 6; i++) {
        fraction *= 10;
      }
      for (int i = 6; i < digits; i++) {
        fraction /= 10;
      }
      micros = fraction;
    }
    try {
      long seconds =
          LocalDateTime.of(
                  digits(s, 0, 4, text),
                  digits(s, 5, 7, text),
                  digits(s, 8, 10, text),
                  digits(s, 11, 13, text),
                  digits(s, 14, 16, text),
                  digits(s, 17, 19, text))
              .toEpochSecond(ZoneOffset.UTC);
      return seconds * 1_000_000L + micros;
    } catch (DateTimeException e) {
      throw invalid(text);
    }
  }

  private static int digits(String s, int from, int to, String text) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) {
        throw invalid(text);
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not a time of the form YYYY-MM-DD HH:MM:SS[.ffffff]");
  }
}
