package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.auto.value.AutoValue;
import com.google.common.collect.ImmutableSortedSet;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.progress.ReadProgress;
import dev.hogbeam.secret.SecretRef;
import dev.hogbeam.values.TupleOutput;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads PostHog's events from a self-hosted instance's ClickHouse.
 *
 * <pre>{@code
 * ClickHouseEventsIO.ReadResult read =
 *     pipeline.apply("Read ClickHouse", ClickHouseEventsIO.read()
 *         .withUrl("https://clickhouse.internal:8443")
 *         .withUser("migrator").withPassword(password)
 *         .withTeamId(2)
 *         .withRange(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-07-01T00:00:00Z")));
 * PCollection<KV<String, EventRow>> rows = read.rows();      // keyed by shard id
 * PCollection<ShardReadStats> stats = read.stats();          // one per shard
 * }</pre>
 */
public final class ClickHouseEventsIO {
  private ClickHouseEventsIO() {}

  /** Default rows per page query; see {@link Read#withFetchSize(int)}. */
  public static final int DEFAULT_FETCH_SIZE = 500_000;

  public static final int DEFAULT_MAX_CONCURRENT_QUERIES = 4;
  public static final long DEFAULT_SPLIT_THRESHOLD = 2_000_000L;
  public static final String DEFAULT_DATABASE = "posthog";

  /** A read with the defaults; set at least the URL, user, team and range. */
  public static Read read() {
    return new AutoValue_ClickHouseEventsIO_Read.Builder()
        .database(DEFAULT_DATABASE)
        .fetchSize(DEFAULT_FETCH_SIZE)
        .maxConcurrentQueries(DEFAULT_MAX_CONCURRENT_QUERIES)
        .splitThreshold(DEFAULT_SPLIT_THRESHOLD)
        .skipShards(ImmutableSortedSet.of())
        .maxRetries(3)
        .initialBackoff(Duration.standardSeconds(1))
        .readProgress(ReadProgress.none())
        .socketTimeoutSeconds(ClickHouseConnectionConfig.DEFAULT_SOCKET_TIMEOUT_SECONDS)
        .queryTimeoutSeconds(ClickHouseConnectionConfig.DEFAULT_QUERY_TIMEOUT_SECONDS)
        .build();
  }

  /**
   * Reads every event of one team in a half-open UTC range [start, end) exactly once: the rows the
   * events table's {@code FINAL} view holds. Copies the table has not merged yet (rows equal in its
   * whole sort key) are merged as the table would merge them, keeping the highest version (see
   * {@link CopyRule}); rows that share a uuid but differ in a sort-key column are all read.
   *
   * <p>Guarantees:
   *
   * <ul>
   *   <li>Bounded. The plan (see {@link #plan()}) is made when the pipeline is built: one shard per
   *       (team, UTC day), heavy days split by a function of distinct_id, so each person's events
   *       of a day are in one shard.
   *   <li>At most {@link #withMaxConcurrentQueries(int)} queries run against ClickHouse at once,
   *       job-wide: shards are spread over that many keys and each key's shards are read one after
   *       another.
   *   <li>Inside a shard, rows are paged along the table's own sort key, so ClickHouse reads about
   *       one page per page (see {@link ShardReader}); every row is returned once even when many
   *       share the key.
   *   <li>A shard that cannot be read after retries on transient errors fails the pipeline with the
   *       shard id; no data is skipped silently. Every query runs with the overflow modes set to
   *       {@code throw} (see {@link ClickHouseConnectionConfig}), and each shard's rows are
   *       reconciled with ClickHouse's count of them taken when the shard starts: a shard that
   *       comes up short is read on, then fails; it is never finished short.
   *   <li>The password never appears in display data, logs, or messages.
   * </ul>
   */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, ReadResult> {
    private static final Logger LOG = LoggerFactory.getLogger(Read.class);

    abstract @Nullable String url();

    abstract @Nullable String user();

    abstract @Nullable SecretRef password();

    abstract String database();

    abstract @Nullable Long teamId();

    abstract @Nullable Instant start();

    abstract @Nullable Instant end();

    abstract int fetchSize();

    abstract int maxConcurrentQueries();

    abstract long splitThreshold();

    abstract ImmutableSortedSet<String> skipShards();

    abstract @Nullable ReferenceCursor referenceCursor();

    abstract @Nullable ReadPlan givenPlan();

    abstract int maxRetries();

    abstract Duration initialBackoff();

    abstract ReadProgress readProgress();

    abstract int socketTimeoutSeconds();

    abstract int queryTimeoutSeconds();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder url(String url);

      abstract Builder user(String user);

      abstract Builder password(@Nullable SecretRef password);

      abstract Builder database(String database);

      abstract Builder teamId(Long teamId);

      abstract Builder start(Instant start);

      abstract Builder end(Instant end);

      abstract Builder fetchSize(int rows);

      abstract Builder maxConcurrentQueries(int max);

      abstract Builder splitThreshold(long rows);

      abstract Builder skipShards(ImmutableSortedSet<String> shardIds);

      abstract Builder referenceCursor(ReferenceCursor cursor);

      abstract Builder givenPlan(ReadPlan plan);

      abstract Builder maxRetries(int retries);

      abstract Builder initialBackoff(Duration backoff);

      abstract Builder readProgress(ReadProgress progress);

      abstract Builder socketTimeoutSeconds(int seconds);

      abstract Builder queryTimeoutSeconds(int seconds);

      abstract Read build();
    }

    /**
     * The ClickHouse address: {@code jdbc:clickhouse:...}, or {@code http(s)://host[:port][/db]} as
     * PostHog's script takes it. TLS certificates are verified.
     */
    public Read withUrl(String url) {
      ClickHouseUrls.toJdbcUrl(url); // validates
      return with(c -> c.url(url));
    }

    public Read withUser(String user) {
      checkArgument(user != null && !user.isEmpty(), "user must not be empty");
      return with(c -> c.user(user));
    }

    /** The password (empty: none); never shown anywhere. */
    public Read withPassword(@Nullable String password) {
      return withPassword(
          password == null || password.isEmpty() ? null : SecretRef.inMemory(password, ""));
    }

    /**
     * Where the password is read, by the launcher (to plan) and by each worker when it connects:
     * the password itself then never enters the serialized pipeline. A password given as a value
     * ({@link #withPassword(String)}) stays in this JVM (the DirectRunner, an embedded Flink).
     */
    public Read withPassword(@Nullable SecretRef password) {
      return with(c -> c.password(password));
    }

    /** The database holding the events table; default {@code posthog}. */
    public Read withDatabase(String database) {
      checkArgument(database != null && !database.isBlank(), "database must not be empty");
      return with(c -> c.database(database));
    }

    /** The PostHog project (team) whose events to read. */
    public Read withTeamId(long teamId) {
      return with(c -> c.teamId(teamId));
    }

    /** The half-open UTC range [start, end) of event timestamps. */
    public Read withRange(Instant start, Instant end) {
      checkArgument(start != null && end != null, "start and end must be set");
      checkArgument(start.isBefore(end), "start (%s) must be before end (%s)", start, end);
      return with(
          c -> {
            c.start(start);
            c.end(end);
          });
    }

    /**
     * Rows per page query; default {@value ClickHouseEventsIO#DEFAULT_FETCH_SIZE}. Rows stream
     * through the driver, so a page is not held in memory; what the size changes is how often
     * ClickHouse starts reading again: each page query reads 2 to 4 index granules (8,192 rows
     * each) in every data part of the day beyond its own rows, so small pages multiply the rows
     * ClickHouse reads per row returned (measured on a day in one part: 18.6 at 1,000 rows per
     * page, 3.8 at 10,000, 1.01 at 500,000; see the README).
     */
    public Read withFetchSize(int rowsPerPage) {
      checkArgument(rowsPerPage > 0, "fetchSize must be > 0, but was %s", rowsPerPage);
      return with(c -> c.fetchSize(rowsPerPage));
    }

    /** The most queries the whole job runs against ClickHouse at once; default 4. */
    public Read withMaxConcurrentQueries(int max) {
      checkArgument(max > 0, "maxConcurrentQueries must be > 0, but was %s", max);
      return with(c -> c.maxConcurrentQueries(max));
    }

    /** Rows of a day above which it is split into parts; default 2,000,000. */
    public Read withSplitThreshold(long rows) {
      checkArgument(rows > 0, "splitThreshold must be > 0, but was %s", rows);
      return with(c -> c.splitThreshold(rows));
    }

    /** Shards an earlier run finished: not read at all. Each must be a shard of the plan. */
    public Read withSkipShards(Set<String> shardIds) {
      checkArgument(shardIds != null, "skipShards must not be null");
      return with(c -> c.skipShards(ImmutableSortedSet.copyOf(shardIds)));
    }

    /**
     * Resume after a cursor printed by PostHog's own script: rows it had already sent are not read.
     * See {@link ReferenceCursor} for exactly which rows those are.
     */
    public Read withResumeAfterReferenceCursor(long epochSeconds, UUID uuid) {
      return with(c -> c.referenceCursor(ReferenceCursor.of(epochSeconds, uuid)));
    }

    /** As {@link #withResumeAfterReferenceCursor(long, UUID)}, from the script's cursor text. */
    public Read withResumeAfterReferenceCursor(String cursorText) {
      ReferenceCursor rc = ReferenceCursor.decode(cursorText);
      return with(c -> c.referenceCursor(rc));
    }

    /**
     * Use this plan instead of discovering one (e.g. the plan saved with an earlier run's
     * checkpoints, so shard ids mean the same rows). It must be for the same database, team, range
     * and reference cursor.
     */
    public Read withPlan(ReadPlan plan) {
      checkArgument(plan != null, "plan must not be null");
      return with(c -> c.givenPlan(plan));
    }

    /** Where each shard's read is recorded, after every page and at its end (default: nowhere). */
    public Read withReadProgress(ReadProgress progress) {
      checkArgument(progress != null, "readProgress must not be null");
      return with(c -> c.readProgress(progress));
    }

    /** Repeats of a query failing with a transient error before its shard fails; default 3. */
    public Read withMaxRetries(int retries) {
      checkArgument(retries >= 0, "maxRetries must be >= 0, but was %s", retries);
      return with(c -> c.maxRetries(retries));
    }

    /** First wait before repeating a failed query (doubles each time); default 1 s. */
    public Read withInitialBackoff(Duration backoff) {
      checkArgument(
          backoff != null && !backoff.isShorterThan(Duration.ZERO), "initialBackoff must be >= 0");
      return with(c -> c.initialBackoff(backoff));
    }

    /**
     * Seconds without a byte from ClickHouse before a query's connection is given up (the query is
     * then repeated like any transient failure); default {@value
     * ClickHouseConnectionConfig#DEFAULT_SOCKET_TIMEOUT_SECONDS}. And the most seconds a query may
     * run ({@code max_execution_time}, failing rather than returning part of a result); default
     * {@value ClickHouseConnectionConfig#DEFAULT_QUERY_TIMEOUT_SECONDS}, 0 leaves it to the server.
     */
    public Read withTimeouts(int socketTimeoutSeconds, int queryTimeoutSeconds) {
      checkArgument(
          socketTimeoutSeconds > 0,
          "clickhouseSocketTimeoutSeconds must be > 0, but was %s",
          socketTimeoutSeconds);
      checkArgument(
          queryTimeoutSeconds >= 0,
          "clickhouseQueryTimeoutSeconds must be >= 0, but was %s",
          queryTimeoutSeconds);
      return with(
          c -> {
            c.socketTimeoutSeconds(socketTimeoutSeconds);
            c.queryTimeoutSeconds(queryTimeoutSeconds);
          });
    }

    /** The connection settings. */
    public ClickHouseConnectionConfig connectionConfig() {
      checkArgument(url() != null, "ClickHouse URL is required (withUrl)");
      checkArgument(user() != null, "ClickHouse user is required (withUser)");
      return ClickHouseConnectionConfig.of(url(), user(), password())
          .withTimeouts(socketTimeoutSeconds(), queryTimeoutSeconds());
    }

    /**
     * The plan: the one given with {@link #withPlan(ReadPlan)}, or discovered now from ClickHouse
     * (a few small queries). Inspect it, log it, keep it with checkpoints.
     */
    public ReadPlan plan() {
      validate();
      if (givenPlan() != null) {
        checkPlanMatches(givenPlan());
        // A given plan is data (it may come from a shared checkpoint directory): its shards are
        // kept, every SQL fragment is rebuilt from what ClickHouse says now.
        try (Connection c = connectionConfig().open()) {
          return givenPlan()
              .rebuiltOn(
                  SourceDiscovery.layout(
                      c,
                      database(),
                      teamId(),
                      Timestamps.toInstant(givenPlan().startMicros()),
                      end(),
                      referenceCursor()));
        } catch (SQLException e) {
          throw new IllegalStateException(
              "Could not check the ClickHouse read plan against "
                  + connectionConfig().redactedUrl()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
      try (Connection c = connectionConfig().open()) {
        return SourceDiscovery.discover(
            c, database(), teamId(), start(), end(), splitThreshold(), referenceCursor());
      } catch (SQLException e) {
        throw new IllegalStateException(
            "Could not plan the ClickHouse read from "
                + connectionConfig().redactedUrl()
                + ": "
                + e.getMessage(),
            e);
      }
    }

    /**
     * The plan's shards this read reads (those of {@link #withSkipShards} left out), each with its
     * reader key: shards of one key are read one after another, and there are at most {@link
     * #withMaxConcurrentQueries} keys, so at most that many queries run at once job-wide.
     */
    public List<KV<Integer, Shard>> shardsByReader(ReadPlan plan) {
      Set<String> unknown = new TreeSet<>(skipShards());
      plan.shards().forEach(s -> unknown.remove(s.id()));
      checkArgument(
          unknown.isEmpty(),
          "skipShards names shards that are not in the plan: %s. The plan changed since the"
              + " earlier run; pass that run's saved plan with withPlan so ids keep their meaning",
          unknown);
      List<Shard> toRead = new ArrayList<>();
      for (Shard s : plan.shards()) {
        if (!skipShards().contains(s.id())) {
          toRead.add(s);
        }
      }
      int lanes = Math.max(1, Math.min(maxConcurrentQueries(), toRead.size()));
      Map<String, Integer> lane = ShardPlanner.assignLanes(toRead, lanes);
      List<KV<Integer, Shard>> keyed = new ArrayList<>();
      for (Shard s : toRead) {
        keyed.add(KV.of(lane.get(s.id()), s));
      }
      return keyed;
    }

    /**
     * Reads single shards of {@code plan} as this read does (same reader, copy rule, complete-read
     * checks, retries and {@link #withReadProgress} records), for a DoFn that reads shard by shard
     * itself.
     */
    public ShardRows shardRows(ReadPlan plan) {
      return new ShardRows(
          connectionConfig(), plan, fetchSize(), maxRetries(), initialBackoff(), readProgress());
    }

    @Override
    public ReadResult expand(PBegin input) {
      ReadPlan plan = plan();
      if (givenPlan() == null) {
        LOG.info("{}", plan.describe()); // a plan given with withPlan was logged by whoever made it
      }
      List<KV<Integer, Shard>> keyed = shardsByReader(plan);

      TupleTag<KV<String, EventRow>> rowsTag = new TupleTag<KV<String, EventRow>>() {};
      TupleTag<ShardReadStats> statsTag = new TupleTag<ShardReadStats>() {};
      PCollectionTuple out =
          input
              .apply(
                  "Create shards",
                  Create.of(keyed).withCoder(KvCoder.of(VarIntCoder.of(), Shard.Coder.of())))
              // One key per concurrent reader: a key's shards are read one after another.
              .apply("Group shards by reader", GroupByKey.create())
              .apply(
                  "Read shards",
                  ParDo.of(new ReadShardsFn(shardRows(plan), rowsTag, statsTag))
                      .withOutputTags(rowsTag, TupleTagList.of(statsTag)));
      out.get(rowsTag).setCoder(KvCoder.of(StringUtf8Coder.of(), EventRowCoder.of()));
      out.get(statsTag).setCoder(ShardReadStats.Coder.of());
      return new ReadResult(out, rowsTag, statsTag);
    }

    private void validate() {
      checkArgument(url() != null, "ClickHouse URL is required (withUrl)");
      checkArgument(user() != null, "ClickHouse user is required (withUser)");
      checkArgument(teamId() != null, "team id is required (withTeamId)");
      checkArgument(start() != null && end() != null, "the range is required (withRange)");
    }

    private void checkPlanMatches(ReadPlan p) {
      Instant from =
          referenceCursor() == null ? start() : referenceCursor().earliestUnsent(start());
      checkArgument(
          p.database().equals(database())
              && p.teamId() == teamId()
              && p.startMicros() == Timestamps.toMicros(from)
              && p.endMicros() == Timestamps.toMicros(end())
              && Objects.equals(p.referenceCursor(), referenceCursor()),
          "the given plan is for database %s, team %s, [%s, %s), cursor %s; this read is for"
              + " database %s, team %s, [%s, %s), cursor %s",
          p.database(),
          p.teamId(),
          Timestamps.toIso(p.startMicros()),
          Timestamps.toIso(p.endMicros()),
          p.referenceCursor(),
          database(),
          teamId(),
          from,
          end(),
          referenceCursor());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .addIfNotNull(
              DisplayData.item("url", url() == null ? null : ClickHouseUrls.redact(url())))
          .addIfNotNull(DisplayData.item("user", user()))
          .add(DisplayData.item("database", database()))
          .addIfNotNull(DisplayData.item("teamId", teamId()))
          .addIfNotNull(DisplayData.item("start", start() == null ? null : start().toString()))
          .addIfNotNull(DisplayData.item("end", end() == null ? null : end().toString()))
          .add(DisplayData.item("fetchSize", fetchSize()))
          .add(DisplayData.item("maxConcurrentQueries", maxConcurrentQueries()))
          .add(DisplayData.item("splitThreshold", splitThreshold()))
          .add(DisplayData.item("skipShards", skipShards().size()))
          .add(DisplayData.item("socketTimeoutSeconds", socketTimeoutSeconds()))
          .add(DisplayData.item("queryTimeoutSeconds", queryTimeoutSeconds()))
          .addIfNotNull(
              DisplayData.item(
                  "referenceCursor",
                  referenceCursor() == null ? null : referenceCursor().toString()));
    }

    private Read with(Consumer<Builder> change) {
      Builder copy = toBuilder();
      change.accept(copy);
      return copy.build();
    }
  }

  /** The rows of a read, keyed by shard id, and one {@link ShardReadStats} per shard read. */
  public static final class ReadResult extends TupleOutput {
    private final TupleTag<KV<String, EventRow>> rowsTag;
    private final TupleTag<ShardReadStats> statsTag;

    private ReadResult(
        PCollectionTuple outputs,
        TupleTag<KV<String, EventRow>> rowsTag,
        TupleTag<ShardReadStats> statsTag) {
      super(outputs);
      this.rowsTag = rowsTag;
      this.statsTag = statsTag;
    }

    /** Every row read, keyed by its shard id. */
    public PCollection<KV<String, EventRow>> getRows() {
      return get(rowsTag);
    }

    /** One per shard read, emitted when the shard is finished. */
    public PCollection<ShardReadStats> getStats() {
      return get(statsTag);
    }
  }

  /**
   * Reads single shards, each recorded in a {@link ReadProgress} after every page and at its end.
   * Serializable; each thread {@link #open opens} its own {@link Reader} (one connection).
   */
  public static final class ShardRows implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShardRows.class);

    private final ClickHouseConnectionConfig connection;
    private final ReadPlan plan;
    private final int fetchSize;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final ReadProgress progress;

    ShardRows(
        ClickHouseConnectionConfig connection,
        ReadPlan plan,
        int fetchSize,
        int maxRetries,
        Duration initialBackoff,
        ReadProgress progress) {
      this.connection = connection;
      this.plan = plan;
      this.fetchSize = fetchSize;
      this.maxRetries = maxRetries;
      this.initialBackoff = initialBackoff;
      this.progress = progress;
    }

    /** A reader for one thread; close it when done. */
    public Reader open() {
      return new Reader(new ShardReader(connection, plan, fetchSize, maxRetries, initialBackoff));
    }

    /** Reads shards one after another over one connection. */
    public final class Reader implements AutoCloseable {
      private final ShardReader reader;

      private Reader(ShardReader reader) {
        this.reader = reader;
      }

      /** Reads every row of {@code shard} once into {@code rows}, recording the shard's read. */
      public ShardReadStats read(Shard shard, ShardReader.RowSink rows) throws Exception {
        LOG.info("Reading shard {} (about {} rows)", shard.id(), shard.estimatedRows());
        ShardReadStats stats =
            reader.read(
                shard, rows, soFar -> progress.shardRead(shard.id(), soFar.counters(), false));
        progress.shardRead(shard.id(), stats.counters(), true);
        LOG.info("Read {}", stats);
        return stats;
      }

      @Override
      public void close() {
        reader.close();
      }
    }
  }

  /** Reads the shards of one reader key, one after another, over one connection. */
  static final class ReadShardsFn extends DoFn<KV<Integer, Iterable<Shard>>, KV<String, EventRow>> {
    private final ShardRows shardRows;
    private final TupleTag<KV<String, EventRow>> rowsTag;
    private final TupleTag<ShardReadStats> statsTag;
    private transient ShardRows.@Nullable Reader reader;

    ReadShardsFn(
        ShardRows shardRows,
        TupleTag<KV<String, EventRow>> rowsTag,
        TupleTag<ShardReadStats> statsTag) {
      this.shardRows = shardRows;
      this.rowsTag = rowsTag;
      this.statsTag = statsTag;
    }

    @Setup
    public void setup() {
      reader = shardRows.open();
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Shard>> lane, MultiOutputReceiver out)
        throws Exception {
      List<Shard> shards = new ArrayList<>();
      lane.getValue().forEach(shards::add);
      shards.sort(Comparator.comparing(Shard::id));
      for (Shard shard : shards) {
        OutputReceiver<KV<String, EventRow>> rows = out.get(rowsTag);
        out.get(statsTag).output(reader.read(shard, row -> rows.output(KV.of(shard.id(), row))));
      }
    }

    @Teardown
    public void teardown() {
      if (reader != null) {
        reader.close();
        reader = null;
      }
    }
  }
}
