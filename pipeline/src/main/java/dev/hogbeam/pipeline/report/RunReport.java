package dev.hogbeam.pipeline.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The account of a run: per section (shards read, groups sent, dead letters by stage) and per
 * entry, the summed counters, plus totals. Built from {@link ReportPart}s inside the pipeline,
 * written as JSON, read back and printed by the command line.
 */
public final class RunReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, Map<String, Map<String, Long>>> sections;

  private RunReport(Map<String, Map<String, Map<String, Long>>> sections) {
    this.sections = sections;
  }

  /** Sums parts with the same section and key. */
  public static RunReport fromParts(Collection<ReportPart> parts) {
    Map<String, Map<String, Map<String, Long>>> sections = new TreeMap<>();
    for (ReportPart p : parts) {
      Map<String, Long> entry =
          sections
              .computeIfAbsent(p.section(), s -> new TreeMap<>())
              .computeIfAbsent(p.key(), k -> new TreeMap<>());
      p.counters().forEach((name, value) -> entry.merge(name, value, Long::sum));
    }
    return new RunReport(sections);
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
      Map<String, Map<String, Map<String, Long>>> sections = new TreeMap<>();
      root.fields()
          .forEachRemaining(
              s -> {
                Map<String, Map<String, Long>> entries = new TreeMap<>();
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
                          entries.put(e.getKey(), counters);
                        });
                sections.put(s.getKey(), entries);
              });
      return new RunReport(sections);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a hogbeam report: " + e.getMessage(), e);
    }
  }
}
