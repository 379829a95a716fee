package dev.hogbeam.pipeline.amplitude;

import com.google.common.hash.Hashing;
import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.amplitude.AmplitudeCounts;
import dev.hogbeam.amplitude.AmplitudeIO;
import dev.hogbeam.amplitude.ConvertAmplitudeEvents;
import dev.hogbeam.amplitude.MapAmplitudeEvents;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SendInOrder;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.files.InputFiles;
import dev.hogbeam.pipeline.identity.LinkStore;
import dev.hogbeam.pipeline.options.AmplitudeOptions;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.FinalStateScope;
import dev.hogbeam.pipeline.options.Flags;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.options.UrlRules;
import dev.hogbeam.pipeline.report.RunReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam amplitude}: Amplitude export files, or a range of Export API hours, into PostHog.
 * The source's part of the migration; the rest is the shared tail ({@link SendInOrder}).
 *
 * <ol>
 *   <li>plan: when the command starts; the files a pattern matches (with sizes) or the hours, plus
 *       the settings that shape the events, saved as {@code plan.json} with the checkpoints, so a
 *       re-run means the same migration;
 *   <li>read: {@link AmplitudeIO#readFiles()} or {@link AmplitudeIO#readExport()} (downloads kept
 *       in a cache, so a resumed run does not download again);
 *   <li>map: {@link ConvertAmplitudeEvents} (map, de-duplicate, aliases for the pairs the alias
 *       store does not hold yet), keyed by UTC day or person bucket; then the new pairs are written
 *       down ({@link LinkStore}) and every event waits for that write, so no alias is sent that a
 *       killed run could forget.
 * </ol>
 *
 * <p>Around the pipeline: when the command starts and after a successful run, pending pairs whose
 * alias event a group checkpoint shows as delivered are moved into the alias store ({@link
 * LinkStore}).
 */
public final class AmplitudeMigration implements EventSource<SourceLine> {
  static final String PLAN_FILE = "plan.json";
  static final String CHECKPOINT_ROOT = "hogbeam-checkpoints";

  /** Report section of the conversion's counts ({@link AmplitudeCounts}). */
  static final String AMPLITUDE = "amplitude";

  private final AmplitudePlan plan;
  private final AmplitudeOptions options;
  private final AliasMode aliasMode;
  private final LinkStore aliases;
  private final AmplitudeIO.@Nullable ReadExport export;
  private final @Nullable String downloadCache;

  private AmplitudeMigration(
      AmplitudeOptions options,
      AmplitudePlan plan,
      AmplitudeIO.@Nullable ReadExport export,
      @Nullable String downloadCache,
      AliasMode aliasMode,
      LinkStore aliases) {
    this.options = options;
    this.plan = plan;
    this.export = export;
    this.downloadCache = downloadCache;
    this.aliasMode = aliasMode;
    this.aliases = aliases;
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
  public static Migration<SourceLine> create(AmplitudeOptions o, MigrationCommand.Environment env)
      throws IOException {
    FileSystems.setDefaultPipelineOptions(o);
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination destination = Destination.from(o, secrets);
    Flags.checkPositive("personBuckets", o.getPersonBuckets());
    Flags.checkPositive("maxConcurrentDownloads", o.getMaxConcurrentDownloads());
    Flags.checkPositive("maxLineBytes", o.getMaxLineBytes());
    AliasMode aliasMode = aliasMode(o.getAliasMode());

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
    CheckpointStore store = Migration.Setup.store(o, dir);
    checkOrSavePlan(store, plan);
    String downloadCache = null;
    if (export != null) {
      downloadCache = o.getDownloadCache() != null ? o.getDownloadCache() : store.path("downloads");
      export = export.withDownloadCache(downloadCache);
    }
    String aliasStore =
        o.getAliasStore() != null
            ? o.getAliasStore()
            : destination.projectId() == null
                ? null
                : siblingOf(store.directory(), "amplitude-aliases-" + destination.projectId());

    LinkStore aliases =
        LinkStore.open(
            aliasStore,
            store.directory(),
            destination.sendsToPostHog(),
            aliasMode != AliasMode.NONE,
            PLAN_FILE);
    Migration.Setup setup = Migration.Setup.open(o, destination, dir);
    Migration<SourceLine> migration =
        Migration.of(
            new AmplitudeMigration(o, plan, export, downloadCache, aliasMode, aliases),
            setup,
            null);
    if (o.getPersons() == FinalStateScope.none) {
      return migration;
    }
    String pattern = plan.isFiles() ? plan.pattern() : downloadCache + "/*.zip";
    return migration.then(new AmplitudeFinalState(o, destination, store.directory(), pattern));
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
    Secrets.Secret apiKey =
        secrets.secret(
            "amplitudeApiKey",
            o.getAmplitudeApiKey(),
            "amplitudeApiKeyFile",
            o.getAmplitudeApiKeyFile(),
            "AMPLITUDE_API_KEY");
    Secrets.Secret secretKey =
        secrets.secret(
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
    UrlRules.checkEncrypted(
        "amplitudeUrl", url, o.getAllowInsecureHttp(), "the Amplitude API and secret keys");
    AmplitudeIO.ReadExport export =
        AmplitudeIO.readExport()
            .withBaseUrl(url)
            .withCredentials(apiKey.ref(), secretKey.ref())
            .withRange(start, end)
            .withMaxConcurrentDownloads(o.getMaxConcurrentDownloads())
            .withMaxLineBytes(o.getMaxLineBytes());
    return new Source(
        AmplitudePlan.export(url, start, end, settings),
        export,
        DateArgs.compact(start) + "-" + DateArgs.compact(end) + "-" + shortHash(apiKey.value(), 8));
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

  public static AliasMode aliasMode(String flag) {
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
    return UrlRules.regionOrUrl(
        "amplitudeRegion",
        o.getAmplitudeRegion(),
        "us",
        "amplitudeUrl",
        o.getAmplitudeUrl(),
        AmplitudeIO::regionUrl,
        "us or eu",
        "--amplitudeApiKeyFile / --amplitudeSecretKeyFile");
  }

  /** The files {@code pattern} matches now, in name order, with their sizes. */
  private static List<AmplitudePlan.InputFile> matchFiles(String pattern) throws IOException {
    List<AmplitudePlan.InputFile> files = new ArrayList<>();
    for (InputFiles.Matched f : InputFiles.match("inputFiles", pattern)) {
      files.add(new AmplitudePlan.InputFile(f.path(), f.bytes()));
    }
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

  /** {@code name} in the directory that holds {@code dir} (on any file system). */
  static String siblingOf(String dir, String name) {
    return LinkStore.besideCheckpoints(dir, name);
  }

  @Override
  public SourcePlan plan() {
    StringBuilder sb = new StringBuilder(plan.describe());
    if (export != null) {
      sb.append("\n  at most ")
          .append(options.getMaxConcurrentDownloads())
          .append(" hour(s) downloading at once; downloads kept in ")
          .append(downloadCache);
    }
    sb.append("\n  aliases: ");
    if (aliasMode == AliasMode.NONE) {
      sb.append("none (--aliasMode=none)");
    } else {
      sb.append(aliasMode.eventName())
          .append(" once per new (device_id, user_id) pair; ")
          .append(aliases.describe());
    }
    return SourcePlan.builder()
        .description(sb.toString())
        .shards(plan.shards())
        .dayGroup("UTC day")
        .rangeEndMicros(plan.isFiles() ? Long.MAX_VALUE : plan.end().toEpochMilli() * 1000)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<SourceLine>> read(SourceContext context) {
    PTransform<PBegin, JsonLineFiles.LineRead> read =
        export != null
            ? export.withReadProgress(context.ledger())
            : AmplitudeIO.readFiles()
                .from(plan.pattern())
                .withReadProgress(context.ledger())
                .withMaxLineBytes(options.getMaxLineBytes());
    String name = export != null ? "Read Amplitude Export API" : "Read Amplitude export files";
    return new PTransform<>() {
      @Override
      public SourceRead<SourceLine> expand(PBegin input) {
        JsonLineFiles.LineRead lines = input.apply(name, read);
        return SourceRead.of(lines.getLines(), lines.getDeadLetters());
      }
    };
  }

  @Override
  public PTransform<PCollection<SourceLine>, SourceEvents> map(SourceContext context) {
    ConvertAmplitudeEvents convert =
        ConvertAmplitudeEvents.create()
            .withKeepEventNames(options.getKeepEventNames())
            .withKeepSessionEvents(options.getKeepSessionEvents())
            .withAliasMode(aliasMode)
            .withGroupIdentify(options.getGroupIdentify())
            .withOrderingKey(context.orderingKey());
    String runId = context.ledger().runId();
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<SourceLine> lines) {
        ConvertAmplitudeEvents withPairs = convert;
        PCollection<String> taken =
            aliasMode == AliasMode.NONE ? null : aliases.takenPairs(lines.getPipeline());
        if (taken != null) {
          withPairs = convert.withRecordedAliasPairs(taken);
        }
        ConvertAmplitudeEvents.Result converted =
            lines.apply("Convert to PostHog events", withPairs);
        // New pairs are durable before any event can reach the writer.
        PCollection<KV<String, CaptureEvent>> events =
            aliases.heldUntilPending(converted.getEvents(), converted.getNewAliasPairs(), runId);
        return SourceEvents.of(events, converted.getDeadLetters())
            .withCounts(AMPLITUDE, "conversion", converted.getCounts());
      }
    };
  }

  /**
   * The plan's files in name order (or its hours in time order), read by the same reader as {@link
   * #read} without recording anything (an hour not in the download cache is downloaded to a
   * temporary file, the cache left as it is), each line mapped by {@link
   * MapAmplitudeEvents#mapAgain}, the mapping of {@link ConvertAmplitudeEvents}. Alias events and
   * the de-duplication of insert_ids, which need the whole input, are not shown.
   */
  @Override
  public Sampler sampler() {
    boolean keepNames = options.getKeepEventNames();
    boolean keepSessions = options.getKeepSessionEvents();
    return visit -> {
      JsonLineFiles.LineVisitor lines =
          line -> {
            MapAmplitudeEvents.Again again =
                MapAmplitudeEvents.mapAgain(keepNames, keepSessions, line.origin(), line.text());
            visit.accept(
                again.event() == null && again.deadLetter() == null
                    ? new Sampled(
                        line.origin(),
                        line.text(),
                        null,
                        null,
                        "a session event (--keepSessionEvents keeps them)")
                    : Sampled.of(line.origin(), line.text(), again.event(), again.deadLetter()));
            return true;
          };
      if (export != null) {
        export.sample(lines);
      } else {
        List<String> files = new ArrayList<>();
        plan.files().forEach(f -> files.add(f.path()));
        JsonLineFiles.sampleFiles(files, options.getMaxLineBytes(), lines);
      }
    };
  }

  /** Lines dead-lettered at the read or map stage are mapped again from their text. */
  @Override
  public Remapper remapper() {
    boolean keepNames = options.getKeepEventNames();
    boolean keepSessions = options.getKeepSessionEvents();
    return letter -> {
      MapAmplitudeEvents.Again again =
          MapAmplitudeEvents.mapAgain(keepNames, keepSessions, letter.source(), letter.payload());
      return new Remapped(again.event(), again.deadLetter());
    };
  }

  /** Records the pairs this run delivered (every group is done after a successful run). */
  @Override
  public void afterRun() throws IOException {
    aliases.afterRun();
  }

  @Override
  public String summary(RunReport report) {
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
      sb.append(aliases.summary("alias store:"));
    }
    return sb.toString();
  }
}
