package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU samples of the pipeline process (async-profiler, {@code event=cpu}, collapsed stacks with
 * thread names), attributed to the pipeline's stages by the innermost frame that belongs to one.
 *
 * <p>Each sample's stack is walked from the leaf towards the root, and the first frame matching a
 * rule below names the stage: so gzip inside the writer is "send", LZ4 inside the ClickHouse driver
 * is "read", a coder called by Flink's sorter is "coders", Flink's own sort and spill code is
 * "shuffle". Native frames (zlib, LZ4, the kernel) never match, so they count for the Java code
 * that called them. Samples of GC and JIT threads are counted by thread.
 */
final class StageProfile {
  /** Stages in printing order. */
  static final List<String> STAGES =
      List.of(
          "read",
          "map",
          "coders",
          "shuffle",
          "sort",
          "send",
          "checkpoint",
          "other hogbeam",
          "runner",
          "GC",
          "JIT",
          "other JVM");

  private static final String[][] RULES = {
    {"dev.hogbeam.event.CaptureEventCoder", "coders"},
    {"dev.hogbeam.clickhouse.EventRowCoder", "coders"},
    {"dev.hogbeam.order.SortedEventsCoder", "coders"},
    {"org.apache.beam.sdk.coders.", "coders"},
    {"org.apache.beam.runners.flink.translation.types.", "coders"},
    {"org.apache.flink.runtime.operators.sort.", "shuffle"},
    {"org.apache.flink.runtime.io.disk.", "shuffle"},
    {"org.apache.flink.runtime.io.network.", "shuffle"},
    {"org.apache.flink.runtime.util.ReusingKeyGroupedIterator", "shuffle"},
    {"org.apache.flink.runtime.util.NonReusingKeyGroupedIterator", "shuffle"},
    {"org.apache.flink.runtime.operators.GroupReduceDriver", "shuffle"},
    {"org.apache.beam.runners.direct.GroupByKeyOnlyEvaluatorFactory", "shuffle"},
    {"org.apache.beam.runners.direct.GroupAlsoByWindowEvaluatorFactory", "shuffle"},
    {"org.apache.beam.runners.core.GroupAlsoByWindow", "shuffle"},
    {"org.apache.beam.runners.core.ReduceFnRunner", "shuffle"},
    {"org.apache.beam.runners.core.SystemReduceFn", "shuffle"},
    {"org.apache.beam.runners.direct.CopyOnAccessInMemoryStateInternals", "shuffle"},
    {"dev.hogbeam.capture.", "send"},
    {"jdk.internal.net.http.", "send"},
    {"dev.hogbeam.pipeline.checkpoint.", "checkpoint"},
    {"dev.hogbeam.order.", "sort"},
    {"dev.hogbeam.clickhouse.MapPostHogEvents", "map"},
    {"dev.hogbeam.clickhouse.PostHogProperties", "map"},
    {"dev.hogbeam.clickhouse.", "read"},
    {"com.clickhouse.", "read"},
    {"dev.hogbeam.", "other hogbeam"},
    {"org.apache.flink.", "runner"},
    {"org.apache.beam.", "runner"},
  };

  private final Map<String, Long> samples;
  private final double secondsPerSample;

  private StageProfile(Map<String, Long> samples, double secondsPerSample) {
    this.samples = samples;
    this.secondsPerSample = secondsPerSample;
  }

  /**
   * Reads a collapsed-stacks file written with {@code threads}; {@code intervalNanos} of CPU per
   * sample.
   */
  static StageProfile read(Path collapsed, long intervalNanos) throws IOException {
    Map<String, Long> counts = new LinkedHashMap<>();
    STAGES.forEach(s -> counts.put(s, 0L));
    try (BufferedReader in = Files.newBufferedReader(collapsed, UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        int space = line.lastIndexOf(' ');
        if (space < 0) {
          continue;
        }
        long n = Long.parseLong(line.substring(space + 1).trim());
        counts.merge(stageOf(line.substring(0, space)), n, Long::sum);
      }
    }
    return new StageProfile(counts, intervalNanos / 1e9);
  }

  /** The stage of one collapsed stack ({@code [thread tid=N];root;...;leaf}). */
  static String stageOf(String stack) {
    String[] frames = stack.split(";");
    String thread = frames.length > 0 && frames[0].startsWith("[") ? frames[0] : "";
    if (thread.startsWith("[GC Thread")
        || thread.startsWith("[G1 ")
        || thread.startsWith("[VM Thread")) {
      return "GC";
    }
    if (thread.contains("CompilerThre")) {
      return "JIT";
    }
    for (int i = frames.length - 1; i >= (thread.isEmpty() ? 0 : 1); i--) {
      String f = frames[i].replace('/', '.');
      for (String[] rule : RULES) {
        if (f.startsWith(rule[0])) {
          return rule[1];
        }
      }
    }
    return "other JVM";
  }

  long total() {
    return samples.values().stream().mapToLong(Long::longValue).sum();
  }

  double cpuSeconds(String stage) {
    return samples.getOrDefault(stage, 0L) * secondsPerSample;
  }

  double share(String stage) {
    long t = total();
    return t == 0 ? 0 : (double) samples.getOrDefault(stage, 0L) / t;
  }

  double totalCpuSeconds() {
    return total() * secondsPerSample;
  }
}
