package dev.hogbeam.pipeline.mixpanel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import dev.hogbeam.download.HttpDownload;
import dev.hogbeam.download.QueryLimits;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.identity.IdentityLinks;
import dev.hogbeam.mixpanel.ConvertMixpanelEvents;
import dev.hogbeam.mixpanel.MixpanelCredentials;
import dev.hogbeam.mixpanel.MixpanelEventMapper;
import dev.hogbeam.mixpanel.MixpanelIO;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.SavedPlan;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SendInOrder;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.files.InputFiles;
import dev.hogbeam.pipeline.identity.LinkStore;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.Flags;
import dev.hogbeam.pipeline.options.MixpanelOptions;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.options.UrlRules;
import dev.hogbeam.pipeline.report.RunReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam mixpanel}: Mixpanel's raw Export API, or Mixpanel export files, into PostHog. The
 * source's part of the migration; the rest is the shared tail ({@link SendInOrder}).
 *
 * <ol>
 *   <li>plan: when the command starts; the days of the range (days of the project's timezone) or
 *       the files a pattern matches (with sizes), plus the settings that shape the events, saved as
 *       {@code plan.json} with the checkpoints, so a re-run means the same migration;
 *   <li>read: {@link MixpanelIO#readExport} (each day staged whole before it is read, so a resumed
 *       run reads the same bytes; the API's query limits kept) or {@link MixpanelIO#readFiles()};
 *   <li>map: {@link ConvertMixpanelEvents} ({@link MixpanelEventMapper}, PostHog's importer's
 *       rules; one {@code $identify} per new ($device_id, $user_id) pair), keyed by UTC day or
 *       person bucket; the new pairs are written down ({@link LinkStore}) before any event is sent.
 * </ol>
 */
public final class MixpanelMigration implements EventSource<SourceLine> {
  static final String PLAN_FILE = SavedPlan.FILE;

  /** Report section of the conversion's counts. */
  static final String MIXPANEL = "mixpanel";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final MixpanelOptions options;
  private final MixpanelEventMapper mapper;
  private final MixpanelIO.@Nullable ExportSettings export;
  private final List<String> days;
  private final @Nullable String pattern;
  private final List<String> inputFiles;
  private final @Nullable String stagingDir;
  private final LinkStore identities;
  private final String description;
  private final int shards;
  private final long endMicros;

  private MixpanelMigration(
      MixpanelOptions options,
      MixpanelEventMapper mapper,
      MixpanelIO.@Nullable ExportSettings export,
      List<String> days,
      @Nullable String pattern,
      List<String> inputFiles,
      @Nullable String stagingDir,
      LinkStore identities,
      String description,
      int shards,
      long endMicros) {
    this.options = options;
    this.mapper = mapper;
    this.export = export;
    this.days = days;
    this.pattern = pattern;
    this.inputFiles = inputFiles;
    this.stagingDir = stagingDir;
    this.identities = identities;
    this.description = description;
    this.shards = shards;
    this.endMicros = endMicros;
  }

  /** The {@code mixpanel} subcommand. */
  public static MigrationCommand<MixpanelOptions> command() {
    return new MigrationCommand<>("mixpanel", MixpanelOptions.class, MixpanelMigration::create);
  }

  /** {@code java -cp ... dev.hogbeam.pipeline.mixpanel.MixpanelMigration --flags...}. */
  public static void main(String[] args) {
    System.exit(command().run(args, MigrationCommand.Environment.system()));
  }

  /** Checks every flag, plans the days or files, checks the plan against the checkpoints. */
  public static Migration<SourceLine> create(MixpanelOptions o, MigrationCommand.Environment env)
      throws IOException {
    FileSystems.setDefaultPipelineOptions(o);
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination destination = Destination.from(o, secrets);
    Flags.checkPositive("maxLineBytes", o.getMaxLineBytes());
    Flags.checkPositive("mixpanelQueriesPerSecond", o.getMixpanelQueriesPerSecond());
    Flags.checkPositive("mixpanelQueriesPerHour", o.getMixpanelQueriesPerHour());
    Flags.checkPositive("mixpanelConcurrentQueries", o.getMixpanelConcurrentQueries());
    Flags.checkPositive("mixpanelSplitDayBytes", o.getMixpanelSplitDayBytes());
    ZoneId zone = timezone(o.getMixpanelProjectTimezone());
    MixpanelEventMapper mapper =
        zone.equals(ZoneOffset.UTC)
            ? MixpanelEventMapper.utc()
            : MixpanelEventMapper.inTimezone(zone);

    ObjectNode plan = JSON.createObjectNode();
    plan.put("timezone", zone.getId());
    plan.put("identify", o.getIdentify());
    plan.put("orderBy", o.getOrderBy().name());
    plan.put("destination", destination.id());
    MixpanelIO.ExportSettings export = null;
    List<String> days = List.of();
    String pattern = null;
    List<String> inputFiles = new ArrayList<>();
    String source;
    String id;
    int shards;
    long endMicros = Long.MAX_VALUE;
    if (o.getInputFiles() != null) {
      rejectExportFlags(o);
      pattern = o.getInputFiles();
      ArrayNode files = plan.putArray("files");
      for (InputFiles.Matched f : InputFiles.match("inputFiles", pattern)) {
        files.addObject().put("path", f.path()).put("bytes", f.bytes());
        inputFiles.add(f.path());
      }
      shards = inputFiles.size();
      plan.put("inputFiles", pattern);
      source = "Mixpanel export files " + pattern + " (" + shards + " file(s))";
      id = "files-" + hash(pattern, 8);
    } else {
      export = exportSettings(o, secrets);
      LocalDate first = date("startDate", o.getStartDate());
      LocalDate end = date("endDate", o.getEndDate());
      Instant startAt = first.atStartOfDay(zone).toInstant();
      Instant endAt = end.atStartOfDay(zone).toInstant();
      DateArgs.checkRange(startAt, endAt, env.clock().instant(), o.getAllowRecentEvents());
      List<String> all = new ArrayList<>();
      for (LocalDate d = first; d.isBefore(end); d = d.plusDays(1)) {
        all.add(d.toString());
      }
      days = List.copyOf(all);
      shards = days.size();
      endMicros = dev.hogbeam.event.Timestamps.toMicros(endAt);
      plan.put("url", export.baseUrl());
      plan.put("project", export.projectId() == null ? "" : export.projectId());
      plan.put("from", first.toString());
      plan.put("until", end.toString());
      plan.put("splitDayBytes", o.getMixpanelSplitDayBytes());
      source =
          "Mixpanel Export API "
              + export.baseUrl()
              + (export.projectId() == null ? "" : " project " + export.projectId())
              + ", days "
              + first
              + " to "
              + end.minusDays(1)
              + " ("
              + days.size()
              + " day(s) of "
              + zone.getId()
              + "); at most "
              + export.limits()
              + " queries";
      id =
          DateArgs.compact(first.atStartOfDay(ZoneOffset.UTC).toInstant())
              + "-"
              + DateArgs.compact(end.atStartOfDay(ZoneOffset.UTC).toInstant())
              + "-"
              + hash(export.baseUrl() + "\n" + plan.get("project").asText(), 8);
    }
    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : "hogbeam-checkpoints/mixpanel-" + id + "-" + destination.dirSuffix();
    CheckpointStore store = Migration.Setup.store(o, dir);
    SavedPlan.checkOrSave(store, plan.toPrettyString());
    String staging = null;
    if (export != null) {
      staging = o.getDownloadCache() != null ? o.getDownloadCache() : store.path("downloads");
      source += "; days staged in " + staging;
    }
    String identityStore =
        o.getIdentityStore() != null
            ? o.getIdentityStore()
            : destination.projectId() == null
                ? null
                : LinkStore.besideCheckpoints(
                    store.directory(), "mixpanel-identities-" + destination.projectId());
    LinkStore identities =
        LinkStore.open(
            identityStore,
            store.directory(),
            destination.sendsToPostHog(),
            o.getIdentify(),
            PLAN_FILE);
    String description =
        "source: "
            + source
            + "\n  identity: "
            + (o.getIdentify()
                ? "$identify once per new ($device_id, $user_id) pair; " + identities.describe()
                : "none (--identify=false)");
    Migration.Setup setup = Migration.Setup.open(o, destination, dir);
    return Migration.of(
        new MixpanelMigration(
            o,
            mapper,
            export,
            days,
            pattern,
            inputFiles,
            staging,
            identities,
            description,
            shards,
            endMicros),
        setup,
        null);
  }

  private static MixpanelIO.ExportSettings exportSettings(MixpanelOptions o, Secrets secrets) {
    String user = blankToNull(o.getMixpanelServiceAccountUser());
    MixpanelCredentials credentials;
    String projectId = blankToNull(o.getMixpanelProjectId());
    if (user != null) {
      if (o.getMixpanelApiSecret() != null || o.getMixpanelApiSecretFile() != null) {
        throw new IllegalArgumentException(
            "give either a service account (--mixpanelServiceAccountUser) or the project's API"
                + " secret (--mixpanelApiSecret / --mixpanelApiSecretFile), not both");
      }
      Secrets.Secret secret =
          secrets.secret(
              "mixpanelServiceAccountSecret",
              o.getMixpanelServiceAccountSecret(),
              "mixpanelServiceAccountSecretFile",
              o.getMixpanelServiceAccountSecretFile(),
              "MIXPANEL_SERVICE_ACCOUNT_SECRET");
      if (secret == null) {
        throw new IllegalArgumentException(
            "--mixpanelServiceAccountUser needs the account's secret:"
                + " --mixpanelServiceAccountSecret, --mixpanelServiceAccountSecretFile or"
                + " MIXPANEL_SERVICE_ACCOUNT_SECRET");
      }
      if (projectId == null) {
        throw new IllegalArgumentException(
            "a service account reads a project named by --mixpanelProjectId (the number in the"
                + " project's settings)");
      }
      credentials = MixpanelCredentials.serviceAccount(user, secret.ref());
    } else {
      Secrets.Secret secret =
          secrets.secret(
              "mixpanelApiSecret",
              o.getMixpanelApiSecret(),
              "mixpanelApiSecretFile",
              o.getMixpanelApiSecretFile(),
              "MIXPANEL_API_SECRET");
      if (secret == null) {
        throw new IllegalArgumentException(
            "nothing to read: give --inputFiles=<file pattern> for export files you have, or the"
                + " Export API's credentials with --startDate and --endDate: "
                + MixpanelCredentials.FLAGS);
      }
      credentials = MixpanelCredentials.apiSecret(secret.ref());
    }
    if (o.getStartDate() == null || o.getEndDate() == null) {
      throw new IllegalArgumentException(
          "the Export API needs --startDate and --endDate (dates; the end is exclusive)");
    }
    String url = exportUrl(o);
    UrlRules.checkEncrypted(
        "mixpanelUrl", url, o.getAllowInsecureHttp(), "the Mixpanel credentials");
    return new MixpanelIO.ExportSettings(
        url,
        credentials,
        projectId,
        new QueryLimits(
            url + "|" + (projectId == null ? "" : projectId),
            o.getMixpanelQueriesPerSecond(),
            o.getMixpanelQueriesPerHour(),
            o.getMixpanelConcurrentQueries()),
        HttpDownload.Policy.defaults());
  }

  private static String exportUrl(MixpanelOptions o) {
    return UrlRules.regionOrUrl(
        "mixpanelRegion",
        o.getMixpanelRegion(),
        "us",
        "mixpanelUrl",
        o.getMixpanelUrl(),
        MixpanelIO::regionUrl,
        "us, eu or in",
        "--mixpanelServiceAccountSecretFile / --mixpanelApiSecretFile");
  }

  private static void rejectExportFlags(MixpanelOptions o) {
    List<String> given = new ArrayList<>();
    Map<String, String> flags = new java.util.LinkedHashMap<>();
    flags.put("--mixpanelServiceAccountUser", o.getMixpanelServiceAccountUser());
    flags.put("--mixpanelServiceAccountSecret", o.getMixpanelServiceAccountSecret());
    flags.put("--mixpanelServiceAccountSecretFile", o.getMixpanelServiceAccountSecretFile());
    flags.put("--mixpanelApiSecret", o.getMixpanelApiSecret());
    flags.put("--mixpanelApiSecretFile", o.getMixpanelApiSecretFile());
    flags.put("--mixpanelProjectId", o.getMixpanelProjectId());
    flags.put("--mixpanelRegion", o.getMixpanelRegion());
    flags.put("--mixpanelUrl", o.getMixpanelUrl());
    flags.put("--startDate", o.getStartDate());
    flags.put("--endDate", o.getEndDate());
    flags.put("--downloadCache", o.getDownloadCache());
    flags.forEach(
        (flag, value) -> {
          if (value != null) {
            given.add(flag);
          }
        });
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(
          "--inputFiles reads export files whole, from start to end; "
              + String.join(", ", given)
              + (given.size() == 1 ? " is" : " are")
              + " for the Export API: give either --inputFiles or the Export API flags");
    }
  }

  /** A --startDate / --endDate for the Export API: a date, as the API selects whole days. */
  static LocalDate date(String flag, String text) {
    Instant t = DateArgs.parse(flag, text);
    if (!t.truncatedTo(ChronoUnit.DAYS).equals(t)) {
      throw new IllegalArgumentException(
          "--"
              + flag
              + "="
              + text
              + " is not a date; the Export API serves whole days of the project's timezone"
              + " (--mixpanelProjectTimezone): give a date such as "
              + LocalDate.ofInstant(t, ZoneOffset.UTC));
    }
    return LocalDate.ofInstant(t, ZoneOffset.UTC);
  }

  static ZoneId timezone(String flag) {
    try {
      return ZoneId.of(flag == null || flag.isBlank() ? "UTC" : flag.strip()).normalized();
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "--mixpanelProjectTimezone='"
              + flag
              + "' is not an IANA timezone (e.g. UTC, America/Los_Angeles, Europe/Paris)",
          e);
    }
  }

  private static String hash(String text, int chars) {
    return Hashing.sha256().hashString(text, StandardCharsets.UTF_8).toString().substring(0, chars);
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  @Override
  public SourcePlan plan() {
    return SourcePlan.builder()
        .description(description)
        .shards(shards)
        .dayGroup("UTC day")
        .rangeEndMicros(endMicros)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<SourceLine>> read(SourceContext context) {
    PTransform<PBegin, JsonLineFiles.LineRead> read =
        export != null
            ? MixpanelIO.readExport(
                export,
                days,
                stagingDir,
                context.ledger(),
                options.getMaxLineBytes(),
                options.getMixpanelSplitDayBytes(),
                mapper)
            : MixpanelIO.readFiles()
                .from(pattern)
                .withReadProgress(context.ledger())
                .withMaxLineBytes(options.getMaxLineBytes());
    String name = export != null ? "Read Mixpanel Export API" : "Read Mixpanel export files";
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
    String runId = context.ledger().runId();
    boolean identify = options.getIdentify();
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<SourceLine> lines) {
        PCollection<String> taken = identify ? identities.takenPairs(lines.getPipeline()) : null;
        ConvertMixpanelEvents.Result converted =
            lines.apply(
                "Convert to PostHog events",
                ConvertMixpanelEvents.of(mapper, context.orderingKey(), identify, taken));
        // New pairs are durable before any event can reach the writer.
        return SourceEvents.of(
                identities.heldUntilPending(converted.getEvents(), converted.getNewPairs(), runId),
                converted.getDeadLetters())
            .withCounts(MIXPANEL, "conversion", converted.getCounts());
      }
    };
  }

  /** A dead letter of the read or map stage holds its line: mapped again from it. */
  @Override
  public Remapper remapper() {
    MixpanelEventMapper m = mapper;
    return letter -> {
      MixpanelEventMapper.Outcome o = m.map(letter.payload());
      return o.event() != null
          ? new Remapped(o.event(), null)
          : new Remapped(
              null,
              dev.hogbeam.event.DeadLetter.of(
                  "map", letter.source(), null, letter.payload(), 0, o.refusal(), 0));
    };
  }

  /**
   * Export files: the plan's files (matched when it was made), in name order, each line mapped by
   * {@link MixpanelEventMapper} (identity links are not shown). The Export API is not sampled: a
   * trial run would spend the project's hourly query budget; download a day as a file and sample
   * that.
   */
  @Override
  public Sampler sampler() {
    if (pattern == null) {
      throw new IllegalArgumentException(
          "--sample reads Mixpanel export files (--inputFiles), not the Export API, whose hourly"
              + " query budget a trial run would spend");
    }
    MixpanelEventMapper m = mapper;
    List<String> files = inputFiles;
    long maxLineBytes = options.getMaxLineBytes();
    return visit -> {
      JsonLineFiles.sampleFiles(
          files,
          maxLineBytes,
          line -> {
            MixpanelEventMapper.Outcome o = m.map(line.text());
            visit.accept(new Sampled(line.origin(), line.text(), o.event(), o.refusal(), null));
            return true;
          });
    };
  }

  @Override
  public void afterRun() throws IOException {
    identities.afterRun();
  }

  @Override
  public String summary(RunReport report) {
    if (!options.getIdentify()) {
      return "";
    }
    Map<String, Long> c = report.totals(MIXPANEL);
    return String.format(
            Locale.ROOT,
            "  identity:  %,d $identify for new pair(s), %,d pair(s) sent by earlier runs, %,d"
                + " refused (an id PostHog does not merge)%n",
            c.getOrDefault(IdentityLinks.PAIRS_NEW, 0L),
            c.getOrDefault(IdentityLinks.PAIRS_ALREADY_SENT, 0L),
            c.getOrDefault(IdentityLinks.PAIRS_REFUSED, 0L))
        + identities.summary("identity store:");
  }
}
