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
 * The paging key is not unique: unmerged copies of a row share it, and different rows can share
 * hashes. Paging with {@code key > last} alone would lose the rest of a tie group cut by the page
 * limit. So rows are handed on a whole tie group at a time: a group is passed on once a row with a
 * different key follows it, and the cursor is the key of the last group passed on. When a page
 * comes back full, its last group may go on in the next page, so it is not passed on: the next page
 * starts with it again. Only when a whole page is one group (more copies than the page size) is
 * that group read whole with {@code key = last}. ({@code LIMIT n WITH TIES} would say the same, but
 * was measured to switch off ClickHouse's read-in-order limit and read the rest of the shard on
 * every page.) Every row of the shard thus belongs to exactly one emitted group, and every copy is
 * returned.
 *
 * <h3>Retries</h3>
 *
 * A transient failure (connection, timeout, overload) repeats the query from the last emitted
 * group, after backoff, up to {@code maxRetries} times without progress; anything else, or running
 * out of retries, fails with the shard id. Rows already passed on stay passed on and are not
 * repeated.
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
    long started = System.nanoTime();
    boolean done = false;
    while (!done) {
      long rowsBefore = p.rows;
      boolean pageRead = false;
      try {
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
    private @Nullable List<String> cursor;
    private long rows;
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
          (System.nanoTime() - startedNanos) / 1_000_000);
    }

    /** Reads one page (and completes its last tie group); true when the shard is finished. */
    boolean nextPage() throws SQLException {
      PageQueries.Query page = PageQueries.page(plan, shard, cursor, pageSize);
      List<EventRow> group = new ArrayList<>();
      List<String> groupKey = null;
      int returned = 0;
      try (Running q = run(page)) {
        ResultSet rs = q.rs;
        while (rs.next()) {
          returned++;
          List<String> key = readKey(rs);
          if (groupKey != null && !key.equals(groupKey)) {
            emit(group, groupKey);
          }
          groupKey = key;
          group.add(readRow(rs));
        }
      }
      pages++;
      PAGES.inc();
      if (groupKey == null) {
        return true;
      }
      if (returned < pageSize) {
        emit(group, groupKey);
        return true;
      }
      if (group.size() < returned) {
        return false; // the last group may go on: the next page starts with it again
      }
      // The whole page is one tie group: read all of it.
      group.clear();
      try (Running q = run(PageQueries.tieGroup(plan, shard, groupKey))) {
        while (q.rs.next()) {
          group.add(readRow(q.rs));
        }
      }
      emit(group, groupKey);
      return false;
    }

    private void emit(List<EventRow> group, List<String> key) {
      try {
        for (EventRow r : group) {
          sink.accept(r);
        }
      } catch (RuntimeException e) {
        throw new SinkFailure(e);
      }
      rows += group.size();
      ROWS.inc(group.size());
      group.clear();
      cursor = key;
    }

    private Running run(PageQueries.Query q) throws SQLException {
      listener.onQuery(q);
      queries++;
      QUERIES.inc();
      Running r = new Running(q);
      long[] summary = QuerySummaries.readRowsAndBytes(r.rs);
      if (summary[0] >= 0) {
        readRows = (readRows < 0 ? 0 : readRows) + summary[0];
        readBytes = (readBytes < 0 ? 0 : readBytes) + summary[1];
        CLICKHOUSE_READ_ROWS.inc(summary[0]);
        CLICKHOUSE_READ_BYTES.inc(summary[1]);
      } else if (queries == 1) {
        readRows = -1;
        readBytes = -1;
      }
      return r;
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
  }
}
