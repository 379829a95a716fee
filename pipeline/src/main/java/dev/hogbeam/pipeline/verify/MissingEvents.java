package dev.hogbeam.pipeline.verify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.values.KV;

/** Reads {@code verify/missing.tsv} ({@code day, event, uuid} per line) for a repair. */
final class MissingEvents {
  private MissingEvents() {}

  /** A UTF-8 reader of {@code file}, any Beam file system path. */
  static BufferedReader reader(String file) throws IOException {
    return new BufferedReader(
        new InputStreamReader(
            Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(file, false))),
            StandardCharsets.UTF_8));
  }

  /** The missing uuids by UTC day, in chunks of at most {@code chunk} uuids. */
  static List<KV<String, List<String>>> chunksByDay(String file, int chunk) throws IOException {
    Map<String, List<String>> byDay = new TreeMap<>();
    try (BufferedReader r = reader(file)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        int first = line.indexOf('\t');
        int last = line.lastIndexOf('\t');
        byDay
            .computeIfAbsent(line.substring(0, first), d -> new ArrayList<>())
            .add(line.substring(last + 1));
      }
    }
    List<KV<String, List<String>>> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : byDay.entrySet()) {
      List<String> uuids = e.getValue();
      for (int i = 0; i < uuids.size(); i += chunk) {
        out.add(
            KV.of(e.getKey(), List.copyOf(uuids.subList(i, Math.min(uuids.size(), i + chunk)))));
      }
    }
    return out;
  }
}
