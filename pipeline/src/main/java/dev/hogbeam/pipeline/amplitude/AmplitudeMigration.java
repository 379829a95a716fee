package dev.hogbeam.pipeline.amplitude;

import com.google.common.hash.Hashing;
import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.amplitude.AliasPairStore;
import dev.hogbeam.amplitude.AmplitudeCounts;
import dev.hogbeam.amplitude.AmplitudeIO;
import dev.hogbeam.amplitude.AmplitudeLine;
import dev.hogbeam.amplitude.ConvertAmplitudeEvents;
import dev.hogbeam.capture.WriteResult;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.Migration;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointProgress;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.ResumeState;
import dev.hogbeam.pipeline.options.AmplitudeOptions;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.report.ReportPart;
import dev.hogbeam.pipeline.report.ReportParts;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.pipeline.report.WriteReport;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam amplitude}: Amplitude export files, or a range of Export API hours, into PostHog.
 * The stages, each one named transform:
 *
 * <ol>
 *   <li>plan: at construction; the files a pattern matches (with sizes) or the hours, plus the
 *       settings that shape the events, saved as {@code plan.json} with the checkpoints, so a
 *       re-run means the same migration;
 *   <li>read: {@link AmplitudeIO#readFiles()} or {@link AmplitudeIO#readExport()} (downloads kept
 *       in a cache, so a resumed run does not download again);
 *   <li>convert: {@link ConvertAmplitudeEvents} (map, de-duplicate, aliases for the pairs the alias
 *       store does not hold yet), keyed by UTC day or person bucket;
 *   <li>pending aliases: the new pairs are written down ({@link PendingAliasPairs}) and every event
 *       waits for that write, so no alias is sent that a killed run could forget;
 *   <li>order: {@link OrderEvents}; groups an earlier run finished are left out;
 *   <li>write: {@code CaptureIO.write()} with the checkpoint stage {@link CheckpointProgress};
 *   <li>report: {@link WriteReport}, plus dead letters (read, map, capture) to {@code
 *       --deadLetterDir}.
 * </ol>
 *
 * <p>Around the pipeline, in the launcher: before the run and after a successful one, pending pairs
 * whose alias event a group checkpoint shows as delivered are moved into the alias store ({@link
 * PendingAliasPairs#settle}).
 */
public final class AmplitudeMigration implements Migration {
  static final String PLAN_FILE = "plan.json";
  static final String CHECKPOINT_ROOT = "hogbeam-checkpoints";

  /** Report section of the conversion's counts ({@link AmplitudeCounts}). */
  static final String AMPLITUDE = "amplitude";

  private final AmplitudePlan plan;
  private final Destination destination;
  private final CheckpointStore store;
  private final String deadLetterDir;
  private final ResumeState resume;
  private final OrderingKey orderingKey;
  private final AliasMode aliasMode;
  private final @Nullable String aliasStore;
  private final boolean recordsAliases;
  private final String runId;
  private final AmplitudeOptions options;
  private final AmplitudeIO.@Nullable ReadExport export;
  private final @Nullable String downloadCache;
  private final PendingAliasPairs.Settled settledBefore;
  private PendingAliasPairs.@Nullable Settled settledAfter;

  private AmplitudeMigration(
      AmplitudeOptions options,
      AmplitudePlan plan,
      AmplitudeIO.@Nullable ReadExport export,
      @Nullable String downloadCache,
      Destination destination,
      CheckpointStore store,
      String deadLetterDir,
      OrderingKey orderingKey,
      AliasMode aliasMode,
      @Nullable String aliasStore,
      PendingAliasPairs.Settled settledBefore) {
    this.options = options;
    this.plan = plan;
    this.export = export;
    this.downloadCache = downloadCache;
    this.destination = destination;
    this.store = store;
    this.deadLetterDir = deadLetterDir;
    this.orderingKey = orderingKey;
    this.aliasMode = aliasMode;
    this.aliasStore = aliasStore;
    this.recordsAliases =
        aliasStore != null && aliasMode != AliasMode.NONE && destination.sendsToPostHog();
    this.settledBefore = settledBefore;
    this.resume = ResumeState.of(store.readAllGroups());
    this.runId =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(Instant.now())
            + "-"
            + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The {@code amplitude} subcommand. */
  public static MigrationCommand<AmplitudeOptions> command() {
    return new MigrationCommand<>("amplitude", AmplitudeOptions.class, AmplitudeMigration::create);
  }

  /** {@code java -cp ... dev.hogbeam.pipeline.amplitude.AmplitudeMigration --flags...}. */
  public static void main(String[] args) {
    System.exit(command().run(args, MigrationCommand.Environment.system()));
  }

  /**
   * Checks every flag, plans the input (matches the files, or counts the hours), checks the plan
   * against the checkpoints, and records the aliases earlier runs delivered.
   */
  public static AmplitudeMigration create(AmplitudeOptions o, MigrationCommand.Environment env)
      throws IOException {
    FileSystems.setDefaultPipelineOptions(o);
    Secrets secrets = Secrets.from(env.variables());
    Destination destination = Destination.from(o, secrets);
    checkPositive("personBuckets", o.getPersonBuckets());
    checkPositive("maxConcurrentDownloads", o.getMaxConcurrentDownloads());
    AliasMode aliasMode = aliasMode(o.getAliasMode());
    OrderingKey orderingKey =
        o.getOrderBy() == OrderBy.person
            ? OrderingKey.person(o.getPersonBuckets())
            : OrderingKey.day();

    Map<String, String> settings = new TreeMap<>();
    settings.put(
        "--orderBy",
        o.getOrderBy() == OrderBy.person ? "person (" + o.getPersonBuckets() + " buckets)" : "day");
    settings.put("--aliasMode", aliasMode.name().toLowerCase(Locale.ROOT));
    settings.put("--keepEventNames", Boolean.toString(o.getKeepEventNames()));
    settings.put("--keepSessionEvents", Boolean.toString(o.getKeepSessionEvents()));
    settings.put("--groupIdentify", Boolean.toString(o.getGroupIdentify()));
    settings.put("the destination (--posthogApiKey, --dryRun, --outputDir)", destination.id());

    Source source =
        o.getInputFiles() != null ? planFiles(o, settings) : planExport(o, secrets, env, settings);
    AmplitudePlan plan = source.plan();
    AmplitudeIO.ReadExport export = source.export();

    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : CHECKPOINT_ROOT + "/amplitude-" + source.id() + "-" + destination.dirSuffix();
    CheckpointStore store = CheckpointStore.at(dir);
    checkOrSavePlan(store, plan);
    String downloadCache = null;
    if (export != null) {
      downloadCache = o.getDownloadCache() != null ? o.getDownloadCache() : store.path("downloads");
      export = export.withDownloadCache(downloadCache);
    }
    String deadLetterDir =
        o.getDeadLetterDir() != null ? o.getDeadLetterDir() : store.path("dead-letters");
    String aliasStore =
        o.getAliasStore() != null
            ? o.getAliasStore()
            : destination.projectId() == null
                ? null
                : siblingOf(store.directory(), "amplitude-aliases-" + destination.projectId());

    PendingAliasPairs.Settled settled = new PendingAliasPairs.Settled(0, 0, 0);
    if (aliasStore != null && destination.sendsToPostHog()) {
      settled = PendingAliasPairs.settle(aliasStore, PLAN_FILE);
    }
    return new AmplitudeMigration(
        o,
        plan,
        export,
        downloadCache,
        destination,
        store,
        deadLetterDir,
        orderingKey,
        aliasMode,
        aliasStore,
        settled);
  }

  /** The plan, the Export API read (null for files) and a short id for the checkpoint directory. */
  private record Source(AmplitudePlan plan, AmplitudeIO.@Nullable ReadExport export, String id) {}

  private static Source planFiles(AmplitudeOptions o, Map<String, String> settings)
      throws IOException {
    rejectExportFlags(o);
    return new Source(
        AmplitudePlan.files(o.getInputFiles(), matchFiles(o.getInputFiles()), settings),
        null,
        "files-" + shortHash(o.getInputFiles(), 8));
  }

  private static Source planExport(
      AmplitudeOptions o,
      Secrets secrets,
      MigrationCommand.Environment env,
      Map<String, String> settings) {
    String apiKey =
        secrets.resolve(
            "amplitudeApiKey",
            o.getAmplitudeApiKey(),
            "amplitudeApiKeyFile",
            o.getAmplitudeApiKeyFile(),
            "AMPLITUDE_API_KEY");
    String secretKey =
        secrets.resolve(
            "amplitudeSecretKey",
            o.getAmplitudeSecretKey(),
            "amplitudeSecretKeyFile",
            o.getAmplitudeSecretKeyFile(),
            "AMPLITUDE_SECRET_KEY");
    if (apiKey == null && secretKey == null) {
      throw new IllegalArgumentException(
          "nothing to read: give --inputFiles=<file pattern> for export files you have, or the"
              + " Export API keys --amplitudeApiKey and --amplitudeSecretKey (or"
              + " AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY, or --amplitudeApiKeyFile /"
              + " --amplitudeSecretKeyFile) with --startDate and --endDate");
    }
    if (apiKey == null || secretKey == null) {
      throw new IllegalArgumentException(
          "the Export API needs both keys; "
              + (apiKey == null
                  ? "--amplitudeApiKey (or AMPLITUDE_API_KEY, --amplitudeApiKeyFile)"
                  : "--amplitudeSecretKey (or AMPLITUDE_SECRET_KEY, --amplitudeSecretKeyFile)")
              + " is missing");
    }
    if (o.getStartDate() == null || o.getEndDate() == null) {
      throw new IllegalArgumentException(
          "the Export API needs --startDate and --endDate (whole UTC hours, end exclusive)");
    }
    Instant start = wholeHour("startDate", o.getStartDate());
    Instant end = wholeHour("endDate", o.getEndDate());
    DateArgs.checkRange(start, end, env.clock().instant(), o.getAllowRecentEvents());
    String url = exportUrl(o);
    AmplitudeIO.ReadExport export =
        AmplitudeIO.readExport()
            .withBaseUrl(url)
            .withCredentials(apiKey, secretKey)
            .withRange(start, end)
            .withMaxConcurrentDownloads(o.getMaxConcurrentDownloads());
    return new Source(
        AmplitudePlan.export(url, start, end, settings),
        export,
        compact(start) + "-" + compact(end) + "-" + shortHash(apiKey, 8));
  }

  private static void rejectExportFlags(AmplitudeOptions o) {
    List<String> given = new ArrayList<>();
    addIfSet(given, "--amplitudeApiKey", o.getAmplitudeApiKey());
    addIfSet(given, "--amplitudeApiKeyFile", o.getAmplitudeApiKeyFile());
    addIfSet(given, "--amplitudeSecretKey", o.getAmplitudeSecretKey());
    addIfSet(given, "--amplitudeSecretKeyFile", o.getAmplitudeSecretKeyFile());
    addIfSet(given, "--amplitudeRegion", o.getAmplitudeRegion());
    addIfSet(given, "--amplitudeUrl", o.getAmplitudeUrl());
    addIfSet(given, "--startDate", o.getStartDate());
    addIfSet(given, "--endDate", o.getEndDate());
    addIfSet(given, "--downloadCache", o.getDownloadCache());
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(
          "--inputFiles reads export files whole, from start to end; "
              + String.join(", ", given)
              + (given.size() == 1 ? " is" : " are")
              + " for the Export API: give either --inputFiles or the Export API flags");
    }
  }

  private static void addIfSet(List<String> given, String flag, @Nullable String value) {
    if (value != null) {
      given.add(flag);
    }
  }

  private static void checkPositive(String flag, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException("--" + flag + " must be > 0, but was " + value);
    }
  }

  static AliasMode aliasMode(String flag) {
    switch (flag == null ? "" : flag.strip().toLowerCase(Locale.ROOT)) {
      case "create_alias":
        return AliasMode.CREATE_ALIAS;
      case "identify":
        return AliasMode.IDENTIFY;
      case "none":
        return AliasMode.NONE;
      default:
        throw new IllegalArgumentException(
            "--aliasMode must be create_alias, identify or none, but was '" + flag + "'");
    }
  }

  /**
   * A --startDate / --endDate for the Export API: a whole UTC hour, since an hour is the smallest
   * range Amplitude serves. Anything else is refused rather than rounded, so no hour is read that
   * the user did not ask for, and none is left out.
   */
  static Instant wholeHour(String flag, String text) {
    Instant t = DateArgs.parse(flag, text);
    if (!t.truncatedTo(ChronoUnit.HOURS).equals(t)) {
      throw new IllegalArgumentException(
          "--"
              + flag
              + "="
              + text
              + " is not a whole UTC hour ("
              + t
              + "); the Export API serves"
              + " whole hours only: use --"
              + flag
              + "="
              + t.truncatedTo(ChronoUnit.HOURS)
              + " or --"
              + flag
              + "="
              + t.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS));
    }
    return t;
  }

  private static String exportUrl(AmplitudeOptions o) {
    if (o.getAmplitudeRegion() != null && o.getAmplitudeUrl() != null) {
      throw new IllegalArgumentException(
          "--amplitudeRegion and --amplitudeUrl exclude each other; give one");
    }
    if (o.getAmplitudeUrl() != null) {
      String url = o.getAmplitudeUrl().strip();
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new IllegalArgumentException("--amplitudeUrl must be an http(s) URL, but was " + url);
      }
      return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
    try {
      return AmplitudeIO.regionUrl(o.getAmplitudeRegion() == null ? "us" : o.getAmplitudeRegion());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--amplitudeRegion must be us or eu, but was '" + o.getAmplitudeRegion() + "'", e);
    }
  }

  /** The files {@code pattern} matches now, in name order, with their sizes. */
  private static List<AmplitudePlan.InputFile> matchFiles(String pattern) throws IOException {
    MatchResult m;
    try {
      m = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW);
    } catch (FileNotFoundException e) {
      m = null;
    }
    List<AmplitudePlan.InputFile> files = new ArrayList<>();
    if (m != null && m.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata md : m.metadata()) {
        if (!md.resourceId().isDirectory()) {
          files.add(new AmplitudePlan.InputFile(md.resourceId().toString(), md.sizeBytes()));
        }
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("--inputFiles='" + pattern + "' matches no file");
    }
    files.sort((a, b) -> a.path().compareTo(b.path()));
    return files;
  }

  private static void checkOrSavePlan(CheckpointStore store, AmplitudePlan plan) {
    String saved = store.readText(PLAN_FILE);
    if (saved == null) {
      store.writeText(PLAN_FILE, plan.toJson());
      return;
    }
    List<String> differences = plan.differencesFrom(AmplitudePlan.fromJson(saved));
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException(
          "--checkpointDir="
              + store.directory()
              + " holds the checkpoints of a different"
              + " migration: "
              + String.join("; ", differences)
              + ". Give another --checkpointDir"
              + " (the alias store is shared anyway), or delete that one to start over");
    }
  }

  static String shortHash(String text, int chars) {
    return Hashing.sha256().hashString(text, StandardCharsets.UTF_8).toString().substring(0, chars);
  }

  /** {@code 20240101} for a midnight, {@code 20240101T13} for another hour. */
  static String compact(Instant hour) {
    String pattern = hour.truncatedTo(ChronoUnit.DAYS).equals(hour) ? "yyyyMMdd" : "yyyyMMdd'T'HH";
    return DateTimeFormatter.ofPattern(pattern).withZone(ZoneOffset.UTC).format(hour);
  }

  /** {@code name} in the directory that holds {@code dir} (on any file system). */
  static String siblingOf(String dir, String name) {
    String d = dir;
    while (d.endsWith("/") && d.length() > 1) {
      d = d.substring(0, d.length() - 1);
    }
    int scheme = d.indexOf("://");
    int slash = d.lastIndexOf('/');
    if (slash < 0) {
      return name;
    }
    if (scheme >= 0 && slash < scheme + 3 + 1) {
      return d + "/" + name; // the root of a bucket: nothing above it
    }
    return d.substring(0, slash + 1) + name;
  }

  @Override
  public String describe() {
    StringBuilder sb = new StringBuilder(plan.describe());
    if (export != null) {
      sb.append("\n  at most ")
          .append(options.getMaxConcurrentDownloads())
          .append(" hour(s) downloading at once; downloads kept in ")
          .append(downloadCache);
    }
    sb.append("\n  ").append(destination.describe());
    sb.append("\n  order: ")
        .append(
            options.getOrderBy() == OrderBy.day
                ? "each UTC day in time order"
                : "each person in time order, " + options.getPersonBuckets() + " buckets");
    sb.append("\n  aliases: ");
    if (aliasMode == AliasMode.NONE) {
      sb.append("none (--aliasMode=none)");
    } else {
      sb.append(aliasMode.eventName()).append(" once per new (device_id, user_id) pair");
      if (aliasStore == null) {
        sb.append("; no alias store (no PostHog API key): every pair counts as new");
      } else {
        sb.append("; pairs already sent are in ").append(aliasStore);
        if (!recordsAliases) {
          sb.append(" (read only: this run sends nothing to PostHog)");
        } else if (settledBefore.recorded() + settledBefore.stillPending() > 0) {
          sb.append(" (")
              .append(settledBefore.recorded())
              .append(" pending record(s) of earlier runs settled now, ")
              .append(settledBefore.stillPending())
              .append(" still pending)");
        }
      }
    }
    sb.append("\n  checkpoints: ").append(store.directory()).append(resume.describe());
    return sb.toString();
  }

  @Override
  public CheckpointStore checkpoints() {
    return store;
  }

  @Override
  public String deadLetterDir() {
    return deadLetterDir;
  }

  @Override
  public long expectedEvents() {
    return 0; // unknown until the files are read
  }

  @Override
  public int shards() {
    return plan.shards();
  }

  @Override
  public Map<String, Long> groupStarts() {
    return Map.of(); // groups are the days (or persons) found in the data
  }

  @Override
  public long rangeEndMicros() {
    return plan.isFiles() ? Long.MAX_VALUE : plan.end().toEpochMilli() * 1000;
  }

  @Override
  public void expand(Pipeline p) {
    // 1. Plan: made in create().
    // 2. Read.
    AmplitudeIO.ReadResult read =
        export != null
            ? p.apply("Read Amplitude Export API", export)
            : p.apply("Read Amplitude export files", AmplitudeIO.readFiles().from(plan.pattern()));
    // 3. Convert: map, de-duplicate, aliases for pairs not in the store.
    ConvertAmplitudeEvents convert =
        ConvertAmplitudeEvents.create()
            .withKeepEventNames(options.getKeepEventNames())
            .withKeepSessionEvents(options.getKeepSessionEvents())
            .withAliasMode(aliasMode)
            .withGroupIdentify(options.getGroupIdentify())
            .withOrderingKey(orderingKey);
    if (aliasStore != null && aliasMode != AliasMode.NONE) {
      convert =
          convert.withRecordedAliasPairs(
              p.apply("Read alias pairs already sent", AliasPairStore.read(aliasStore)));
    }
    ConvertAmplitudeEvents.Result converted =
        read.lines().apply("Convert to PostHog events", convert);
    PCollection<KV<String, CaptureEvent>> events = converted.events();
    if (!resume.finishedGroups().isEmpty()) {
      Set<String> finished = new TreeSet<>(resume.finishedGroups());
      events =
          events
              .apply("Skip finished groups", Filter.by(kv -> !finished.contains(kv.getKey())))
              .setCoder(converted.events().getCoder());
    }
    // 4. Pending aliases: durable before any event can reach the writer.
    if (recordsAliases) {
      PCollection<String> pendingFiles =
          converted
              .newAliasPairs()
              .apply(
                  "Write pending alias pairs",
                  PendingAliasPairs.write(
                      aliasStore, PendingAliasPairs.absolute(store.directory()), runId));
      events =
          events
              .apply("Wait for pending alias pairs", Wait.on(pendingFiles))
              .setCoder(converted.events().getCoder());
    }
    // 5. Order each group in time.
    PCollection<KV<String, Iterable<CaptureEvent>>> ordered =
        events.apply("Order each group in time", OrderEvents.create());
    // 6. Write, with a checkpoint after every batch.
    WriteResult written =
        ordered.apply(
            "Send to PostHog",
            destination.writer().withSendProgress(CheckpointProgress.to(store, null)));
    // Dead letters of every stage, with their reason.
    PCollection<DeadLetter> deadLetters =
        PCollectionList.of(read.deadLetters())
            .and(converted.deadLetters())
            .and(written.getDeadLetters())
            .apply("All dead letters", Flatten.pCollections());
    deadLetters.apply("Write dead letters", DeadLetterIO.write().to(deadLetterDir));
    // 7. Report.
    PCollectionList.of(read.lines().apply("Lines per input", linesPerSource()))
        .and(
            converted
                .counts()
                .apply("Conversion counts", ReportParts.asCounters(AMPLITUDE, "conversion")))
        .and(written.getStats().apply("Send stats", ReportParts.fromSendStats()))
        .and(deadLetters.apply("Dead-letter counts", ReportParts.fromDeadLetters()))
        .and(
            p.apply(
                "Resumed in-flight events",
                ReportParts.constant("possiblyResent", resume.possiblyResent())))
        .apply("All report parts", Flatten.pCollections())
        .apply("Write report", WriteReport.to(store));
  }

  /** Lines read per file or hour, as the report's shards. */
  private static PTransform<PCollection<AmplitudeLine>, PCollection<ReportPart>> linesPerSource() {
    return new PTransform<>() {
      @Override
      public PCollection<ReportPart> expand(PCollection<AmplitudeLine> lines) {
        return lines
            .apply(
                "Source of each line",
                MapElements.into(TypeDescriptors.strings()).via(AmplitudeLine::source))
            .apply("Count per source", Count.perElement())
            .apply("As report parts", ReportParts.perKey(ReportPart.SHARDS, "rowsRead"));
      }
    };
  }

  /** Records the pairs this run delivered (every group is done after a successful run). */
  @Override
  public void afterRun() throws IOException {
    if (recordsAliases) {
      settledAfter = PendingAliasPairs.settle(aliasStore, PLAN_FILE);
    }
  }

  @Override
  public String reportDetails(RunReport report) {
    Map<String, Long> c = report.totals(AMPLITUDE);
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "  amplitude: %,d session event(s) dropped, %,d insert_id duplicate(s) dropped,"
                + " %,d $groupidentify event(s)%n",
            c.getOrDefault(AmplitudeCounts.SESSION_EVENTS_DROPPED, 0L),
            c.getOrDefault(AmplitudeCounts.INSERT_ID_DUPLICATES_DROPPED, 0L),
            c.getOrDefault(AmplitudeCounts.GROUP_IDENTIFY_EVENTS, 0L)));
    if (aliasMode != AliasMode.NONE) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  aliases:   %,d new pair(s), %,d sent by earlier runs, %,d refused (an id PostHog"
                  + " does not merge)%n",
              c.getOrDefault(AmplitudeCounts.ALIAS_PAIRS_NEW, 0L),
              c.getOrDefault(AmplitudeCounts.ALIAS_PAIRS_ALREADY_SENT, 0L),
              c.getOrDefault(AmplitudeCounts.ALIAS_PAIRS_REFUSED, 0L)));
      if (settledAfter != null) {
        sb.append(
            String.format(
                Locale.ROOT,
                "  alias store: %s (%,d pending record(s) settled, %,d still pending)%n",
                aliasStore,
                settledAfter.recorded(),
                settledAfter.stillPending()));
      }
    }
    return sb.toString();
  }
}
