package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.auto.value.AutoValue;
import dev.hogbeam.download.DownloadCache;
import dev.hogbeam.download.DownloadSlots;
import dev.hogbeam.download.HttpDownload;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.progress.ReadProgress;
import dev.hogbeam.secret.SecretRef;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Amplitude export data: already downloaded export files ({@link #readFiles()}) or the Export
 * API itself ({@link #readExport()}). Both give the raw lines with their origin ({@link
 * SourceLine}) and dead letters for files that are damaged; {@link ConvertAmplitudeEvents} turns
 * the lines into PostHog events.
 *
 * <p>Both reads are bounded and stream: no file, zip entry or download is ever held in memory
 * whole. A file (or an hour) is read by one worker; files and hours are read in parallel.
 */
public final class AmplitudeIO {
  private static final Logger LOG = LoggerFactory.getLogger(AmplitudeIO.class);

  /** Amplitude's Export API hosts. */
  static final Map<String, String> REGIONS =
      Map.of("us", "https://amplitude.com", "eu", "https://analytics.eu.amplitude.com");

  private AmplitudeIO() {}

  /**
   * The Export API host of an Amplitude data region: {@code us} ({@code https://amplitude.com}) or
   * {@code eu} ({@code https://analytics.eu.amplitude.com}), in any case.
   */
  public static String regionUrl(String region) {
    String url = region == null ? null : REGIONS.get(region.strip().toLowerCase(Locale.ROOT));
    checkArgument(url != null, "region must be us or eu, but was %s", region);
    return url;
  }

  /**
   * Reads export files matching a file pattern, on any Beam FileSystem: zips of gzipped JSON-lines
   * files (the Export API's and the UI's format, {@code
   * <project>/<project>_<YYYY-MM-DD>_<H>#<N>.json.gz} inside), single gzipped JSON-lines files or
   * plain ones ({@link JsonLineFiles#read()}).
   */
  public static JsonLineFiles.ReadFiles readFiles() {
    return JsonLineFiles.read();
  }

  /** Downloads hours from Amplitude's Export API. */
  public static ReadExport readExport() {
    return new AutoValue_AmplitudeIO_ReadExport.Builder()
        .baseUrl(REGIONS.get("us"))
        .maxConcurrentDownloads(4)
        .policy(HttpDownload.Policy.defaults())
        .readProgress(ReadProgress.none())
        .maxLineBytes(JsonLineFiles.DEFAULT_MAX_LINE_BYTES)
        .build();
  }

  /**
   * Downloads a range of hours from Amplitude's Export API ({@code GET /api/2/export}, HTTP basic
   * auth with the project's API key and secret key) and reads them like {@link #readFiles()}.
   *
   * <p>Guarantees: each hour of [start, end) is requested as its own range (start = end = that
   * hour, as Amplitude's bounds are inclusive), so no hour is fetched twice. 404 is an empty hour.
   * 429, 408, 5xx, dropped connections and timeouts are retried with exponential backoff, honouring
   * {@code Retry-After}; 400 (an hour over Amplitude's 4 GB limit) and 401/403 (keys) fail the run
   * with a message naming the hour (never the keys). Downloads stream to local temporary files,
   * deleted once read. With {@link #withDownloadCache} each downloaded hour (and each empty one) is
   * kept, written under a temporary name then renamed, and a later run reads it from there without
   * a request. At most {@link #withMaxConcurrentDownloads} hours are downloaded at once across all
   * workers. Each hour with lines is reported to {@link #withReadProgress} once read.
   *
   * <p>Parallelism: the hours are spread over that many slots (a GroupByKey), so whatever is fused
   * after this read (the mapping) also runs on at most that many workers until the next shuffle. If
   * mapping rather than downloading is the bottleneck, redistribute the lines (e.g. {@code
   * Redistribute.arbitrarily()}) before mapping them.
   */
  @AutoValue
  public abstract static class ReadExport extends PTransform<PBegin, JsonLineFiles.LineRead> {
    abstract @Nullable ExportCredentials credentials();

    abstract String baseUrl();

    abstract @Nullable Instant start();

    abstract @Nullable Instant end();

    abstract @Nullable String downloadCache();

    abstract int maxConcurrentDownloads();

    abstract HttpDownload.Policy policy();

    abstract ReadProgress readProgress();

    abstract long maxLineBytes();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder maxLineBytes(long bytes);

      abstract Builder credentials(ExportCredentials credentials);

      abstract Builder baseUrl(String url);

      abstract Builder start(Instant start);

      abstract Builder end(Instant end);

      abstract Builder downloadCache(String directory);

      abstract Builder maxConcurrentDownloads(int n);

      abstract Builder policy(HttpDownload.Policy policy);

      abstract Builder readProgress(ReadProgress progress);

      abstract ReadExport build();
    }

    /** The project's API key and secret key (never logged or shown). */
    public ReadExport withCredentials(String apiKey, String secretKey) {
      return toBuilder().credentials(new ExportCredentials(apiKey, secretKey)).build();
    }

    /**
     * Where each worker reads the keys at setup (environment variables, files, Secret Manager): the
     * keys then never enter the serialized pipeline. Keys given as values ({@link
     * #withCredentials(String, String)}) stay in this JVM (the DirectRunner, an embedded Flink).
     */
    public ReadExport withCredentials(SecretRef apiKey, SecretRef secretKey) {
      return toBuilder().credentials(new ExportCredentials(apiKey, secretKey)).build();
    }

    /** {@code us} (default, amplitude.com) or {@code eu} (analytics.eu.amplitude.com). */
    public ReadExport withRegion(String region) {
      return withBaseUrl(regionUrl(region));
    }

    /** An explicit scheme and host (tests, proxies); {@code /api/2/export} is appended. */
    public ReadExport withBaseUrl(String url) {
      checkArgument(
          url != null && (url.startsWith("http://") || url.startsWith("https://")),
          "baseUrl must be an http(s) URL, but was %s",
          url);
      String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      return toBuilder().baseUrl(trimmed).build();
    }

    /** The hours [start, end): both whole UTC hours, end after start. */
    public ReadExport withRange(Instant start, Instant end) {
      checkNotNull(start, "start");
      checkNotNull(end, "end");
      ExportHours.plan(start, end); // validates
      return toBuilder().start(start).end(end).build();
    }

    /** A directory (any Beam FileSystem) where downloaded hours are kept for later runs. */
    public ReadExport withDownloadCache(String directory) {
      checkArgument(directory != null && !directory.isBlank(), "downloadCache must not be empty");
      return toBuilder().downloadCache(directory).build();
    }

    /** How many hours may be downloading at the same time, across all workers (default 4). */
    public ReadExport withMaxConcurrentDownloads(int n) {
      checkArgument(n > 0, "maxConcurrentDownloads must be > 0, but was %s", n);
      return toBuilder().maxConcurrentDownloads(n).build();
    }

    /**
     * Attempts per hour (default 8) and the backoff between them (default 5 s doubling up to 5 min;
     * a Retry-After header is honoured up to the maximum).
     */
    public ReadExport withRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
      checkArgument(maxAttempts > 0, "maxAttempts must be > 0, but was %s", maxAttempts);
      checkArgument(
          !initialBackoff.isNegative() && !maxBackoff.isNegative(), "backoff must not be negative");
      return toBuilder()
          .policy(policy().withRetries(maxAttempts, initialBackoff, maxBackoff))
          .build();
    }

    /** Connect timeout (default 30 s) and the longest silence while reading (default 5 min). */
    public ReadExport withTimeouts(Duration connect, Duration read) {
      checkArgument(connect.toMillis() > 0 && read.toMillis() > 0, "timeouts must be positive");
      return toBuilder().policy(policy().withTimeouts(connect, read)).build();
    }

    /** Where each hour's read is recorded (default: nowhere). */
    public ReadExport withReadProgress(ReadProgress progress) {
      checkNotNull(progress, "readProgress");
      return toBuilder().readProgress(progress).build();
    }

    /** As {@link JsonLineFiles.ReadFiles#withMaxLineBytes}. */
    public ReadExport withMaxLineBytes(long bytes) {
      checkArgument(bytes > 0, "maxLineBytes must be > 0, but was %s", bytes);
      return toBuilder().maxLineBytes(bytes).build();
    }

    /**
     * A trial run's read: the lines of each hour in order, through the same file reader as {@link
     * #expand}, until {@code visit} has enough. An hour in the download cache is read from there;
     * any other is downloaded to a temporary file, deleted afterwards: the cache is not written.
     */
    public void sample(JsonLineFiles.LineVisitor visit) throws Exception {
      checkArgument(credentials() != null && start() != null && end() != null, "not planned");
      ExportClient client = new ExportClient(baseUrl(), credentials(), policy(), Thread::sleep);
      DownloadCache cache = DownloadCache.of(downloadCache(), ".zip");
      for (String hour : ExportHours.plan(start(), end())) {
        String source = ExportHours.source(hour);
        DownloadCache.State state = cache == null ? null : cache.lookup(hour);
        if (state == DownloadCache.State.EMPTY) {
          continue;
        }
        if (state == DownloadCache.State.DATA) {
          try (InputStream in = Channels.newInputStream(FileSystems.open(cache.data(hour)))) {
            if (!JsonLineFiles.sampleLines(source, in, maxLineBytes(), visit)) {
              return;
            }
          }
          continue;
        }
        Path tmp = Files.createTempFile("hogbeam-amplitude-sample-" + hour + "-", ".zip");
        try {
          if (client.download(hour, tmp)) {
            try (InputStream in = Files.newInputStream(tmp)) {
              if (!JsonLineFiles.sampleLines(source, in, maxLineBytes(), visit)) {
                return;
              }
            }
          }
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
    }

    @Override
    public JsonLineFiles.LineRead expand(PBegin input) {
      checkArgument(
          credentials() != null,
          "AmplitudeIO.readExport() needs withCredentials(apiKey, secretKey): set %s",
          ExportCredentials.FLAGS);
      checkArgument(
          start() != null && end() != null,
          "AmplitudeIO.readExport() needs withRange(start, end) (the --startDate / --endDate"
              + " flags)");
      List<String> hours = ExportHours.plan(start(), end());
      int slotCount = maxConcurrentDownloads();
      LOG.info(
          "Amplitude export: {} hours from {} to {}, at most {} downloading at once{}",
          hours.size(),
          start(),
          end(),
          slotCount,
          downloadCache() == null ? "" : ", cache " + downloadCache());
      PCollectionTuple read =
          input
              .apply("Hours", DownloadSlots.of(hours, slotCount))
              .apply(
                  "Download and read",
                  ParDo.of(
                          new ReadHoursFn(
                              baseUrl(),
                              credentials(),
                              policy(),
                              downloadCache(),
                              readProgress(),
                              maxLineBytes()))
                      .withOutputTags(
                          JsonLineFiles.LINES, TupleTagList.of(JsonLineFiles.DEAD_LETTERS)));
      return JsonLineFiles.LineRead.of(read);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("baseUrl", baseUrl()))
          .addIfNotNull(DisplayData.item("start", start() == null ? null : start().toString()))
          .addIfNotNull(DisplayData.item("end", end() == null ? null : end().toString()))
          .addIfNotNull(DisplayData.item("downloadCache", downloadCache()))
          .add(DisplayData.item("maxConcurrentDownloads", maxConcurrentDownloads()));
    }
  }

  private static final Counter HOURS_DOWNLOADED =
      Metrics.counter(AmplitudeIO.class, "hoursDownloaded");
  private static final Counter HOURS_EMPTY = Metrics.counter(AmplitudeIO.class, "hoursEmpty");
  private static final Counter HOURS_CACHED = Metrics.counter(AmplitudeIO.class, "hoursFromCache");

  /** Downloads (or takes from the cache) and reads each hour of a concurrency slot. */
  static final class ReadHoursFn extends DoFn<KV<Integer, Iterable<String>>, SourceLine> {
    private final String baseUrl;
    private final ExportCredentials credentials;
    private final HttpDownload.Policy policy;
    private final @Nullable String cacheDir;
    private final ReadProgress progress;
    private final long maxLineBytes;
    private transient ExportClient client;
    private transient @Nullable DownloadCache cache;

    ReadHoursFn(
        String baseUrl,
        ExportCredentials credentials,
        HttpDownload.Policy policy,
        @Nullable String cacheDir,
        ReadProgress progress,
        long maxLineBytes) {
      this.maxLineBytes = maxLineBytes;
      this.baseUrl = baseUrl;
      this.credentials = credentials;
      this.policy = policy;
      this.cacheDir = cacheDir;
      this.progress = progress;
    }

    @Setup
    public void setup() {
      client = new ExportClient(baseUrl, credentials, policy, Thread::sleep);
      cache = DownloadCache.of(cacheDir, ".zip");
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<String>> slot, MultiOutputReceiver out)
        throws Exception {
      for (String hour : slot.getValue()) {
        readHour(hour, out);
      }
    }

    private void readHour(String hour, MultiOutputReceiver out) throws Exception {
      String source = ExportHours.source(hour);
      if (cache != null) {
        DownloadCache.State state = cache.lookup(hour);
        if (state == DownloadCache.State.EMPTY) {
          HOURS_CACHED.inc();
          HOURS_EMPTY.inc();
          return;
        }
        if (state == DownloadCache.State.DATA) {
          HOURS_CACHED.inc();
          try (InputStream in = Channels.newInputStream(FileSystems.open(cache.data(hour)))) {
            JsonLineFiles.emitLines(source, in, out, progress, maxLineBytes);
          }
          return;
        }
      }
      Path tmp = Files.createTempFile("hogbeam-amplitude-" + hour + "-", ".zip");
      try {
        boolean hasData = client.download(hour, tmp);
        if (!hasData) {
          HOURS_EMPTY.inc();
          if (cache != null) {
            cache.storeEmpty(hour);
          }
          return;
        }
        HOURS_DOWNLOADED.inc();
        if (cache != null) {
          cache.storeData(hour, tmp);
        }
        try (InputStream in = Files.newInputStream(tmp)) {
          JsonLineFiles.emitLines(source, in, out, progress, maxLineBytes);
        }
        LOG.debug("Amplitude export: read {}", source);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
