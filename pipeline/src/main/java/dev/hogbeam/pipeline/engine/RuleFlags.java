package dev.hogbeam.pipeline.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.pipeline.options.MigrationOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads the {@link EventRules} of a migration from its flags and its {@code --rulesFile}, checking
 * each with an error that names the flag (or the file and its key): an empty glob, a rename with an
 * empty name, a rename chain or cycle, a duration that does not parse, a rule given both ways.
 *
 * <p>The rules file is a JSON object with the flags' names as keys, every key optional:
 *
 * <pre>
 * {"includeEvents": ["$pageview", "purchase_*"],
 *  "excludeEvents": ["$feature_flag_called"],
 *  "renameEvents": {"Signed Up": "user signed up"},
 *  "dropProperties": ["$ip", "email*"],
 *  "shiftTimestamps": "PT2H"}
 * </pre>
 */
public final class RuleFlags {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_FILE_BYTES = 1024 * 1024;
  private static final Set<String> KEYS =
      Set.of("includeEvents", "excludeEvents", "renameEvents", "dropProperties", "shiftTimestamps");

  private RuleFlags() {}

  /** The rules {@code o} gives; {@link EventRules#NONE} without any. */
  public static EventRules from(MigrationOptions o) {
    JsonNode file = o.getRulesFile() == null ? null : readFile(o.getRulesFile());
    Source include = pick("includeEvents", o.getIncludeEvents(), file, o.getRulesFile());
    Source exclude = pick("excludeEvents", o.getExcludeEvents(), file, o.getRulesFile());
    Source rename = pick("renameEvents", o.getRenameEvents(), file, o.getRulesFile());
    Source drop = pick("dropProperties", o.getDropProperties(), file, o.getRulesFile());
    Source shift = pick("shiftTimestamps", o.getShiftTimestamps(), file, o.getRulesFile());
    return EventRules.of(
        globs(include), globs(exclude), renames(rename), globs(drop), duration(shift));
  }

  /** Where one rule comes from: its flag's text, or its key in the file, or neither. */
  private record Source(String name, @Nullable String flag, @Nullable JsonNode fileValue) {
    boolean absent() {
      return flag == null && fileValue == null;
    }
  }

  private static Source pick(
      String key, @Nullable String flag, @Nullable JsonNode file, @Nullable String path) {
    JsonNode fromFile = file == null ? null : file.get(key);
    if (fromFile != null && flag != null) {
      throw new IllegalArgumentException(
          "--"
              + key
              + " and \""
              + key
              + "\" in --rulesFile="
              + path
              + " both give the same rule; give it once");
    }
    return fromFile != null
        ? new Source("\"" + key + "\" in --rulesFile=" + path, null, fromFile)
        : new Source("--" + key, flag, null);
  }

  private static JsonNode readFile(String path) {
    JsonNode n;
    try (InputStream in =
        Channels.newInputStream(
            FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
      byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(
            "--rulesFile=" + path + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      n = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--rulesFile=" + path + " cannot be read as JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("--rulesFile=" + path + " must hold one JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "--rulesFile="
                + path
                + ": unknown key \""
                + key
                + "\"; the keys are "
                + String.join(", ", new java.util.TreeSet<>(KEYS)));
      }
    }
    return n;
  }

  /** The items of a comma-separated flag or of a JSON array of strings. */
  private static List<String> items(Source s) {
    List<String> out = new ArrayList<>();
    if (s.flag() != null) {
      for (String part : s.flag().split(",", -1)) {
        out.add(part.strip());
      }
    } else if (s.fileValue() != null) {
      if (!s.fileValue().isArray()) {
        throw new IllegalArgumentException(s.name() + " must be an array of strings");
      }
      for (JsonNode item : s.fileValue()) {
        if (!item.isTextual()) {
          throw new IllegalArgumentException(
              s.name() + " must be an array of strings, but holds " + item);
        }
        out.add(item.asText().strip());
      }
    }
    return out;
  }

  private static List<String> globs(Source s) {
    List<String> out = items(s);
    if (!s.absent() && out.isEmpty()) {
      throw new IllegalArgumentException(s.name() + " is empty; give at least one glob");
    }
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).isEmpty()) {
        throw new IllegalArgumentException(
            s.name() + " has an empty glob (item " + (i + 1) + "); leave out the extra comma");
      }
      if (out.indexOf(out.get(i)) != i) {
        throw new IllegalArgumentException(s.name() + " gives " + out.get(i) + " twice");
      }
    }
    return out;
  }

  private static Map<String, String> renames(Source s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s.flag() != null) {
      for (String pair : s.flag().split(",", -1)) {
        int eq = pair.indexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException(
              s.name() + ": '" + pair.strip() + "' is not an old=new pair");
        }
        putRename(s, out, pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
      }
    } else if (s.fileValue() != null) {
      if (!s.fileValue().isObject()) {
        throw new IllegalArgumentException(s.name() + " must be an object of old name to new name");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = s.fileValue().fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new IllegalArgumentException(
              s.name() + ": the new name of '" + e.getKey() + "' is not a string");
        }
        putRename(s, out, e.getKey().strip(), e.getValue().asText().strip());
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(s.name() + " is empty; give at least one rename");
      }
    }
    for (Map.Entry<String, String> e : out.entrySet()) {
      if (out.containsKey(e.getValue())) {
        throw new IllegalArgumentException(
            s.name()
                + " renames "
                + e.getKey()
                + " to "
                + e.getValue()
                + ", which is renamed again (to "
                + out.get(e.getValue())
                + "): a chain or cycle of renames is ambiguous; rename each event to its final"
                + " name");
      }
    }
    return out;
  }

  private static void putRename(Source s, Map<String, String> out, String from, String to) {
    if (from.isEmpty() || to.isEmpty()) {
      throw new IllegalArgumentException(
          s.name()
              + ": '"
              + from
              + "="
              + to
              + "' has an empty "
              + (from.isEmpty() ? "old" : "new")
              + " name");
    }
    if (from.equals(to)) {
      throw new IllegalArgumentException(s.name() + " renames " + from + " to itself");
    }
    if (out.put(from, to) != null) {
      throw new IllegalArgumentException(s.name() + " renames " + from + " twice");
    }
  }

  private static Duration duration(Source s) {
    String text;
    if (s.flag() != null) {
      text = s.flag().strip();
    } else if (s.fileValue() != null) {
      if (!s.fileValue().isTextual()) {
        throw new IllegalArgumentException(
            s.name() + " must be an ISO-8601 duration string, e.g. \"PT2H\"");
      }
      text = s.fileValue().asText().strip();
    } else {
      return Duration.ZERO;
    }
    try {
      return Duration.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          s.name()
              + (s.flag() != null ? "=" : " = ")
              + text
              + " is not an ISO-8601 duration (e.g. PT2H, -PT30M, P1D)",
          e);
    }
  }
}
