package dev.hogbeam.pipeline.report;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * One contribution to the final report: named counters for one entry (a shard, a send group, a
 * dead-letter stage) of one section. Parts with the same section and key are summed.
 */
@DefaultCoder(SerializableCoder.class)
public final class ReportPart implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Sections of the report. */
  public static final String SHARDS = "shards";

  public static final String GROUPS = "groups";
  public static final String DEAD_LETTERS = "deadLetters";

  private final String section;
  private final String key;
  private final TreeMap<String, Long> counters;

  private ReportPart(String section, String key, TreeMap<String, Long> counters) {
    this.section = section;
    this.key = key;
    this.counters = counters;
  }

  public static ReportPart of(String section, String key, Map<String, Long> counters) {
    return new ReportPart(section, key, new TreeMap<>(counters));
  }

  public static ReportPart of(String section, String key, String counter, long value) {
    TreeMap<String, Long> m = new TreeMap<>();
    m.put(counter, value);
    return new ReportPart(section, key, m);
  }

  public String section() {
    return section;
  }

  public String key() {
    return key;
  }

  public Map<String, Long> counters() {
    return java.util.Collections.unmodifiableMap(counters);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReportPart
        && ((ReportPart) o).section.equals(section)
        && ((ReportPart) o).key.equals(key)
        && ((ReportPart) o).counters.equals(counters);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(section, key, counters);
  }

  @Override
  public String toString() {
    return section + "/" + key + counters;
  }
}
