package dev.hogbeam.pipeline.clickhouse;

import dev.hogbeam.capture.WriteResult;
import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import dev.hogbeam.clickhouse.MapPostHogEvents;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.clickhouse.ReferenceCursor;
import dev.hogbeam.clickhouse.Shard;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.order.OrderEvents;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.Migration;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointProgress;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.checkpoint.ResumeCursor;
import dev.hogbeam.pipeline.checkpoint.ResumeState;
import dev.hogbeam.pipeline.checkpoint.RunIdentity;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.report.ReportParts;
import dev.hogbeam.pipeline.report.WriteReport;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam clickhouse}: a self-hosted PostHog's ClickHouse events, one team and range, into
 * PostHog. The stages, each one named transform:
 *
 * <ol>
 *   <li>plan: {@link ClickHouseEventsIO.Read#plan()} at construction (saved as {@code plan.json}
 *       with the checkpoints, so a re-run means the same shards);
 *   <li>read: {@link ClickHouseEventsIO#read()}, shards an earlier run finished are skipped;
 *   <li>map: {@link MapPostHogEvents};
 *   <li>order: {@link OrderEvents}, keyed by shard ({@code --orderBy=day}) or person bucket;
 *   <li>write: {@code CaptureIO.write()} with the checkpoint stage {@link CheckpointProgress};
 *   <li>report: {@link WriteReport}, plus dead letters to {@code --deadLetterDir}.
 * </ol>
 */
public final class ClickHouseMigration implements Migration {
  static final String PLAN_FILE = "plan.json";
  static final String RUN_FILE = "run.json";

  private final ClickHouseOptions options;
  private final ClickHouseEventsIO.Read read;
  private final ReadPlan plan;
  private final Destination destination;
  private final CheckpointStore store;
  private final String deadLetterDir;
  private final @Nullable EventCursor runCursor;
  private final ResumeState resume;
  private final OrderBy orderBy;

  private ClickHouseMigration(
      ClickHouseOptions options,
      ClickHouseEventsIO.Read read,
      ReadPlan plan,
      Destination destination,
      CheckpointStore store,
      String deadLetterDir,
      @Nullable EventCursor runCursor,
      Map<String, GroupCheckpoint> checkpoints) {
    this.options = options;
    this.read = read;
    this.plan = plan;
    this.destination = destination;
    this.store = store;
    this.deadLetterDir = deadLetterDir;
    this.runCursor = runCursor;
    this.orderBy = options.getOrderBy();
    this.resume = ResumeState.of(checkpoints);
  }

  /**
   * Runs {@code hogbeam clickhouse} without the launcher (the bundled jar uses {@link #command()}).
   */
  public static void main(String[] args) {
    System.exit(command().run(args, MigrationCommand.Environment.system()));
  }

  /** The {@code clickhouse} subcommand. */
  public static MigrationCommand<ClickHouseOptions> command() {
    return new MigrationCommand<>(
        "clickhouse", ClickHouseOptions.class, ClickHouseMigration::create);
  }

  /**
   * Checks every flag, asks ClickHouse for the plan (or reuses the saved one), reads checkpoints.
   */
  public static ClickHouseMigration create(ClickHouseOptions o, MigrationCommand.Environment env) {
    Secrets secrets = Secrets.from(env.variables());
    Destination destination = Destination.from(o, secrets);
    String password =
        secrets.resolve(
            "clickhousePassword",
            o.getClickhousePassword(),
            "clickhousePasswordFile",
            o.getClickhousePasswordFile(),
            "CLICKHOUSE_PASSWORD");

    EventCursor ours = null;
    ReferenceCursor reference = null;
    if (o.getCursor() != null) {
      if (ResumeCursor.isOurs(o.getCursor())) {
        ours = ResumeCursor.parse(o.getCursor());
      } else {
        try {
          reference = ReferenceCursor.decode(o.getCursor());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "--cursor is neither a hogbeam cursor (hb:...) nor one printed by PostHog's"
                  + " migrate.py: "
                  + e.getMessage(),
              e);
        }
      }
    }
    Instant end = DateArgs.parse("endDate", o.getEndDate());
    Instant start;
    if (o.getStartDate() != null) {
      start = DateArgs.parse("startDate", o.getStartDate());
    } else if (ours != null) {
      start =
          dev.hogbeam.event.Timestamps.toInstant(ours.timestampMicros())
              .truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    } else if (reference != null) {
      start =
          Instant.ofEpochSecond(reference.epochSeconds())
              .truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    } else {
      throw new IllegalArgumentException("--startDate is required (or --cursor to resume from)");
    }
    DateArgs.checkRange(start, end, env.clock().instant(), o.getAllowRecentEvents());
    checkPositive("fetchLimit", o.getFetchLimit());
    checkPositive("maxConcurrentQueries", o.getMaxConcurrentQueries());
    checkPositive("personBuckets", o.getPersonBuckets());
    if (o.getSplitThreshold() <= 0) {
      throw new IllegalArgumentException(
          "--splitThreshold must be > 0, but was " + o.getSplitThreshold());
    }

    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : defaultCheckpointDir(o.getTeamId(), start, end, destination);
    CheckpointStore store = CheckpointStore.at(dir);
    checkSameRun(store, runIdentity(o, destination));
    String deadLetterDir =
        o.getDeadLetterDir() != null ? o.getDeadLetterDir() : store.path("dead-letters");

    ClickHouseEventsIO.Read read =
        ClickHouseEventsIO.read()
            .withUrl(o.getClickhouseUrl())
            .withUser(o.getClickhouseUser())
            .withPassword(password)
            .withDatabase(o.getClickhouseDatabase())
            .withTeamId(o.getTeamId())
            .withRange(start, end)
            .withFetchSize(o.getFetchLimit())
            .withMaxConcurrentQueries(o.getMaxConcurrentQueries())
            .withSplitThreshold(o.getSplitThreshold());
    if (reference != null) {
      read =
          read.withResumeAfterReferenceCursor(
              reference.epochSeconds(), java.util.UUID.fromString(reference.uuid()));
    }
    String saved = store.readText(PLAN_FILE);
    ReadPlan plan;
    if (saved != null) {
      ReadPlan earlier = ReadPlan.fromJson(saved);
      try {
        read = read.withPlan(earlier);
        plan = read.plan();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--checkpointDir="
                + dir
                + " holds the checkpoints of a different migration ("
                + e.getMessage()
                + "); give another --checkpointDir, or delete that one to start over",
            e);
      }
    } else {
      plan = read.plan();
      read = read.withPlan(plan);
      store.writeText(PLAN_FILE, plan.toJson());
    }
    Map<String, GroupCheckpoint> checkpoints = store.readAllGroups();
    return new ClickHouseMigration(
        o, read, plan, destination, store, deadLetterDir, ours, checkpoints);
  }

  private static void checkPositive(String flag, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException("--" + flag + " must be > 0, but was " + value);
    }
  }

  /**
   * {@code hogbeam-checkpoints/clickhouse-team2-20240101-20240201-to-1a2b3c4d}: one directory per
   * team, range and destination, so a dry run or a migration to another project never finds the
   * shards this one finished.
   */
  static String defaultCheckpointDir(
      long teamId, Instant start, Instant end, Destination destination) {
    return "hogbeam-checkpoints/clickhouse-team"
        + teamId
        + "-"
        + compact(start)
        + "-"
        + compact(end)
        + "-"
        + destination.dirSuffix();
  }

  /** What must not change between runs sharing checkpoints (the plan covers the source side). */
  static Map<String, String> runIdentity(ClickHouseOptions o, Destination destination) {
    Map<String, String> id = new LinkedHashMap<>();
    id.put("destination", destination.id());
    id.put("orderBy", o.getOrderBy().name());
    if (o.getOrderBy() == OrderBy.person) {
      id.put("personBuckets", Integer.toString(o.getPersonBuckets()));
    }
    return id;
  }

  /** Saves the identity on the first run; refuses a later run whose identity differs. */
  static void checkSameRun(CheckpointStore store, Map<String, String> identity) {
    String text = store.readText(RUN_FILE);
    if (text == null) {
      store.writeText(RUN_FILE, RunIdentity.toJson(identity));
      return;
    }
    Map<String, String> earlier = RunIdentity.fromJson(text);
    if (!earlier.equals(identity)) {
      throw new IllegalArgumentException(
          "--checkpointDir="
              + store.directory()
              + " holds the checkpoints of a run with "
              + RunIdentity.differences(earlier, identity)
              + "; give another --checkpointDir, or delete that one to start over");
    }
  }

  private static String compact(Instant t) {
    DateTimeFormatter day = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    DateTimeFormatter full =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
    return t.getEpochSecond() % 86_400 == 0 && t.getNano() == 0 ? day.format(t) : full.format(t);
  }

  @Override
  public String describe() {
    StringBuilder sb = new StringBuilder(plan.describe());
    sb.append("\n  ").append(destination.describe());
    sb.append("\n  order: ")
        .append(
            orderBy == OrderBy.day
                ? "each shard in time order"
                : "each person in time order, " + options.getPersonBuckets() + " buckets");
    sb.append("\n  checkpoints: ").append(store.directory());
    sb.append(resume.describe());
    if (runCursor != null) {
      sb.append("\n  resuming after cursor ").append(ResumeCursor.format(runCursor));
    }
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
    return plan.estimatedRows();
  }

  @Override
  public int shards() {
    return plan.shards().size();
  }

  @Override
  public Map<String, Long> groupStarts() {
    Map<String, Long> starts = new LinkedHashMap<>();
    if (orderBy == OrderBy.day) {
      for (Shard s : plan.shards()) {
        starts.put(s.id(), s.startMicros());
      }
    }
    return starts;
  }

  @Override
  public long rangeEndMicros() {
    return plan.endMicros();
  }

  @Override
  public void expand(Pipeline p) {
    // 1. Plan: made in create(); shards finished by an earlier run are not read again.
    Set<String> skip = new TreeSet<>();
    if (orderBy == OrderBy.day) {
      for (Shard s : plan.shards()) {
        if (resume.finishedGroups().contains(s.id())) {
          skip.add(s.id());
        }
      }
    }
    // 2. Read.
    ClickHouseEventsIO.ReadResult rows =
        p.apply("Read ClickHouse events", read.withSkipShards(skip));
    // 3. Map.
    MapPostHogEvents.Result mapped =
        rows.rows().apply("Map rows to capture events", MapPostHogEvents.create());
    // 4. Order: one group per shard, or per person bucket.
    PCollection<KV<String, CaptureEvent>> keyed = mapped.events();
    if (orderBy == OrderBy.person) {
      OrderingKey buckets = OrderingKey.person(options.getPersonBuckets());
      Set<String> finished = resume.finishedGroups();
      keyed =
          keyed
              .apply(
                  "Key by person bucket",
                  MapElements.into(new TypeDescriptor<KV<String, CaptureEvent>>() {})
                      .via(
                          kv ->
                              KV.of(buckets.keyFor(kv.getValue().distinctId(), 0), kv.getValue())))
              .setCoder(mapped.events().getCoder())
              .apply("Skip finished buckets", Filter.by(kv -> !finished.contains(kv.getKey())));
    }
    PCollection<KV<String, Iterable<CaptureEvent>>> ordered =
        keyed.apply("Order each group in time", OrderEvents.create());
    // 5. Write, 6. checkpoint after every batch.
    WriteResult written =
        ordered.apply(
            "Send to PostHog",
            destination.writer().withSendProgress(CheckpointProgress.to(store, runCursor)));
    // Dead letters of every stage, kept with their reason.
    PCollection<DeadLetter> deadLetters =
        PCollectionList.of(mapped.deadLetters())
            .and(written.getDeadLetters())
            .apply("All dead letters", Flatten.pCollections());
    deadLetters.apply("Write dead letters", DeadLetterIO.write().to(deadLetterDir));
    // 7. Report.
    PCollectionList.of(rows.stats().apply("Shard stats", ReportParts.fromShardStats()))
        .and(written.getStats().apply("Send stats", ReportParts.fromSendStats()))
        .and(deadLetters.apply("Dead-letter counts", ReportParts.fromDeadLetters()))
        .and(
            p.apply(
                "Resumed in-flight events",
                ReportParts.constant("possiblyResent", resume.possiblyResent())))
        .apply("All report parts", Flatten.pCollections())
        .apply("Write report", WriteReport.to(store));
  }
}
