package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.BackOffUtils;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.util.Sleeper;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads shards of a {@link ReadPlan} with keyset pages along the plan's key, over one JDBC
 * connection. Not thread-safe: one per reading thread (one per DoFn instance).
 *
 * <h3>Exactly once, including ties</h3>
 *
 * The paging key is not unique: unmerged copies of a row share it. Paging with {@code key > last}
 * alone would lose the rest of a tie group cut by the page limit. So rows are handed on a whole tie
 * group at a time: a group is passed on once a row with a different key follows it, and the cursor
 * is the key of the last group passed on. When a page comes back full, its last group may go on in
 * the next page, so it is not passed on: the next page starts with it again. Only when a whole page
 * is one group (more copies than the page size) is that group read whole with {@code key = last}.
 * ({@code LIMIT n WITH TIES} would say the same, but was measured to switch off ClickHouse's
 * read-in-order limit and read the rest of the shard on every page.) Every row of the shard thus
 * belongs to exactly one emitted group, and every copy is returned.
 *
 * <h3>Copies</h3>
 *
 * Under {@link CopyRule#LATEST_VERSION} a tie group is exactly a set of rows the source table's
 * ReplacingMergeTree would merge (equal in its whole sort key: team and day fixed by the shard, the
 * paging key for the rest), so the reader passes on one row per group: the one with the highest
 * version, of equal versions the last returned. That is what {@code SELECT ... FINAL} returns, in
 * constant memory (only the kept row of the current group is held). Under {@link CopyRule#FINAL}
 * ClickHouse merges them; under {@link CopyRule#KEEP_ALL} every row is passed on.
 *
 * <h3>Complete reads</h3>
 *
 * A shard that is a whole day, read by a reader that sees every stored row (copy rules {@link
 * CopyRule#KEEP_ALL} and {@link CopyRule#LATEST_VERSION}), is checked against the plan's count of
 * that day's stored rows ({@link Shard#estimatedRows()}, an exact {@code count()} taken when the
 * migration was planned): when the rows passed on plus the copies merged equal it, the read is
 * complete, at no extra cost. Otherwise (a split day, {@link CopyRule#FINAL}, or rows that differ
 * from the plan's count) the shard's rows are counted ({@link PageQueries#shardCount}: after the
 * copy rule, so background merges do not change the figure), before the first page, or after the
 * last when the plan's count did not match. When the pages end with fewer rows passed on than
 * counted, a page was cut short without being the end (a server limit in {@code break} mode, rows
 * deleted): the reader reads on after the last row passed on, with backoff, up to {@code
 * maxRetries} times, then fails the shard with a message naming it. It never finishes a shard
 * short. The count and the rows read are in the shard's {@link ShardReadStats}.
 *
 * <h3>Rows read by ClickHouse</h3>
 *
 * Exact or unknown, never partial: summed from each query's {@code X-ClickHouse-Summary} only when
 * the connection waits for the end of each query ({@link
 * ClickHouseConnectionConfig#exactSummaries()}); by default results are streamed, the summary is
 * sent with the first block, and the shard's rows and bytes read are -1 (unknown). Exact figures of
 * a streamed read are in ClickHouse's {@code system.query_log}, by query id.
 *
 * <h3>Retries</h3>
 *
 * A transient failure (connection, timeout, overload) repeats the query from the last emitted
 * group, after backoff, up to {@code maxRetries} times without progress; anything else, or running
 * out of retries, fails with the shard id. Rows already passed on stay passed on and are not
 * repeated. Every statement is closed, and its concurrency slot given back, on every path.
 */
public final class ShardReader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardReader.class);

  private static final Counter ROWS = Metrics.counter(ShardReader.class, "rows");
  private static final Counter PAGES = Metrics.counter(ShardReader.class, "pages");
  private static final Counter QUERIES = Metrics.counter(ShardReader.class, "queries");
  private static final Counter CLICKHOUSE_READ_ROWS =
      Metrics.counter(ShardReader.class, "clickhouseReadRows");
  private static final Counter CLICKHOUSE_READ_BYTES =
      Metrics.counter(ShardReader.class, "clickhouseReadBytes");
  private static final Counter RETRIES = Metrics.counter(ShardReader.class, "retries");
  private static final Counter SHARDS = Metrics.counter(ShardReader.class, "shardsRead");

  /**
   * Queries running at the moment each query starts, in this JVM (including itself): its maximum
   * shows the concurrency the job really put on ClickHouse from one worker.
   */
  private static final Distribution CONCURRENT_QUERIES =
      Metrics.distribution(ShardReader.class, "concurrentQueries");

  private static final AtomicInteger IN_FLIGHT = new AtomicInteger();

  /** Receives rows in page order. */
  @FunctionalInterface
  public interface RowSink {
    void accept(EventRow row);
  }

  /** Told, after every complete page, what the shard's read cost so far. */
  @FunctionalInterface
  public interface PageListener {
    void afterPage(ShardReadStats soFar) throws Exception;
  }

  /** Told of every query the reader runs (for measurements and diagnostics). */
  @FunctionalInterface
  public interface QueryListener {
    void onQuery(PageQueries.Query query);
  }

  private final ClickHouseConnectionConfig connection;
  private final ReadPlan plan;
  private final int pageSize;
  private final FluentBackoff backoff;
  private final QueryListener listener;
  private final boolean mergeCopies;
  private final boolean exactSummaries;
  private final int versionIndex;
  private final int partIndex;
  private @Nullable Connection conn;

  /**
   * @param pageSize rows per page query
   * @param maxRetries repeats of a failing query (transient errors only) before the shard fails
   * @param initialBackoff the first wait before a repeat; doubles each time
   */
  public ShardReader(
      ClickHouseConnectionConfig connection,
      ReadPlan plan,
      int pageSize,
      int maxRetries,
      Duration initialBackoff) {
    this(connection, plan, pageSize, maxRetries, initialBackoff, q -> {});
  }

  /** As above, telling {@code listener} of every query before it runs. */
  public ShardReader(
      ClickHouseConnectionConfig connection,
      ReadPlan plan,
      int pageSize,
      int maxRetries,
      Duration initialBackoff,
      QueryListener listener) {
    checkArgument(pageSize > 0, "pageSize must be > 0, but was %s", pageSize);
    checkArgument(maxRetries >= 0, "maxRetries must be >= 0, but was %s", maxRetries);
    this.connection = connection;
    this.plan = plan;
    this.pageSize = pageSize;
    this.listener = listener;
    this.mergeCopies = plan.copyRule() == CopyRule.LATEST_VERSION;
    this.exactSummaries = connection.exactSummaries();
    this.versionIndex = 6 + plan.optionalColumns().size() + plan.keys().size();
    this.partIndex = versionIndex + (plan.versionColumn() == null ? 0 : 1);
    this.backoff =
        FluentBackoff.DEFAULT
            .withMaxRetries(maxRetries)
            .withInitialBackoff(
                initialBackoff.isShorterThan(Duration.millis(1))
                    ? Duration.millis(1)
                    : initialBackoff)
            .withMaxBackoff(Duration.standardMinutes(1));
  }

  /** Reads every row of {@code shard} once, in page order, and returns what it cost. */
  public ShardReadStats read(Shard shard, RowSink sink) {
    try {
      return read(shard, sink, soFar -> {});
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // only the listener throws checked ones, and it does not
    }
  }

  /**
   * As {@link #read(Shard, RowSink)}, telling {@code pages} after every page (its exceptions fail
   * the read at once, without retries).
   */
  public ShardReadStats read(Shard shard, RowSink sink, PageListener pages) throws Exception {
    ShardProgress p = new ShardProgress(shard, sink);
    BackOff retry = backoff.backoff();
    BackOff shortfallRetry = backoff.backoff();
    long started = System.nanoTime();
    boolean done = false;
    while (true) {
      long rowsBefore = p.rows;
      boolean pageRead = false;
      try {
        if (p.expected < 0 && !p.plannedCountApplies()) {
          p.countExpected();
        }
        done = p.nextPage();
        pageRead = !done;
      } catch (SinkFailure e) {
        throw e.failure; // downstream's failure, not ClickHouse's: never retried here
      } catch (SQLException | RuntimeException e) {
        closeConnection();
        if (p.rows > rowsBefore) {
          retry = backoff.backoff(); // progress was made: a fresh budget for the next failure
        }
        if (!ClickHouseErrors.isTransient(e) || !sleepBeforeRetry(retry)) {
          throw new ShardReadException(shard.id(), p.rows, e);
        }
        RETRIES.inc();
        p.retries++;
        LOG.warn(
            "Shard {}: query failed after {} rows ({}); retrying from the last complete key",
            shard.id(),
            p.rows,
            e.toString());
      }
      if (pageRead) {
        pages.afterPage(p.stats(started));
      }
      if (done) {
        if (p.expected < 0) {
          if (p.rows + p.copiesMerged == shard.estimatedRows()) {
            // Every stored row the plan counted was seen: the read is complete without a count.
            p.expected = p.rows;
            break;
          }
          // The rows differ from the plan's count (rows inserted or deleted since, or a page cut
          // short): count now, and read on if the count says rows are missing.
          p.countExpected();
        }
        if (p.rows >= p.expected) {
          break;
        }
        // Fewer rows than ClickHouse counted: a page came back short without being the end. Read
        // on after the last row passed on; never finish the shard short.
        if (!sleepBeforeRetry(shortfallRetry)) {
          throw new ShardReadException(shard.id(), p.rows, p.expected);
        }
        RETRIES.inc();
        p.retries++;
        LOG.warn(
            "Shard {}: read {} rows but ClickHouse counted {} when the shard started; reading on"
                + " after the last row passed on",
            shard.id(),
            p.rows,
            p.expected);
        done = false;
      }
    }
    SHARDS.inc();
    return p.stats(started);
  }

  private static boolean sleepBeforeRetry(BackOff retry) {
    try {
      return BackOffUtils.next(Sleeper.DEFAULT, retry);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The reading state of one shard: the cursor moves only when a whole tie group is passed on. */
  private final class ShardProgress {
    private final Shard shard;
    private final RowSink sink;
    private final TieGroup group = new TieGroup();
    private @Nullable List<String> cursor;
    private long expected = -1;
    private long rows;
    private long copiesMerged;
    private long pages;
    private long queries;
    private long retries;
    private long readRows;
    private long readBytes;

    ShardProgress(Shard shard, RowSink sink) {
      this.shard = shard;
      this.sink = sink;
    }

    ShardReadStats stats(long startedNanos) {
      return new ShardReadStats(
          shard.id(),
          rows,
          readRows,
          readBytes,
          pages,
          queries,
          retries,
          (System.nanoTime() - startedNanos) / 1_000_000,
          copiesMerged,
          expected);
    }

    /**
     * Whether the plan's count of the shard's stored rows can stand in for a count before the first
     * page: the shard is a whole day (its estimate is the planner's exact count of stored rows) and
     * the reader sees every stored row (it merges copies itself, or keeps them all), so the rows
     * passed on plus the copies merged must equal it. When they do not, the shard is counted after
     * its pages, as a shard the plan cannot vouch for is counted before them.
     */
    boolean plannedCountApplies() {
      return shard.parts() == 1 && plan.copyRule() != CopyRule.FINAL;
    }

    /** Counts the rows the shard must pass on ({@link PageQueries#shardCount}). */
    void countExpected() throws SQLException {
      try (Running q = run(PageQueries.shardCount(plan, shard))) {
        if (!q.rs.next()) {
          throw new SQLException("ClickHouse returned no count for shard " + shard.id());
        }
        expected = q.rs.getLong(1);
      }
    }

    /** Reads one page (and completes its last tie group); true when the shard is finished. */
    boolean nextPage() throws SQLException {
      PageQueries.Query page = PageQueries.page(plan, shard, cursor, pageSize);
      group.clear();
      List<String> groupKey = null;
      int returned = 0;
      try (Running q = run(page)) {
        ResultSet rs = q.rs;
        while (rs.next()) {
          returned++;
          List<String> key = readKey(rs);
          if (groupKey != null && !key.equals(groupKey)) {
            emit(groupKey);
          }
          groupKey = key;
          group.add(rs);
        }
      }
      pages++;
      PAGES.inc();
      if (groupKey == null) {
        return true;
      }
      if (returned < pageSize) {
        emit(groupKey);
        return true;
      }
      if (group.returned < returned) {
        return false; // the last group may go on: the next page starts with it again
      }
      // The whole page is one tie group: read all of it.
      group.clear();
      try (Running q = run(PageQueries.tieGroup(plan, shard, groupKey))) {
        while (q.rs.next()) {
          group.add(q.rs);
        }
      }
      emit(groupKey);
      return false;
    }

    private void emit(List<String> key) {
      try {
        for (EventRow r : group.rows) {
          sink.accept(r);
        }
      } catch (RuntimeException e) {
        throw new SinkFailure(e);
      }
      rows += group.rows.size();
      copiesMerged += group.returned - group.rows.size();
      ROWS.inc(group.rows.size());
      group.clear();
      cursor = key;
    }

    private Running run(PageQueries.Query q) throws SQLException {
      listener.onQuery(q);
      queries++;
      QUERIES.inc();
      Running r = new Running(q);
      try {
        // A streamed query's summary went out with its first block: partial, so not counted. Once
        // one query's figure is unknown, the shard's is (never a partial sum).
        long[] summary =
            exactSummaries ? QuerySummaries.readRowsAndBytes(r.rs) : new long[] {-1, -1};
        if (summary[0] < 0) {
          readRows = -1;
          readBytes = -1;
        } else if (readRows >= 0) {
          readRows += summary[0];
          readBytes += summary[1];
          CLICKHOUSE_READ_ROWS.inc(summary[0]);
          CLICKHOUSE_READ_BYTES.inc(summary[1]);
        }
      } catch (RuntimeException | Error e) {
        r.close(); // never keep a statement and its concurrency slot past a failure
        throw e;
      }
      return r;
    }
  }

  /**
   * The rows of one tie group (equal paging key) as they come back. Under {@link
   * CopyRule#LATEST_VERSION} the group is one event stored in several copies, and only the copy a
   * ReplacingMergeTree merge keeps is held: the highest version; of equal versions the one inserted
   * last, i.e. the one in the part with the highest first block number, then at the highest offset
   * in its part (the order a merge, and {@code FINAL}, reads them in). Under the other rules every
   * row is held.
   */
  private final class TieGroup {
    final List<EventRow> rows = new ArrayList<>();
    long returned;
    private long bestVersion;
    private long bestBlock;
    private long bestOffset;
    private @Nullable String lastPart;
    private long lastPartBlock;

    void add(ResultSet rs) throws SQLException {
      returned++;
      if (!mergeCopies) {
        rows.add(readRow(rs));
        return;
      }
      KeyColumn version = plan.versionColumn();
      long v = version == null ? 0 : version.versionOrder(rs.getString(versionIndex));
      long block = firstBlock(rs.getString(partIndex));
      long offset = rs.getLong(partIndex + 1);
      if (rows.isEmpty() || later(v, block, offset)) {
        rows.clear();
        rows.add(readRow(rs));
        bestVersion = v;
        bestBlock = block;
        bestOffset = offset;
      }
    }

    private boolean later(long v, long block, long offset) {
      if (v != bestVersion) {
        return v > bestVersion;
      }
      if (block != bestBlock) {
        return block > bestBlock;
      }
      return offset >= bestOffset;
    }

    /**
     * The first block number of a part: {@code <partition>_<min block>_<max
     * block>_<level>[_<mutation>]} (partition ids have no underscore).
     */
    private long firstBlock(String part) {
      if (!part.equals(lastPart)) {
        String[] fields = part.split("_");
        lastPartBlock = fields.length >= 4 ? parseOrZero(fields[1]) : 0;
        lastPart = part;
      }
      return lastPartBlock;
    }

    void clear() {
      rows.clear();
      returned = 0;
    }
  }

  private static long parseOrZero(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** One running query: counted in the in-flight gauge from execution until closed. */
  private final class Running implements AutoCloseable {
    final PreparedStatement ps;
    final ResultSet rs;

    Running(PageQueries.Query q) throws SQLException {
      PreparedStatement stmt = connection().prepareStatement(q.sql());
      try {
        PageQueries.bind(stmt, q.params());
        CONCURRENT_QUERIES.update(IN_FLIGHT.incrementAndGet());
        try {
          rs = stmt.executeQuery();
        } catch (SQLException | RuntimeException e) {
          IN_FLIGHT.decrementAndGet();
          throw e;
        }
      } catch (SQLException | RuntimeException e) {
        stmt.close();
        throw e;
      }
      ps = stmt;
    }

    @Override
    public void close() throws SQLException {
      IN_FLIGHT.decrementAndGet();
      try {
        rs.close();
      } finally {
        ps.close();
      }
    }
  }

  private List<String> readKey(ResultSet rs) throws SQLException {
    int first = 6 + plan.optionalColumns().size();
    List<String> key = new ArrayList<>(plan.keys().size());
    for (int i = 0; i < plan.keys().size(); i++) {
      key.add(rs.getString(first + i));
    }
    return key;
  }

  private EventRow readRow(ResultSet rs) throws SQLException {
    EventRow.Builder b =
        EventRow.builder()
            .uuid(rs.getString(1))
            .event(rs.getString(2))
            .distinctId(rs.getString(3))
            .timestampMicros(rs.getLong(4))
            .properties(rs.getString(5));
    int i = 6;
    for (String c : plan.optionalColumns()) {
      setOptional(b, c, rs, i++);
    }
    return b.build();
  }

  private static void setOptional(EventRow.Builder b, String column, ResultSet rs, int i)
      throws SQLException {
    switch (column) {
      case "elements_chain":
        b.elementsChain(rs.getString(i));
        return;
      case "person_id":
        b.personId(rs.getString(i));
        return;
      case "person_properties":
        b.personProperties(rs.getString(i));
        return;
      case "person_created_at":
        b.personCreatedAtMicros(rs.getLong(i));
        return;
      case "person_mode":
        b.personMode(rs.getString(i));
        return;
      default:
        int slot = column.charAt(5) - '0';
        if (column.endsWith("_properties")) {
          b.groupProperties(slot, rs.getString(i));
        } else {
          b.groupCreatedAtMicros(slot, rs.getLong(i));
        }
    }
  }

  private Connection connection() throws SQLException {
    if (conn == null) {
      conn = connection.open();
    }
    return conn;
  }

  private void closeConnection() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException e) {
        LOG.debug("closing a failed connection", e);
      }
      conn = null;
    }
  }

  @Override
  public void close() {
    closeConnection();
  }

  /** Carries an exception thrown by the sink past the retry handling. */
  private static final class SinkFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final RuntimeException failure;

    SinkFailure(RuntimeException failure) {
      super(failure);
      this.failure = failure;
    }
  }

  /** Reading a shard failed for good; the message names the shard. */
  public static final class ShardReadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ShardReadException(String shardId, long rowsBefore, Throwable cause) {
      super(
          "Reading ClickHouse shard " + shardId + " failed after " + rowsBefore + " rows: " + cause,
          cause);
    }

    ShardReadException(String shardId, long rowsRead, long expected) {
      super(
          "Reading ClickHouse shard "
              + shardId
              + " came up short: it returned "
              + rowsRead
              + " rows, but ClickHouse counted "
              + expected
              + " when the shard started, and reading on after the last row found no more. A"
              + " server limit may cut results short (max_result_rows, max_rows_to_read,"
              + " max_execution_time with overflow mode 'break' in the user's profile), or rows were"
              + " deleted during the read. The shard is not marked finished.");
    }
  }
}
