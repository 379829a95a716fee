package dev.hogbeam.pipeline.amplitude;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What one Amplitude migration reads and how it turns it into send groups: the input (the files a
 * pattern matched, with their sizes, or a range of Export API hours) and every setting that changes
 * the events or their groups. Saved as {@code plan.json} with the checkpoints; a re-run with the
 * same checkpoint directory must have the same plan, or the checkpoints would mean something else
 * (a group marked done would skip events it never held).
 */
final class AmplitudePlan {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int LISTED_FILES = 10;

  /** One input file and its size. */
  record InputFile(String path, long bytes) {}

  private final @Nullable String pattern;
  private final List<InputFile> files;
  private final @Nullable String exportUrl;
  private final @Nullable Instant start;
  private final @Nullable Instant end;
  private final Map<String, String> settings;

  private AmplitudePlan(
      @Nullable String pattern,
      List<InputFile> files,
      @Nullable String exportUrl,
      @Nullable Instant start,
      @Nullable Instant end,
      Map<String, String> settings) {
    this.pattern = pattern;
    this.files = List.copyOf(files);
    this.exportUrl = exportUrl;
    this.start = start;
    this.end = end;
    this.settings = new TreeMap<>(settings);
  }

  /**
   * @param settings flag name to value, for every flag that changes events or groups
   */
  static AmplitudePlan files(String pattern, List<InputFile> files, Map<String, String> settings) {
    return new AmplitudePlan(pattern, files, null, null, null, settings);
  }

  /** The hours [start, end) of the Export API at {@code url}. */
  static AmplitudePlan export(
      String url, Instant start, Instant end, Map<String, String> settings) {
    return new AmplitudePlan(null, List.of(), url, start, end, settings);
  }

  boolean isFiles() {
    return pattern != null;
  }

  String pattern() {
    return Objects.requireNonNull(pattern, "not a files plan");
  }

  List<InputFile> files() {
    return files;
  }

  Instant start() {
    return Objects.requireNonNull(start, "not an export plan");
  }

  Instant end() {
    return Objects.requireNonNull(end, "not an export plan");
  }

  String exportUrl() {
    return Objects.requireNonNull(exportUrl, "not an export plan");
  }

  /** Input files, or Export API hours. */
  int shards() {
    return isFiles() ? files.size() : (int) Duration.between(start, end).toHours();
  }

  /** A few lines for the start of the run. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    if (isFiles()) {
      long bytes = files.stream().mapToLong(InputFile::bytes).sum();
      sb.append(
          String.format(
              Locale.ROOT,
              "Amplitude export files: %d file(s) matching '%s', %,d bytes in all",
              files.size(),
              pattern,
              bytes));
      for (int i = 0; i < Math.min(files.size(), LISTED_FILES); i++) {
        InputFile f = files.get(i);
        sb.append(String.format(Locale.ROOT, "%n    %s (%,d bytes)", f.path(), f.bytes()));
      }
      if (files.size() > LISTED_FILES) {
        sb.append("\n    ... and ").append(files.size() - LISTED_FILES).append(" more");
      }
    } else {
      sb.append("Amplitude Export API ")
          .append(exportUrl)
          .append(": ")
          .append(shards())
          .append(" hour(s) of upload time, ")
          .append(start)
          .append(" to ")
          .append(end)
          .append(" (exclusive), one request per hour");
    }
    return sb.toString();
  }

  String toJson() {
    ObjectNode root = JSON.createObjectNode();
    if (isFiles()) {
      root.put("source", "files");
      root.put("pattern", pattern);
      ArrayNode list = root.putArray("files");
      for (InputFile f : files) {
        list.addObject().put("path", f.path()).put("bytes", f.bytes());
      }
    } else {
      root.put("source", "export");
      root.put("url", exportUrl);
      root.put("start", start.toString());
      root.put("end", end.toString());
    }
    ObjectNode s = root.putObject("settings");
    settings.forEach(s::put);
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static AmplitudePlan fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      Map<String, String> settings = new TreeMap<>();
      root.path("settings")
          .fields()
          .forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
      if ("files".equals(root.path("source").asText())) {
        List<InputFile> files = new ArrayList<>();
        for (JsonNode f : root.path("files")) {
          files.add(new InputFile(f.get("path").asText(), f.get("bytes").asLong()));
        }
        return files(root.get("pattern").asText(), files, settings);
      }
      return export(
          root.get("url").asText(),
          Instant.parse(root.get("start").asText()),
          Instant.parse(root.get("end").asText()),
          settings);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("unreadable plan.json: " + e.getMessage(), e);
    }
  }

  /**
   * How this plan differs from {@code earlier}, one phrase per difference naming the flag; empty
   * when they are the same migration.
   */
  List<String> differencesFrom(AmplitudePlan earlier) {
    List<String> out = new ArrayList<>();
    if (isFiles() != earlier.isFiles()) {
      out.add(
          earlier.isFiles()
              ? "it read --inputFiles, this run the Export API"
              : "it read the Export API, this run --inputFiles");
      return out;
    }
    if (isFiles()) {
      changed(out, "--inputFiles", earlier.pattern, pattern);
      if (out.isEmpty() && !files.equals(earlier.files)) {
        out.add(
            "the files --inputFiles matches changed (" + fileChanges(earlier.files, files) + ")");
      }
    } else {
      changed(
          out,
          "the Export API URL (--amplitudeRegion / --amplitudeUrl)",
          earlier.exportUrl,
          exportUrl);
      changed(out, "--startDate", str(earlier.start), str(start));
      changed(out, "--endDate", str(earlier.end), str(end));
    }
    Map<String, String> all = new TreeMap<>(earlier.settings);
    all.putAll(settings);
    for (String key : all.keySet()) {
      changed(out, key, earlier.settings.get(key), settings.get(key));
    }
    return out;
  }

  private static @Nullable String str(@Nullable Instant t) {
    return t == null ? null : t.toString();
  }

  private static void changed(
      List<String> out, String what, @Nullable String was, @Nullable String now) {
    if (!Objects.equals(was, now)) {
      out.add(what + " was " + was + ", now " + now);
    }
  }

  /** {@code added a, b; removed c; size changed d}, at most a few names each. */
  static String fileChanges(List<InputFile> before, List<InputFile> after) {
    Map<String, Long> was = new LinkedHashMap<>();
    before.forEach(f -> was.put(f.path(), f.bytes()));
    Map<String, Long> now = new LinkedHashMap<>();
    after.forEach(f -> now.put(f.path(), f.bytes()));
    List<String> added = new ArrayList<>();
    List<String> resized = new ArrayList<>();
    for (Map.Entry<String, Long> f : now.entrySet()) {
      Long size = was.get(f.getKey());
      if (size == null) {
        added.add(f.getKey());
      } else if (!size.equals(f.getValue())) {
        resized.add(f.getKey());
      }
    }
    List<String> removed = new ArrayList<>();
    for (String path : was.keySet()) {
      if (!now.containsKey(path)) {
        removed.add(path);
      }
    }
    List<String> parts = new ArrayList<>();
    names(parts, "added", added);
    names(parts, "removed", removed);
    names(parts, "size changed", resized);
    return String.join("; ", parts);
  }

  private static void names(List<String> parts, String what, List<String> paths) {
    if (paths.isEmpty()) {
      return;
    }
    List<String> shown = paths.subList(0, Math.min(3, paths.size()));
    parts.add(
        what
            + " "
            + String.join(", ", shown)
            + (paths.size() > shown.size()
                ? " and " + (paths.size() - shown.size()) + " more"
                : ""));
  }
}
