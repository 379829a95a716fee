package dev.hogbeam.pipeline.clickhouse;

import dev.hogbeam.clickhouse.ClickHouseEventsIO;
import dev.hogbeam.clickhouse.EventRow;
import dev.hogbeam.clickhouse.MapPostHogEvents;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.clickhouse.ReferenceCursor;
import dev.hogbeam.clickhouse.Shard;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.ResumeCursor;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.Migrations;
import dev.hogbeam.pipeline.engine.SendInOrder;
import dev.hogbeam.pipeline.engine.ShardFeed;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.DateArgs;
import dev.hogbeam.pipeline.options.Flags;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.ProjectKeys;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.pipeline.options.UrlRules;
import dev.hogbeam.progress.ReadProgress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code hogbeam clickhouse}: a self-hosted PostHog's ClickHouse events, one team and range, into
 * PostHog. The source's part of the migration; the rest is the shared tail ({@link SendInOrder}).
 *
 * <ol>
 *   <li>plan: {@link ClickHouseEventsIO.Read#plan()} when the command starts (saved as {@code
 *       plan.json} with the checkpoints, so a re-run means the same shards);
 *   <li>read: {@link ClickHouseEventsIO#read()}; with day order, shards an earlier run finished are
 *       not read at all;
 *   <li>map: {@link MapPostHogEvents}, keyed by shard ({@code --orderBy=day}) or person bucket.
 * </ol>
 */
public final class ClickHouseMigration implements EventSource<KV<String, EventRow>> {
  static final String PLAN_FILE = "plan.json";

  /** Longest --cursor accepted (a cursor is a timestamp, a uuid and a few sort-key values). */
  static final int MAX_CURSOR_CHARS = 8192;

  private final ClickHouseEventsIO.Read read;
  private final ReadPlan plan;
  private final OrderBy orderBy;

  private ClickHouseMigration(ClickHouseEventsIO.Read read, ReadPlan plan, OrderBy orderBy) {
    this.read = read;
    this.plan = plan;
    this.orderBy = orderBy;
  }

  /**
   * Runs {@code hogbeam clickhouse} without the launcher (the bundled jar uses {@link #command()}).
   */
  public static void main(String[] args) {
    System.exit(command().run(args, MigrationCommand.Environment.system()));
  }

  /**
   * The {@code clickhouse} subcommand: one team ({@code --teamId}) or several ({@code --teamIds}).
   */
  public static MigrationCommand<ClickHouseOptions> command() {
    return MigrationCommand.ofRuns(
        "clickhouse",
        ClickHouseOptions.class,
        (o, env) -> o.getTeamIds() == null ? Migrations.of(create(o, env)) : createTeams(o, env));
  }

  /**
   * Checks every flag, asks ClickHouse for the plan (or reuses the saved one), reads checkpoints.
   */
  public static Migration<KV<String, EventRow>> create(
      ClickHouseOptions o, MigrationCommand.Environment env) {
    if (o.getTeamIds() != null) {
      throw new IllegalArgumentException(
          "--teamIds runs several projects through the command line (ClickHouseMigration.command())");
    }
    if (o.getTeamId() == null) {
      throw new IllegalArgumentException(
          "--teamId is required (or --teamIds=2,5,9 with --projectKeysFile to migrate several"
              + " projects in one run)");
    }
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination destination = Destination.from(o, secrets);
    Source source = Source.check(o, env, secrets);
    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : defaultCheckpointDir(o.getTeamId(), source.start(), source.end(), destination);
    Migration.Setup setup = Migration.Setup.open(o, destination, dir);
    return forTeam(o, env, source, o.getTeamId(), setup, o.getMaxConcurrentQueries());
  }

  /**
   * {@code --teamIds}: one migration per team, each to its own project and with its checkpoints in
   * {@code <checkpointDir>/team-<id>}, run as one ({@link Migrations}): one pipeline, one lease,
   * one account. The teams share {@code --maxConcurrentQueries} (each reads with its share, at
   * least one) and {@code --maxEventsPerSecond} (one rate budget per JVM for all their writers).
   */
  public static Migrations createTeams(ClickHouseOptions o, MigrationCommand.Environment env) {
    if (o.getTeamId() != null) {
      throw new IllegalArgumentException(
          "--teamId and --teamIds are both set; give --teamId for one project, --teamIds for"
              + " several");
    }
    String perTeam = "give each team's key in --projectKeysFile (or POSTHOG_PROJECT_KEYS)";
    refuseWithTeams("posthogApiKey", o.getPosthogApiKey(), perTeam);
    refuseWithTeams("posthogApiKeyFile", o.getPosthogApiKeyFile(), perTeam);
    refuseWithTeams(
        "cursor",
        o.getCursor(),
        "a cursor belongs to one team; each team resumes from its own checkpoints");
    refuseWithTeams(
        "deadLetterDir",
        o.getDeadLetterDir(),
        "each team keeps its dead letters in <checkpointDir>/team-<id>");
    List<Long> teams = ProjectKeys.teamIds(o.getTeamIds());
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination all =
        Destination.withoutKey(o).sharingBudget("clickhouse-teams-" + UUID.randomUUID());
    Map<Long, Secrets.Secret> keys =
        ProjectKeys.resolve(
            secrets, o.getProjectKeys(), o.getProjectKeysFile(), teams, all.sendsToPostHog());
    Source source = Source.check(o, env, secrets);
    Map<Long, Destination> destinations = new LinkedHashMap<>();
    for (long team : teams) {
      Secrets.Secret key = keys.get(team);
      destinations.put(
          team,
          (key == null ? all : all.toProject(key, "the key of team " + team))
              .inSubdirectory(teamDirectory(team)));
    }
    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : defaultTeamsCheckpointDir(teams, source.start(), source.end(), destinations);
    Map<String, String> identity =
        Map.of("teams", teams.stream().map(String::valueOf).collect(Collectors.joining(",")));
    // Read-only for a trial run (--sample), which leaves no file behind.
    CheckpointStore top = Migration.Setup.store(o, dir);
    Migrations.checkRun(top, identity);
    Map<String, Migration<?>> parts = new LinkedHashMap<>();
    int queries = o.getMaxConcurrentQueries();
    for (int i = 0; i < teams.size(); i++) {
      long team = teams.get(i);
      Migration.Setup setup =
          Migration.Setup.open(o, destinations.get(team), top.path(teamDirectory(team)))
              .withGroupPrefix("team" + team + "-");
      int share = Math.max(1, queries / teams.size() + (i < queries % teams.size() ? 1 : 0));
      parts.put(teamDirectory(team), forTeam(o, env, source, team, setup, share));
    }
    return Migrations.together(top, identity, "teams", parts);
  }

  private static void refuseWithTeams(String flag, @Nullable String value, String why) {
    if (value != null) {
      throw new IllegalArgumentException("--" + flag + " cannot be used with --teamIds: " + why);
    }
  }

  /** A team's sub-directory of a run over several teams, and its label in the account. */
  static String teamDirectory(long team) {
    return "team-" + team;
  }

  /** What every team of a run shares: the ClickHouse password, the range, the run's cursor. */
  private record Source(
      Secrets.@Nullable Secret password,
      @Nullable EventCursor ours,
      @Nullable ReferenceCursor reference,
      Instant start,
      Instant end) {

    static Source check(ClickHouseOptions o, MigrationCommand.Environment env, Secrets secrets) {
      Secrets.Secret password =
          secrets.secret(
              "clickhousePassword",
              o.getClickhousePassword(),
              "clickhousePasswordFile",
              o.getClickhousePasswordFile(),
              "CLICKHOUSE_PASSWORD");

      UrlRules.checkNoCredentials(
          "clickhouseUrl",
          o.getClickhouseUrl(),
          "--clickhouseUser and --clickhousePasswordFile (or CLICKHOUSE_PASSWORD)");
      if (password != null) {
        UrlRules.checkEncrypted(
            "clickhouseUrl",
            o.getClickhouseUrl(),
            o.getAllowInsecureHttp(),
            "the ClickHouse password");
      }

      EventCursor ours = null;
      ReferenceCursor reference = null;
      if (o.getCursor() != null) {
        if (o.getCursor().length() > MAX_CURSOR_CHARS) {
          throw new IllegalArgumentException(
              "--cursor is "
                  + o.getCursor().length()
                  + " characters long; a cursor printed by hogbeam or by PostHog's migrate.py has"
                  + " at most "
                  + MAX_CURSOR_CHARS);
        }
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
        start = Timestamps.toInstant(ours.timestampMicros()).truncatedTo(ChronoUnit.DAYS);
      } else if (reference != null) {
        start = Instant.ofEpochSecond(reference.epochSeconds()).truncatedTo(ChronoUnit.DAYS);
      } else {
        throw new IllegalArgumentException("--startDate is required (or --cursor to resume from)");
      }
      DateArgs.checkRange(start, end, env.clock().instant(), o.getAllowRecentEvents());
      Flags.checkPositive("fetchLimit", o.getFetchLimit());
      Flags.checkPositive("maxConcurrentQueries", o.getMaxConcurrentQueries());
      Flags.checkPositive("splitThreshold", o.getSplitThreshold());
      return new Source(password, ours, reference, start, end);
    }
  }

  /** One team's migration in {@code setup}: its plan (saved or new) and its final-state stage. */
  private static Migration<KV<String, EventRow>> forTeam(
      ClickHouseOptions o,
      MigrationCommand.Environment env,
      Source source,
      long teamId,
      Migration.Setup setup,
      int maxConcurrentQueries) {
    Destination destination = setup.destination();
    CheckpointStore store = setup.store();
    Secrets.Secret password = source.password();
    ClickHouseEventsIO.Read read =
        ClickHouseEventsIO.read()
            .withUrl(o.getClickhouseUrl())
            .withUser(o.getClickhouseUser())
            .withPassword(password == null ? null : password.ref())
            .withDatabase(o.getClickhouseDatabase())
            .withTeamId(teamId)
            .withRange(source.start(), source.end())
            .withFetchSize(o.getFetchLimit())
            .withMaxConcurrentQueries(maxConcurrentQueries)
            .withSplitThreshold(o.getSplitThreshold())
            .withTimeouts(
                o.getClickhouseSocketTimeoutSeconds(), o.getClickhouseQueryTimeoutSeconds());
    ReferenceCursor reference = source.reference();
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
                + store.directory()
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
    Migration<KV<String, EventRow>> migration =
        Migration.of(new ClickHouseMigration(read, plan, o.getOrderBy()), setup, source.ours());
    // The final person and group state, decided now (so that a bad --groupTypes stops the run
    // before any event is sent) and sent once every event group was acknowledged.
    FinalStateStage finalState;
    try {
      finalState =
          FinalStateStage.decide(o, destination, read.connectionConfig(), plan, setup, env.out());
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(
          "reading the person and group tables failed: " + e.getMessage(), e);
    }
    return finalState == null ? migration : migration.then(finalState);
  }

  /**
   * {@code hogbeam-checkpoints/clickhouse-teams-2-5-9-20240101-20240201-to-1a2b3c4d}: one directory
   * per set of teams, range and destination projects.
   */
  static String defaultTeamsCheckpointDir(
      List<Long> teams, Instant start, Instant end, Map<Long, Destination> destinations) {
    Destination first = destinations.values().iterator().next();
    String suffix =
        first.sendsToPostHog()
            ? "to-"
                + com.google.common.hash.Hashing.sha256()
                    .hashString(
                        destinations.values().stream()
                            .map(Destination::projectId)
                            .collect(Collectors.joining(",")),
                        java.nio.charset.StandardCharsets.UTF_8)
                    .toString()
                    .substring(0, 8)
            : first.dirSuffix();
    return "hogbeam-checkpoints/clickhouse-teams-"
        + teams.stream().map(String::valueOf).collect(Collectors.joining("-"))
        + "-"
        + DateArgs.compact(start)
        + "-"
        + DateArgs.compact(end)
        + "-"
        + suffix;
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
        + DateArgs.compact(start)
        + "-"
        + DateArgs.compact(end)
        + "-"
        + destination.dirSuffix();
  }

  @Override
  public SourcePlan plan() {
    Map<String, Long> starts = new LinkedHashMap<>();
    if (orderBy == OrderBy.day) {
      for (Shard s : plan.shards()) {
        starts.put(s.id(), s.startMicros());
      }
    }
    return SourcePlan.builder()
        .description(plan.describe())
        .shards(plan.shards().size())
        .dayGroup("shard")
        .expectedEvents(plan.estimatedRows())
        .groupStarts(starts)
        .rangeEndMicros(plan.endMicros())
        .build();
  }

  /** With day order a group is a shard: shards an earlier run finished are not read again. */
  private ClickHouseEventsIO.Read shardsToRead(SourceContext context) {
    Set<String> skip = new TreeSet<>();
    if (context.orderBy() == OrderBy.day) {
      for (Shard s : plan.shards()) {
        if (context.finishedGroups().contains(s.id())) {
          skip.add(s.id());
        }
      }
    }
    return read.withSkipShards(skip).withReadProgress(context.ledger());
  }

  @Override
  public PTransform<PBegin, SourceRead<KV<String, EventRow>>> read(SourceContext context) {
    ClickHouseEventsIO.Read shards = shardsToRead(context);
    return new PTransform<>() {
      @Override
      public SourceRead<KV<String, EventRow>> expand(PBegin input) {
        PCollection<KV<String, EventRow>> rows =
            input.apply("Read ClickHouse shards", shards).getRows();
        return SourceRead.of(
            rows, input.apply("No read dead letters", Create.empty(DeadLetterCoder.of())));
      }
    };
  }

  @Override
  public PTransform<PCollection<KV<String, EventRow>>, SourceEvents> map(SourceContext context) {
    OrderingKey personKey = context.orderBy() == OrderBy.person ? context.orderingKey() : null;
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<KV<String, EventRow>> rows) {
        MapPostHogEvents.Result mapped = rows.apply("Map rows", MapPostHogEvents.create());
        PCollection<KV<String, CaptureEvent>> events = mapped.getEvents();
        if (personKey != null) {
          events =
              events
                  .apply(
                      "Key by person bucket",
                      MapElements.into(new TypeDescriptor<KV<String, CaptureEvent>>() {})
                          .via(
                              kv ->
                                  KV.of(
                                      personKey.keyFor(kv.getValue().distinctId(), 0),
                                      kv.getValue())))
                  .setCoder(mapped.getEvents().getCoder());
        }
        return SourceEvents.of(events, mapped.getDeadLetters());
      }
    };
  }

  /**
   * Day order's shards for the fused path: the same reader (copy rule, complete-read checks,
   * retries, shard records in the ledger) and the same mapping as {@link #read} and {@link #map},
   * with the same reader keys ({@code --maxConcurrentQueries}).
   */
  @Override
  public ShardFeed<Shard> shardFeed(SourceContext context) {
    ClickHouseEventsIO.Read shards = shardsToRead(context);
    return new Shards(shards.shardsByReader(plan), shards.shardRows(plan));
  }

  /** The plan's shards, each read and mapped by {@link ClickHouseEventsIO.ShardRows}. */
  private static final class Shards implements ShardFeed<Shard> {
    private static final long serialVersionUID = 1L;
    private final transient List<KV<Integer, Shard>> byReader;
    private final ClickHouseEventsIO.ShardRows rows;

    Shards(List<KV<Integer, Shard>> byReader, ClickHouseEventsIO.ShardRows rows) {
      this.byReader = byReader;
      this.rows = rows;
    }

    @Override
    public List<KV<Integer, Shard>> shards() {
      return byReader;
    }

    @Override
    public Coder<Shard> shardCoder() {
      return Shard.Coder.of();
    }

    @Override
    public String group(Shard shard) {
      return shard.id();
    }

    @Override
    public Reader<Shard> open() {
      ClickHouseEventsIO.ShardRows.Reader reader = rows.open();
      return new Reader<>() {
        @Override
        public void read(
            Shard shard, Consumer<CaptureEvent> events, Consumer<DeadLetter> deadLetters)
            throws Exception {
          reader.read(
              shard,
              row -> {
                MapPostHogEvents.Outcome o = MapPostHogEvents.mapCounted(shard.id(), row);
                if (o.event() != null) {
                  events.accept(o.event());
                } else {
                  deadLetters.accept(o.deadLetter());
                }
              });
        }

        @Override
        public void close() {
          reader.close();
        }
      };
    }
  }

  /**
   * The plan's shards in plan order, each read by the same shard reader as {@link #read} (without
   * recording its read) and each row mapped by {@link MapPostHogEvents#map}.
   */
  @Override
  public Sampler sampler() {
    ClickHouseEventsIO.ShardRows rows = read.withReadProgress(ReadProgress.none()).shardRows(plan);
    return visit -> {
      try (ClickHouseEventsIO.ShardRows.Reader reader = rows.open()) {
        for (Shard shard : plan.shards()) {
          reader.read(
              shard,
              row -> {
                MapPostHogEvents.Outcome o = MapPostHogEvents.map(shard.id(), row);
                visit.accept(Sampled.of(shard.id(), row.toJson(), o.event(), o.deadLetter()));
              });
        }
      }
    };
  }

  /** Rows dead-lettered at the map stage are mapped again from their payload (the row as JSON). */
  @Override
  public Remapper remapper() {
    return letter -> {
      EventRow row;
      try {
        row = EventRow.fromJson(letter.payload());
      } catch (IllegalArgumentException e) {
        return new Remapped(
            null,
            DeadLetter.of(
                letter.stage(),
                letter.source(),
                letter.uuid(),
                letter.payload(),
                0,
                "the payload is not a row: " + e.getMessage(),
                0));
      }
      MapPostHogEvents.Outcome o = MapPostHogEvents.map(letter.source(), row);
      return new Remapped(o.event(), o.deadLetter());
    };
  }
}
