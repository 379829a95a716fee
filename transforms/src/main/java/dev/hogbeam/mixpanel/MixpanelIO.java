package dev.hogbeam.mixpanel;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.download.DownloadCache;
import dev.hogbeam.download.DownloadSlots;
import dev.hogbeam.download.HttpDownload;
import dev.hogbeam.download.QueryLimits;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.progress.ReadProgress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads Mixpanel raw event exports: JSON-lines files (plain, .gz or .zip, any Beam file system;
 * {@link #readFiles()}) or days of the raw Export API ({@link #readExport}). Both give the lines
 * with their origin ({@link SourceLine}) and dead letters for files that are damaged; {@link
 * MixpanelEventMapper} turns a line into a PostHog event.
 *
 * <p>The Export API read stages before it reads: each day is downloaded whole into the staging
 * directory (gzip, under a temporary name, then renamed: {@link DownloadCache}; an empty day is
 * recorded as empty) and the lines are read from the staged file. A later run of the same migration
 * finds the day staged and never downloads it again, so a resumed run reads exactly the bytes the
 * killed run read, although Mixpanel's answer for the same day changes between downloads (line
 * order, late events, compaction of duplicates). A day is the smallest unit: the Export API selects
 * by date only, and at 60 queries an hour, asking per hour would make a year take 6 days. A staged
 * day over a size is split into hour pieces after staging ({@link DaySplitter}), each read on its
 * own, so a very large day is read by up to 24 workers.
 */
public final class MixpanelIO {
  private MixpanelIO() {}

  /** Mixpanel's Export API hosts by data residency. */
  static final Map<String, String> REGIONS =
      Map.of(
          "us", "https://data.mixpanel.com",
          "eu", "https://data-eu.mixpanel.com",
          "in", "https://data-in.mixpanel.com");

  /** The Export API host of a residency: {@code us}, {@code eu} or {@code in}, in any case. */
  public static String regionUrl(String region) {
    String url = region == null ? null : REGIONS.get(region.strip().toLowerCase(Locale.ROOT));
    checkArgument(url != null, "region must be us, eu or in, but was %s", region);
    return url;
  }

  /** Reads Mixpanel export files (JSON lines, plain, .gz or .zip) matching a file pattern. */
  public static JsonLineFiles.ReadFiles readFiles() {
    return JsonLineFiles.read();
  }

  /** Where and how the Export API is read. */
  public record ExportSettings(
      String baseUrl,
      MixpanelCredentials credentials,
      @Nullable String projectId,
      QueryLimits limits,
      HttpDownload.Policy policy)
      implements Serializable {
    public ExportSettings {
      checkArgument(
          baseUrl.startsWith("http://") || baseUrl.startsWith("https://"),
          "baseUrl must be an http(s) URL, but was %s",
          baseUrl);
      checkNotNull(credentials, "credentials");
      checkArgument(
          !credentials.isServiceAccount() || projectId != null,
          "a service account needs the project id (--mixpanelProjectId)");
    }
  }

  /**
   * Downloads (or takes from {@code stagingDir}) and reads the given days ({@code yyyy-MM-dd}, days
   * of the project's timezone). At most {@code limits.concurrent} days are downloading at once; the
   * limits hold across every worker thread of the JVM.
   */
  public static ReadExport readExport(
      ExportSettings settings,
      List<String> days,
      String stagingDir,
      ReadProgress progress,
      long maxLineBytes,
      long splitDayBytes,
      MixpanelEventMapper mapper) {
    return new ReadExport(
        settings, List.copyOf(days), stagingDir, progress, maxLineBytes, splitDayBytes, mapper);
  }

  /** The source name of a staged day's (or hour piece's) lines, and of its read progress. */
  public static String source(String range) {
    return "export day " + range;
  }

  /** See {@link #readExport}. */
  public static final class ReadExport extends PTransform<PBegin, JsonLineFiles.LineRead> {
    private final ExportSettings settings;
    private final List<String> days;
    private final String stagingDir;
    private final ReadProgress progress;
    private final long maxLineBytes;
    private final long splitDayBytes;
    private final MixpanelEventMapper mapper;

    private ReadExport(
        ExportSettings settings,
        List<String> days,
        String stagingDir,
        ReadProgress progress,
        long maxLineBytes,
        long splitDayBytes,
        MixpanelEventMapper mapper) {
      checkArgument(!days.isEmpty(), "no day to read");
      checkArgument(maxLineBytes > 0, "maxLineBytes must be > 0");
      this.settings = settings;
      this.days = days;
      this.stagingDir = checkNotNull(stagingDir, "stagingDir");
      this.progress = progress;
      this.maxLineBytes = maxLineBytes;
      this.splitDayBytes = splitDayBytes;
      this.mapper = checkNotNull(mapper, "mapper");
    }

    @Override
    public JsonLineFiles.LineRead expand(PBegin input) {
      PCollectionTuple read =
          input
              .apply("Days", DownloadSlots.of(days, settings.limits().concurrent()))
              .apply(
                  "Stage days",
                  ParDo.of(
                      new StageDaysFn(settings, stagingDir, splitDayBytes, mapper, maxLineBytes)))
              .apply("Spread staged days", Reshuffle.viaRandomKey())
              .apply(
                  "Read staged days",
                  ParDo.of(new ReadStagedFn(progress, maxLineBytes))
                      .withOutputTags(
                          JsonLineFiles.LINES, TupleTagList.of(JsonLineFiles.DEAD_LETTERS)));
      return JsonLineFiles.LineRead.of(read);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("baseUrl", settings.baseUrl()))
          .add(DisplayData.item("days", days.size()))
          .add(DisplayData.item("stagingDir", stagingDir))
          .add(DisplayData.item("limits", settings.limits().toString()));
    }
  }

  private static final Counter DAYS_DOWNLOADED =
      Metrics.counter(MixpanelIO.class, "daysDownloaded");
  private static final Counter DAYS_EMPTY = Metrics.counter(MixpanelIO.class, "daysEmpty");
  private static final Counter DAYS_STAGED = Metrics.counter(MixpanelIO.class, "daysFromStaging");
  private static final Counter DAYS_SPLIT = Metrics.counter(MixpanelIO.class, "daysSplitIntoHours");

  /**
   * Stages each day of a slot (downloads it unless staged already); outputs (day, staged file) for
   * the days with events.
   */
  static final class StageDaysFn extends DoFn<KV<Integer, Iterable<String>>, KV<String, String>> {
    private final ExportSettings settings;
    private final String stagingDir;
    private final long splitDayBytes;
    private final MixpanelEventMapper mapper;
    private final long maxLineBytes;
    private transient MixpanelExportClient client;
    private transient DownloadCache cache;

    StageDaysFn(
        ExportSettings settings,
        String stagingDir,
        long splitDayBytes,
        MixpanelEventMapper mapper,
        long maxLineBytes) {
      this.settings = settings;
      this.stagingDir = stagingDir;
      this.splitDayBytes = splitDayBytes;
      this.mapper = mapper;
      this.maxLineBytes = maxLineBytes;
    }

    @Setup
    public void setup() {
      client =
          new MixpanelExportClient(
              settings.baseUrl(),
              settings.credentials(),
              settings.projectId(),
              settings.policy(),
              settings.limits().gate(),
              Thread::sleep);
      cache = DownloadCache.of(stagingDir, ".jsonl.gz");
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<String>> slot, OutputReceiver<KV<String, String>> out)
        throws Exception {
      for (String day : slot.getValue()) {
        if (stage(day)) {
          for (String range : pieces(day)) {
            out.output(KV.of(range, cache.data(range).toString()));
          }
        }
      }
    }

    /**
     * The staged ranges of a day with events: the day, or its hour pieces when it is over {@code
     * splitDayBytes} (split once, from the staged bytes).
     */
    private List<String> pieces(String day) throws IOException {
      if (cache.marked(day + ".split")) {
        return DaySplitter.pieces(cache, day);
      }
      long size = FileSystems.matchSingleFileSpec(cache.data(day).toString()).sizeBytes();
      if (size <= splitDayBytes) {
        return List.of(day);
      }
      DAYS_SPLIT.inc();
      return DaySplitter.split(cache, day, mapper, maxLineBytes);
    }

    /** Stages a day unless it is staged already; false when it has no events. */
    private boolean stage(String day) throws IOException, InterruptedException {
      DownloadCache.State state = cache.lookup(day);
      if (state != DownloadCache.State.MISSING) {
        DAYS_STAGED.inc();
        return state == DownloadCache.State.DATA;
      }
      Path body = Files.createTempFile("hogbeam-mixpanel-" + day + "-", ".body");
      Path gzip = Files.createTempFile("hogbeam-mixpanel-" + day + "-", ".jsonl.gz");
      try {
        if (!client.download(day, body)) {
          DAYS_EMPTY.inc();
          cache.storeEmpty(day);
          return false;
        }
        DAYS_DOWNLOADED.inc();
        cache.storeData(day, gzipped(body, gzip));
        return true;
      } finally {
        Files.deleteIfExists(body);
        Files.deleteIfExists(gzip);
      }
    }
  }

  /** {@code body} when it is gzip already, else {@code gzip} filled with it compressed. */
  static Path gzipped(Path body, Path gzip) throws IOException {
    try (InputStream in = Files.newInputStream(body)) {
      byte[] head = in.readNBytes(2);
      if (head.length == 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
        return body;
      }
    }
    try (InputStream in = Files.newInputStream(body);
        OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip), 1 << 16)) {
      in.transferTo(out);
    }
    return gzip;
  }

  /** Reads a staged day's lines. */
  static final class ReadStagedFn extends DoFn<KV<String, String>, SourceLine> {
    private final ReadProgress progress;
    private final long maxLineBytes;

    ReadStagedFn(ReadProgress progress, long maxLineBytes) {
      this.progress = progress;
      this.maxLineBytes = maxLineBytes;
    }

    @ProcessElement
    public void process(@Element KV<String, String> staged, MultiOutputReceiver out)
        throws Exception {
      try (InputStream in =
          Channels.newInputStream(
              FileSystems.open(FileSystems.matchNewResource(staged.getValue(), false)))) {
        JsonLineFiles.emitLines(source(staged.getKey()), in, out, progress, maxLineBytes);
      }
    }
  }
}
