package dev.hogbeam.testing.chdb;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * What the front end must know about output formats: which ones a streamed result can be stitched
 * together from, how long the per-chunk header is that chDB repeats, the FORMAT clause of a query,
 * and a Content-Type.
 *
 * <p>chDB's streaming API renders every chunk as if it were a whole result: {@code *WithNames*}
 * formats repeat their header and formats with a prefix/suffix (JSON, Parquet, Pretty...) repeat
 * both. Only row-oriented formats can be concatenated; everything else runs unstreamed.
 */
final class OutputFormats {
  private OutputFormats() {}

  /** How chunks of a streamed result are joined. */
  enum Stitch {
    /** Chunks concatenate as they are. */
    CONCATENATE,
    /** Drop the first line of every chunk after the first. */
    ONE_LINE,
    ONE_CSV_LINE,
    /** Drop the first two lines of every chunk after the first. */
    TWO_LINES,
    TWO_CSV_LINES,
    /** RowBinaryWithNames: drop the column count and names. */
    BINARY_NAMES,
    /** RowBinaryWithNamesAndTypes: drop the column count, names and types. */
    BINARY_NAMES_AND_TYPES,
    /** Not streamable: run the query unstreamed. */
    NONE
  }

  private static final Set<String> CONCATENATE =
      Set.of(
          "tabseparated",
          "tsv",
          "tabseparatedraw",
          "tsvraw",
          "raw",
          "csv",
          "jsoneachrow",
          "jsonlines",
          "ndjson",
          "jsonstringseachrow",
          "jsoncompacteachrow",
          "jsoncompactstringseachrow",
          "rowbinary",
          "native",
          "lineasstring",
          "rawblob",
          "tskv");
  private static final Set<String> ONE_LINE =
      Set.of(
          "tabseparatedwithnames",
          "tsvwithnames",
          "tabseparatedrawwithnames",
          "tsvrawwithnames",
          "rawwithnames",
          "jsoncompacteachrowwithnames",
          "jsoncompactstringseachrowwithnames");
  private static final Set<String> TWO_LINES =
      Set.of(
          "tabseparatedwithnamesandtypes",
          "tsvwithnamesandtypes",
          "tabseparatedrawwithnamesandtypes",
          "tsvrawwithnamesandtypes",
          "rawwithnamesandtypes",
          "jsoncompacteachrowwithnamesandtypes",
          "jsoncompactstringseachrowwithnamesandtypes");

  static Stitch stitch(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    if (CONCATENATE.contains(f)) {
      return Stitch.CONCATENATE;
    } else if (ONE_LINE.contains(f)) {
      return Stitch.ONE_LINE;
    } else if (TWO_LINES.contains(f)) {
      return Stitch.TWO_LINES;
    } else if (f.equals("csvwithnames")) {
      return Stitch.ONE_CSV_LINE;
    } else if (f.equals("csvwithnamesandtypes")) {
      return Stitch.TWO_CSV_LINES;
    } else if (f.equals("rowbinarywithnames")) {
      return Stitch.BINARY_NAMES;
    } else if (f.equals("rowbinarywithnamesandtypes")) {
      return Stitch.BINARY_NAMES_AND_TYPES;
    }
    return Stitch.NONE;
  }

  /**
   * Length of the header at the start of {@code chunk} that chDB repeats in every chunk, or -1 if
   * the chunk is too short to hold a complete header.
   */
  static int headerLength(Stitch stitch, byte[] chunk, int length) {
    switch (stitch) {
      case CONCATENATE:
      case NONE:
        return 0;
      case ONE_LINE:
        return lines(chunk, length, 1, false);
      case TWO_LINES:
        return lines(chunk, length, 2, false);
      case ONE_CSV_LINE:
        return lines(chunk, length, 1, true);
      case TWO_CSV_LINES:
        return lines(chunk, length, 2, true);
      case BINARY_NAMES:
        return binaryHeader(chunk, length, 1);
      case BINARY_NAMES_AND_TYPES:
        return binaryHeader(chunk, length, 2);
      default:
        throw new AssertionError(stitch);
    }
  }

  private static int lines(byte[] b, int length, int count, boolean csvQuotes) {
    boolean quoted = false;
    for (int i = 0; i < length; i++) {
      if (csvQuotes && b[i] == '"') {
        quoted = !quoted;
      } else if (!quoted && b[i] == '\n' && --count == 0) {
        return i + 1;
      }
    }
    return -1;
  }

  /** A varint column count, then {@code groups} times that many varint-length strings. */
  private static int binaryHeader(byte[] b, int length, int groups) {
    int[] pos = {0};
    long columns = readVarUInt(b, length, pos);
    if (columns < 0) {
      return -1;
    }
    for (long i = 0; i < columns * groups; i++) {
      long n = readVarUInt(b, length, pos);
      if (n < 0 || pos[0] + n > length) {
        return -1;
      }
      pos[0] += (int) n;
    }
    return pos[0];
  }

  private static long readVarUInt(byte[] b, int length, int[] pos) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= length) {
        return -1;
      }
      int x = b[pos[0]++] & 0xff;
      value |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return value;
      }
    }
    return -1;
  }

  /** True if {@code chunk} starts with the same {@code length} header bytes as {@code header}. */
  static boolean startsWith(byte[] chunk, int chunkLength, byte[] header) {
    return chunkLength >= header.length
        && Arrays.equals(chunk, 0, header.length, header, 0, header.length);
  }

  static String contentType(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    if (f.startsWith("json") || f.equals("ndjson")) {
      return "application/json; charset=UTF-8";
    } else if (f.startsWith("tabseparated") || f.startsWith("tsv")) {
      return "text/tab-separated-values; charset=UTF-8";
    } else if (f.startsWith("csv")) {
      return "text/csv; charset=UTF-8; header=" + (f.contains("withnames") ? "present" : "absent");
    } else if (f.startsWith("rowbinary")
        || f.equals("native")
        || f.startsWith("arrow")
        || f.equals("parquet")
        || f.equals("orc")
        || f.equals("avro")
        || f.startsWith("protobuf")
        || f.equals("msgpack")
        || f.equals("capnproto")
        || f.equals("bsoneachrow")
        || f.equals("npy")) {
      return "application/octet-stream";
    }
    return "text/plain; charset=UTF-8";
  }

  /**
   * The output format a query names in a top-level {@code FORMAT <name>} clause, or null. The
   * clause counts only when nothing but an optional {@code SETTINGS ...} part or a semicolon
   * follows it; string literals, quoted identifiers, comments and anything inside brackets are
   * skipped. Callers pass only read-only statements (no inline data) or their first megabyte.
   */
  static String formatClause(byte[] sql, int length) {
    String s = new String(sql, 0, length, StandardCharsets.ISO_8859_1);
    int depth = 0;
    String candidate = null;
    int candidateEnd = -1;
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
        i = skipQuoted(s, i, c);
      } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-' || c == '#') {
        i = skipLine(s, i);
      } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
        i++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
        i++;
      } else if (isWordStart(c)) {
        int end = wordEnd(s, i);
        if (depth == 0 && s.regionMatches(true, i, "FORMAT", 0, 6) && end - i == 6) {
          int nameStart = skipSpace(s, end);
          if (nameStart < n && isWordStart(s.charAt(nameStart))) {
            int nameEnd = wordEnd(s, nameStart);
            candidate = s.substring(nameStart, nameEnd);
            candidateEnd = nameEnd;
            end = nameEnd;
          }
        }
        i = end;
      } else {
        i++;
      }
    }
    if (candidate == null) {
      return null;
    }
    int rest = skipSpace(s, candidateEnd);
    if (rest == n || s.charAt(rest) == ';' || s.regionMatches(true, rest, "SETTINGS", 0, 8)) {
      return candidate;
    }
    return null;
  }

  private static boolean isWordStart(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static int wordEnd(String s, int i) {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!(isWordStart(c) || (c >= '0' && c <= '9'))) {
        break;
      }
      i++;
    }
    return i;
  }

  private static int skipQuoted(String s, int i, char quote) {
    i++;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (c == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return i;
  }

  private static int skipLine(String s, int i) {
    int end = s.indexOf('\n', i);
    return end < 0 ? s.length() : end + 1;
  }

  /** Skips whitespace and comments. */
  private static int skipSpace(String s, int i) {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && i + 1 < s.length() && s.charAt(i + 1) == '-' || c == '#') {
        i = skipLine(s, i);
      } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length() : end + 2;
      } else {
        break;
      }
    }
    return i;
  }
}
