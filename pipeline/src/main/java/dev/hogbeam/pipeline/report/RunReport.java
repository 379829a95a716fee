package dev.hogbeam.pipeline.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
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
 */
public final class RunReport {
  public static final String SHARDS = "shards";
  public static final String GROUPS = "groups";
  public static final String DEAD_LETTERS = "deadLetters";
  public static final String RUN = "run";
  public static final String MIGRATION = "migration";

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
      counters.forEach((name, value) -> entry.merge(name, value, Long::sum));
      return this;
    }

    /** Adds {@code value} to one counter. */
    public Builder add(String section, String key, String counter, long value) {
      entry(section, key).merge(counter, value, Long::sum);
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

  /** Entries of a section, by key; empty when the section has none. */
  public Map<String, Map<String, Long>> section(String name) {
    return sections.getOrDefault(name, Map.of());
  }

  /** The sum of one counter over every entry of a section. */
  public long total(String section, String counter) {
    long sum = 0;
    for (Map<String, Long> entry : section(section).values()) {
      sum += entry.getOrDefault(counter, 0L);
    }
    return sum;
  }

  /** The totals of every counter of a section. */
  public Map<String, Long> totals(String section) {
    Map<String, Long> out = new TreeMap<>();
    for (Map<String, Long> entry : section(section).values()) {
      entry.forEach((name, value) -> out.merge(name, value, Long::sum));
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
      totals(s.getKey()).forEach(totals::put);
      ObjectNode entries = section.putObject("entries");
      for (Map.Entry<String, Map<String, Long>> e : s.getValue().entrySet()) {
        ObjectNode entry = entries.putObject(e.getKey());
        e.getValue().forEach(entry::put);
      }
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
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
                                    c -> counters.put(c.getKey(), c.getValue().asLong()));
                            b.put(s.getKey(), e.getKey(), counters);
                          }));
      return b.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("not a hogbeam report: " + e.getMessage(), e);
    }
  }
}
