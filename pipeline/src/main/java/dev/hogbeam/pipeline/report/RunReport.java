package dev.hogbeam.pipeline.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The account of a migration as {@code report.json} holds it: per section and per entry, named
 * counters, plus each section's totals. The ledger builds it ({@code Ledger#account()}); the
 * command line prints it.
 *
 * <p>Sections: {@link #SHARDS} (what this run read, per source shard), {@link #GROUPS} (what this
 * run sent, per send group), {@link #DEAD_LETTERS} (this run's dead letters by stage), {@link #RUN}
 * (facts about this run), the source's own counts (e.g. {@code amplitude}), and {@link #MIGRATION}
 * (the whole migration, every run of it).
 *
 * <p>The counters of {@link #EXACT_OR_UNKNOWN} are exact or not known ({@link #UNKNOWN}, {@code
 * null} in the JSON): a sum with an unknown part is unknown, never the partial sum of the known
 * parts.
 */
public final class RunReport {
  public static final String SHARDS = "shards";
  public static final String GROUPS = "groups";
  public static final String DEAD_LETTERS = "deadLetters";
  public static final String RUN = "run";
  public static final String MIGRATION = "migration";

  /** The value of a counter that is not known exactly ({@code null} in {@code report.json}). */
  public static final long UNKNOWN = -1;

  /**
   * Counters that are exact or {@link #UNKNOWN}: what the source itself read (ClickHouse's rows and
   * bytes read, known only when it reported them exactly).
   */
  public static final Set<String> EXACT_OR_UNKNOWN =
      Set.of("sourceRowsScanned", "sourceBytesScanned");

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, Map<String, Map<String, Long>>> sections;

  private RunReport(Map<String, Map<String, Map<String, Long>>> sections) {
    this.sections = sections;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects entries; counters given twice for the same entry are summed. */
  public static final class Builder {
    private final Map<String, Map<String, Map<String, Long>>> sections = new TreeMap<>();

    private Builder() {}

    /** Adds {@code counters} to entry {@code key} of {@code section}. */
    public Builder put(String section, String key, Map<String, Long> counters) {
      Map<String, Long> entry = entry(section, key);
      counters.forEach((name, value) -> entry.merge(name, value, (a, b) -> sum(name, a, b)));
      return this;
    }

    /** Adds {@code value} to one counter. */
    public Builder add(String section, String key, String counter, long value) {
      entry(section, key).merge(counter, value, (a, b) -> sum(counter, a, b));
      return this;
    }

    private Map<String, Long> entry(String section, String key) {
      return sections
          .computeIfAbsent(section, s -> new TreeMap<>())
          .computeIfAbsent(key, k -> new TreeMap<>());
    }

    public RunReport build() {
      return new RunReport(sections);
    }
  }

  /** The names of the sections present. */
  public Set<String> sections() {
    return sections.keySet();
  }

  /** Entries of a section, by key; empty when the section has none. */
  public Map<String, Map<String, Long>> section(String name) {
    return sections.getOrDefault(name, Map.of());
  }

  /**
   * The sum of one counter over every entry of a section; {@link #UNKNOWN} for a counter of {@link
   * #EXACT_OR_UNKNOWN} that one entry does not know.
   */
  public long total(String section, String counter) {
    long sum = 0;
    for (Map<String, Long> entry : section(section).values()) {
      sum = sum(counter, sum, entry.getOrDefault(counter, 0L));
    }
    return sum;
  }

  /**
   * {@code a + b}, or {@link #UNKNOWN} when either is unknown and the counter is exact-or-unknown.
   */
  static long sum(String counter, long a, long b) {
    if ((a < 0 || b < 0) && EXACT_OR_UNKNOWN.contains(counter)) {
      return UNKNOWN;
    }
    return a + b;
  }

  /** The totals of every counter of a section. */
  public Map<String, Long> totals(String section) {
    Map<String, Long> out = new TreeMap<>();
    for (Map<String, Long> entry : section(section).values()) {
      entry.forEach((name, value) -> out.merge(name, value, (a, b) -> sum(name, a, b)));
    }
    return out;
  }

  /** One counter of one entry, 0 when absent. */
  public long get(String section, String key, String counter) {
    return section(section).getOrDefault(key, Map.of()).getOrDefault(counter, 0L);
  }

  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    for (Map.Entry<String, Map<String, Map<String, Long>>> s : sections.entrySet()) {
      ObjectNode section = root.putObject(s.getKey());
      ObjectNode totals = section.putObject("total");
      totals(s.getKey()).forEach((name, value) -> putCounter(totals, name, value));
      ObjectNode entries = section.putObject("entries");
      for (Map.Entry<String, Map<String, Long>> e : s.getValue().entrySet()) {
        ObjectNode entry = entries.putObject(e.getKey());
        e.getValue().forEach((name, value) -> putCounter(entry, name, value));
      }
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putCounter(ObjectNode node, String name, long value) {
    if (value < 0 && EXACT_OR_UNKNOWN.contains(name)) {
      node.putNull(name);
    } else {
      node.put(name, value);
    }
  }

  public static RunReport fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      Builder b = builder();
      root.fields()
          .forEachRemaining(
              s ->
                  s.getValue()
                      .path("entries")
                      .fields()
                      .forEachRemaining(
                          e -> {
                            Map<String, Long> counters = new TreeMap<>();
                            e.getValue()
                                .fields()
                                .forEachRemaining(
                                    c ->
                                        counters.put(
                                            c.getKey(),
                                            c.getValue().isNull()
                                                ? UNKNOWN
                                                : c.getValue().asLong()));
                            b.put(s.getKey(), e.getKey(), counters);
                          }));
      return b.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("not a hogbeam report: " + e.getMessage(), e);
    }
  }
}
