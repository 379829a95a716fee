package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap figures of a JVM's {@code -Xlog:gc} log: the most heap in use when a collection started
 * (the peak, garbage included), the most still in use right after one (what the process really
 * kept), and the total pause time.
 */
record GcLog(
    long peakUsedBytes,
    long maxAfterGcBytes,
    long committedBytes,
    int collections,
    double pauseSeconds) {

  // "GC(12) Pause Young (Normal) (G1 Evacuation Pause) 412M->95M(1024M) 12.345ms"
  private static final Pattern PAUSE =
      Pattern.compile(
          "GC\\(\\d+\\) Pause.* (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\) ([\\d.]+)ms");

  static GcLog read(Path log) throws IOException {
    long peak = 0;
    long after = 0;
    long committed = 0;
    int n = 0;
    double pause = 0;
    for (String line : Files.readAllLines(log, UTF_8)) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        n++;
        peak = Math.max(peak, bytes(m.group(1), m.group(2)));
        after = Math.max(after, bytes(m.group(3), m.group(4)));
        committed = Math.max(committed, bytes(m.group(5), m.group(6)));
        pause += Double.parseDouble(m.group(7)) / 1000;
      }
    }
    return new GcLog(peak, after, committed, n, pause);
  }

  private static long bytes(String value, String unit) {
    long v = Long.parseLong(value);
    switch (unit) {
      case "K":
        return v << 10;
      case "M":
        return v << 20;
      default:
        return v << 30;
    }
  }
}
