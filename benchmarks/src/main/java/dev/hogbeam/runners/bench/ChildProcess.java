package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Runs one command as a child process and watches it from outside: wall time, peak resident memory
 * ({@code VmHWM} from {@code /proc/<pid>/status}, polled until it exits) and CPU time ({@code utime
 * + stime} of {@code /proc/<pid>/stat}). Its output goes to a log file, each line's arrival time
 * noted, so that the time between two lines (the plan printed, the summary printed) can be read
 * off.
 */
final class ChildProcess {
  private static final double CLOCK_TICKS = 100.0; // USER_HZ on Linux

  record Result(
      int exitCode,
      double wallSeconds,
      double startToMarkSeconds,
      double markToEndSeconds,
      long peakRssBytes,
      double cpuSeconds,
      Path log) {}

  private ChildProcess() {}

  /**
   * @param startMark the first output line matching it starts the "pipeline" interval
   * @param endMark the first later line matching it ends it
   */
  static Result run(
      List<String> command,
      Map<String, String> environment,
      Path log,
      Predicate<String> startMark,
      Predicate<String> endMark)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(environment);
    long t0 = System.nanoTime();
    Process p = pb.start();
    AtomicLong started = new AtomicLong();
    AtomicLong ended = new AtomicLong();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
                  PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  long now = System.nanoTime();
                  out.println(line);
                  if (started.get() == 0 && startMark.test(line)) {
                    started.set(now);
                  } else if (started.get() != 0 && ended.get() == 0 && endMark.test(line)) {
                    ended.set(now);
                  }
                }
              } catch (IOException e) {
                // the child closed its output
              }
            },
            "child-output");
    pump.setDaemon(true);
    pump.start();
    long peakRss = 0;
    long cpuTicks = 0;
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    Path stat = Path.of("/proc", Long.toString(p.pid()), "stat");
    while (p.isAlive()) {
      peakRss = Math.max(peakRss, readPeakRss(status));
      cpuTicks = Math.max(cpuTicks, readCpuTicks(stat));
      Thread.sleep(100);
    }
    int code = p.waitFor();
    long t1 = System.nanoTime();
    pump.join(10_000);
    double startToMark = started.get() == 0 ? Double.NaN : (started.get() - t0) / 1e9;
    double markToEnd = ended.get() == 0 ? Double.NaN : (ended.get() - started.get()) / 1e9;
    return new Result(
        code, (t1 - t0) / 1e9, startToMark, markToEnd, peakRss, cpuTicks / CLOCK_TICKS, log);
  }

  /** {@code VmHWM} in bytes, 0 once the process is gone. */
  static long readPeakRss(Path status) {
    try {
      for (String line : Files.readAllLines(status, UTF_8)) {
        if (line.startsWith("VmHWM:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return 0;
  }

  /** utime + stime in clock ticks, 0 once the process is gone. */
  static long readCpuTicks(Path stat) {
    try {
      String s = Files.readString(stat, UTF_8);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // fields after the command: state(3) ... utime(14) stime(15), i.e. indexes 11 and 12 here
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** CPU seconds of a running process so far (0 if unreadable). */
  static double cpuSeconds(long pid) {
    return readCpuTicks(Path.of("/proc", Long.toString(pid), "stat")) / CLOCK_TICKS;
  }
}
