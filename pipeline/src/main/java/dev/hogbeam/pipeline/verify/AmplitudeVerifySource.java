package dev.hogbeam.pipeline.verify;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.amplitude.AmplitudeIO;
import dev.hogbeam.amplitude.ConvertAmplitudeEvents;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.state.StateFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The source side of {@code verify} for an Amplitude migration: the input is read again (the export
 * files, or the Export API hours from the migration's download cache) and mapped by the migration's
 * own conversion ({@link ConvertAmplitudeEvents}, with its settings), in parallel on the
 * DirectRunner; the distinct uuids of each (UTC day, event) are counted.
 *
 * <p>Alias events are not compared: which pairs a run aliases depends on the alias store at the
 * time it ran (pairs sent by another migration are not sent again), so the alias event's name is
 * left out on both sides ({@link #notCompared()}); so is {@code $set}, the final-state stage's
 * event. The mapping's dead letters are on the migration's dead-letter record, not counted per
 * cell.
 *
 * <p>The uuids of every cell are written once to {@code <dir>/verify/amplitude/}, one {@code
 * day\tevent\tuuid} line each; {@link #uuidsAfter} reads them back and keeps only the cell asked
 * for (memory grows with the size of that one cell).
 */
final class AmplitudeVerifySource implements VerifySource {
  private final String describe;
  private final Set<String> notCompared;
  private final SortedMap<DayEvent, Count> counts = new TreeMap<>();
  private final List<Path> files = new ArrayList<>();
  private Instant start;
  private Instant end;
  private int reads;

  /**
   * @param pattern the files to read (export files, or the download cache's {@code *.zip})
   * @param start the migrated range's start, or null to take it from the data (whole UTC days)
   * @param end its end (exclusive), or null likewise
   */
  AmplitudeVerifySource(
      String pattern,
      Instant start,
      Instant end,
      ConvertAmplitudeEvents conversion,
      AliasMode aliasMode,
      long maxLineBytes,
      Path workDir)
      throws IOException {
    this.describe = "Amplitude export files " + pattern + ", read again and mapped";
    // The final-state stage's $set events are not in the input either.
    this.notCompared =
        aliasMode == AliasMode.NONE ? Set.of("$set") : Set.of(aliasMode.eventName(), "$set");
    Path out = workDir.resolve("verify/amplitude");
    if (Files.isDirectory(out)) {
      try (var old = Files.list(out)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(out);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply("Read again", AmplitudeIO.readFiles().from(pattern).withMaxLineBytes(maxLineBytes))
        .getLines()
        .apply("Map again", conversion.withAliasMode(AliasMode.NONE))
        .getEvents()
        .apply("Events", Values.create())
        .apply(
            "Cell and uuid",
            MapElements.into(TypeDescriptors.strings()).via(AmplitudeVerifySource::line))
        .apply("Each uuid once", Distinct.create())
        .apply(
            "Write cells", TextIO.write().to(out.resolve("cells").toString()).withSuffix(".tsv"));
    p.run().waitUntilFinish();
    try (var listed = Files.list(out)) {
      listed.filter(f -> f.getFileName().toString().endsWith(".tsv")).sorted().forEach(files::add);
    }
    String first = null;
    String last = null;
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, UTF_8)) {
        String l;
        while ((l = r.readLine()) != null) {
          String[] parts = l.split("\t", 3);
          if (parts.length < 3 || notCompared.contains(parts[1])) {
            continue;
          }
          counts.merge(
              new DayEvent(parts[0], parts[1]),
              new Count(1, 0),
              (a, b) -> new Count(a.events() + b.events(), 0));
          first = first == null || parts[0].compareTo(first) < 0 ? parts[0] : first;
          last = last == null || parts[0].compareTo(last) > 0 ? parts[0] : last;
        }
      }
    }
    reads = 1;
    this.start =
        start != null
            ? start
            : first == null
                ? Instant.EPOCH
                : LocalDate.parse(first).atStartOfDay(ZoneOffset.UTC).toInstant();
    this.end =
        end != null
            ? end
            : last == null
                ? this.start
                : LocalDate.parse(last).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /**
   * {@code day \t event \t uuid}: event names cannot hold a tab in PostHog's UI, but are escaped.
   */
  private static String line(CaptureEvent e) {
    String day = Timestamps.toIso(e.timestampMicros()).substring(0, 10);
    return day + "\t" + e.event().replace('\t', ' ').replace('\n', ' ') + "\t" + e.uuid();
  }

  @Override
  public Instant start() {
    return start;
  }

  @Override
  public Instant end() {
    return end;
  }

  @Override
  public String describe() {
    return describe;
  }

  @Override
  public Set<String> notCompared() {
    return notCompared;
  }

  @Override
  public SortedMap<DayEvent, Count> counts() {
    return new TreeMap<>(counts);
  }

  @Override
  public List<String> uuidsAfter(DayEvent cell, String after, int limit) throws IOException {
    reads++;
    TreeSet<String> uuids = new TreeSet<>();
    String prefix = cell.day() + "\t" + cell.event() + "\t";
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, UTF_8)) {
        String l;
        while ((l = r.readLine()) != null) {
          if (l.startsWith(prefix)) {
            String uuid = l.substring(prefix.length());
            if (uuid.compareTo(after) > 0) {
              uuids.add(uuid);
              if (uuids.size() > limit) {
                uuids.pollLast();
              }
            }
          }
        }
      }
    }
    return new ArrayList<>(uuids);
  }

  @Override
  public int queries() {
    return reads;
  }

  /** Whether {@code pattern} matches any file (a migration whose cache was deleted has none). */
  static boolean matchesAny(String pattern) {
    return !StateFiles.list(pattern).isEmpty();
  }
}
