package dev.hogbeam.pipeline.verify;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * The comparison of {@code verify}, the same for every source:
 *
 * <ol>
 *   <li>counts on both sides per (UTC day, event);
 *   <li>with {@code --settleMinutes}, re-counts the days that differ every {@link Settings#poll()}
 *       until they match or the time is up;
 *   <li>a cell with fewer events in PostHog is "still arriving" when PostHog's count changed at the
 *       last re-count, or, without re-counts, when the migration sent last less than {@link
 *       Settings#ingestionLag()} ago; else its uuids are compared: both sides in uuid order, page
 *       by page (bounded memory), and every missing uuid is written to {@code verify/missing.tsv}
 *       ({@code day, event, uuid}), every unexpected one to {@code verify/unexpected.tsv}; uuids
 *       dead-lettered when sent are not missing.
 * </ol>
 */
final class Verifier {
  static final int UUIDS_KEPT = 1000;
  static final int PAGE = PostHogEvents.PAGE;

  /** How long to wait for ingestion. */
  record Settings(Duration settle, Duration poll, Duration ingestionLag, Instant lastSent) {}

  private final VerifySource source;
  private final PostHogEvents destination;
  private final Settings settings;
  private final Set<String> deadLettered;
  private final String missingFile;
  private final String unexpectedFile;
  private final Clock clock;
  private final java.io.PrintStream log;

  Verifier(
      VerifySource source,
      PostHogEvents destination,
      Settings settings,
      Set<String> deadLettered,
      String outputDir,
      Clock clock,
      java.io.PrintStream log) {
    this.source = source;
    this.destination = destination;
    this.settings = settings;
    this.deadLettered = deadLettered;
    this.missingFile = outputDir + "/missing.tsv";
    this.unexpectedFile = outputDir + "/unexpected.tsv";
    this.clock = clock;
    this.log = log;
  }

  String missingFile() {
    return missingFile;
  }

  VerifyReport run() throws Exception {
    Instant start = source.start();
    Instant end = source.end();
    SortedMap<DayEvent, VerifySource.Count> src = source.counts();
    SortedMap<DayEvent, Long> dst = destination.counts(start, end, null);
    dst.keySet().removeIf(k -> source.notCompared().contains(k.event()));
    Set<DayEvent> changed = new HashSet<>();

    Instant began = clock.instant();
    Instant deadline = began.plus(settings.settle());
    SortedSet<String> days = differingDays(src, dst);
    while (!days.isEmpty() && clock.instant().isBefore(deadline)) {
      Duration left = Duration.between(clock.instant(), deadline);
      Duration pause = left.compareTo(settings.poll()) < 0 ? left : settings.poll();
      log.printf(
          "%d day(s) differ; checking again in %ds (%ds left of --settleMinutes)%n",
          days.size(), pause.toSeconds(), left.toSeconds());
      Thread.sleep(pause.toMillis());
      SortedMap<DayEvent, Long> again = destination.counts(start, end, days);
      again.keySet().removeIf(k -> source.notCompared().contains(k.event()));
      changed.clear();
      for (String day : days) {
        Map<DayEvent, Long> before = new HashMap<>(dayOf(dst, day));
        Map<DayEvent, Long> after = dayOf(again, day);
        Set<DayEvent> keys = new HashSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (DayEvent k : keys) {
          if (!before.getOrDefault(k, 0L).equals(after.getOrDefault(k, 0L))) {
            changed.add(k);
          }
        }
        dst.keySet().removeAll(before.keySet());
        dst.putAll(after);
      }
      days = differingDays(src, dst);
    }
    long recheckedFor = Duration.between(began, clock.instant()).toSeconds();
    if (settings.settle().isZero()) {
      recheckedFor = 0;
    }
    boolean recentlySent =
        Duration.between(settings.lastSent(), clock.instant()).compareTo(settings.ingestionLag())
            < 0;

    TreeSet<DayEvent> all = new TreeSet<>(src.keySet());
    all.addAll(dst.keySet());
    List<CellResult> cells = new ArrayList<>();
    try (Writer missingOut = open(missingFile);
        Writer unexpectedOut = open(unexpectedFile)) {
      for (DayEvent k : all) {
        VerifySource.Count s = src.getOrDefault(k, new VerifySource.Count(0, 0));
        long d = dst.getOrDefault(k, 0L);
        if (s.events() == d) {
          cells.add(
              new CellResult(k, s.events(), d, s.deadLetters(), 0, 0, 0, List.of(), List.of()));
        } else if (s.events() > d
            && (changed.contains(k) || (settings.settle().isZero() && recentlySent))) {
          cells.add(
              new CellResult(
                  k, s.events(), d, s.deadLetters(), 0, s.events() - d, 0, List.of(), List.of()));
        } else {
          cells.add(compareUuids(k, s, d, start, end, missingOut, unexpectedOut));
        }
      }
    }
    return new VerifyReport(
        source.describe(),
        destination.client().uri().toString(),
        start,
        end,
        clock.instant(),
        cells,
        recheckedFor,
        source.queries(),
        destination.client().requests(),
        destination.client().throttled());
  }

  /** Both sides' uuids of {@code k} in order, merged: what only one side has. */
  private CellResult compareUuids(
      DayEvent k,
      VerifySource.Count s,
      long d,
      Instant start,
      Instant end,
      Writer missingOut,
      Writer unexpectedOut)
      throws Exception {
    SortedPages ours = new SortedPages((after, limit) -> source.uuidsAfter(k, after, limit), PAGE);
    SortedPages theirs =
        new SortedPages(
            (after, limit) -> destination.uuidsAfter(start, end, k, after, limit), PAGE);
    long missing = 0;
    long unexpected = 0;
    long dead = 0;
    List<String> missingKept = new ArrayList<>();
    List<String> unexpectedKept = new ArrayList<>();
    while (true) {
      String a = ours.peek();
      String b = theirs.peek();
      if (a == null && b == null) {
        break;
      }
      int cmp = a == null ? 1 : b == null ? -1 : a.compareTo(b);
      if (cmp == 0) {
        ours.take();
        theirs.take();
      } else if (cmp < 0) {
        ours.take();
        if (deadLettered.contains(a)) {
          dead++;
          continue;
        }
        missing++;
        if (missingKept.size() < UUIDS_KEPT) {
          missingKept.add(a);
        }
        missingOut.write(k.day() + "\t" + k.event() + "\t" + a + "\n");
      } else {
        theirs.take();
        unexpected++;
        if (unexpectedKept.size() < UUIDS_KEPT) {
          unexpectedKept.add(b);
        }
        unexpectedOut.write(k.day() + "\t" + k.event() + "\t" + b + "\n");
      }
    }
    return new CellResult(
        k,
        s.events(),
        d,
        s.deadLetters() + dead,
        missing,
        0,
        unexpected,
        List.copyOf(missingKept),
        List.copyOf(unexpectedKept));
  }

  private static SortedSet<String> differingDays(
      SortedMap<DayEvent, VerifySource.Count> src, SortedMap<DayEvent, Long> dst) {
    SortedSet<String> days = new TreeSet<>();
    for (Map.Entry<DayEvent, VerifySource.Count> e : src.entrySet()) {
      if (e.getValue().events() > dst.getOrDefault(e.getKey(), 0L)) {
        days.add(e.getKey().day());
      }
    }
    return days;
  }

  private static Map<DayEvent, Long> dayOf(SortedMap<DayEvent, Long> counts, String day) {
    return new TreeMap<>(counts.subMap(new DayEvent(day, ""), new DayEvent(day + "\0", "")));
  }

  private static Writer open(String path) throws IOException {
    return new BufferedWriter(
        new OutputStreamWriter(
            Channels.newOutputStream(
                FileSystems.create(FileSystems.matchNewResource(path, false), MimeTypes.TEXT)),
            StandardCharsets.UTF_8));
  }
}
