package dev.hogbeam.clickhouse;

import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * What reading one shard cost: rows returned, ClickHouse's own rows and bytes read (summed over
 * every query of the shard, from the {@code X-ClickHouse-Summary} the server sends), page queries,
 * all queries, repeats after transient failures, and wall time. {@code readRows / rowsReturned} is
 * the read amplification.
 *
 * <p>{@code readRows} and {@code readBytes} are exact or -1 (unknown), never partial: they are -1
 * when results were streamed (the default: the server sends the summary with the first block, when
 * it has read only part of what the query will read, see {@link
 * ClickHouseConnectionConfig#exactSummaries()}) or the driver did not expose the summary.
 */
@DefaultCoder(ShardReadStats.Coder.class)
public final class ShardReadStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String shardId;
  private final long rowsReturned;
  private final long readRows;
  private final long readBytes;
  private final long pages;
  private final long queries;
  private final long retries;
  private final long elapsedMillis;
  private final long copiesMerged;
  private final long expectedRows;

  /** Stats of a read that merged no copies and had no count to reconcile against. */
  public ShardReadStats(
      String shardId,
      long rowsReturned,
      long readRows,
      long readBytes,
      long pages,
      long queries,
      long retries,
      long elapsedMillis) {
    this(shardId, rowsReturned, readRows, readBytes, pages, queries, retries, elapsedMillis, 0, -1);
  }

  /**
   * @param copiesMerged rows ClickHouse returned that the reader merged into another row as copies
   * @param expectedRows rows ClickHouse counted for the shard when its read started (-1: not yet)
   */
  public ShardReadStats(
      String shardId,
      long rowsReturned,
      long readRows,
      long readBytes,
      long pages,
      long queries,
      long retries,
      long elapsedMillis,
      long copiesMerged,
      long expectedRows) {
    this.shardId = shardId;
    this.rowsReturned = rowsReturned;
    this.readRows = readRows;
    this.readBytes = readBytes;
    this.pages = pages;
    this.queries = queries;
    this.retries = retries;
    this.elapsedMillis = elapsedMillis;
    this.copiesMerged = copiesMerged;
    this.expectedRows = expectedRows;
  }

  public String shardId() {
    return shardId;
  }

  /** Rows passed on: one per event, after the copy rule. */
  public long rowsReturned() {
    return rowsReturned;
  }

  /**
   * Stored copies the reader merged into the row it passed on (the source table's own rule, see
   * {@link CopyRule#LATEST_VERSION}); 0 when ClickHouse merged them ({@code FINAL}) or nothing was
   * merged.
   */
  public long copiesMerged() {
    return copiesMerged;
  }

  /**
   * The rows the shard must pass on, as ClickHouse counted them when the read started ({@link
   * PageQueries#shardCount}), or -1 before that. A finished read returned at least as many.
   */
  public long expectedRows() {
    return expectedRows;
  }

  /** Rows ClickHouse read for this shard (exact), or -1 if unknown. */
  public long readRows() {
    return readRows;
  }

  /** Bytes ClickHouse read for this shard (exact), or -1 if unknown. */
  public long readBytes() {
    return readBytes;
  }

  /** Page queries that completed (each up to the page size). */
  public long pages() {
    return pages;
  }

  /**
   * Queries sent, failed attempts included: pages, completions of tie groups bigger than a page,
   * and repeats.
   */
  public long queries() {
    return queries;
  }

  /** Queries repeated after a transient failure. */
  public long retries() {
    return retries;
  }

  public long elapsedMillis() {
    return elapsedMillis;
  }

  /**
   * The counters the ledger and the account record for a shard: {@code rowsRead} (rows passed on),
   * {@code expectedRows} (what ClickHouse counted at the start, -1 before), {@code copiesMerged},
   * {@code sourceRowsScanned}, {@code sourceBytesScanned} (exact, or -1 when not known exactly),
   * {@code pages}, {@code queries}, {@code retries}, {@code readMillis}.
   */
  public Map<String, Long> counters() {
    Map<String, Long> c = new TreeMap<>();
    c.put("rowsRead", rowsReturned);
    c.put("expectedRows", expectedRows);
    c.put("copiesMerged", copiesMerged);
    c.put("sourceRowsScanned", readRows);
    c.put("sourceBytesScanned", readBytes);
    c.put("pages", pages);
    c.put("queries", queries);
    c.put("retries", retries);
    c.put("readMillis", elapsedMillis);
    return c;
  }

  /** Rows read by ClickHouse per row returned, or NaN when unknown or nothing returned. */
  public double readAmplification() {
    return readRows < 0 || rowsReturned == 0 ? Double.NaN : (double) readRows / rowsReturned;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ShardReadStats)) {
      return false;
    }
    ShardReadStats s = (ShardReadStats) o;
    return rowsReturned == s.rowsReturned
        && readRows == s.readRows
        && readBytes == s.readBytes
        && pages == s.pages
        && queries == s.queries
        && retries == s.retries
        && elapsedMillis == s.elapsedMillis
        && copiesMerged == s.copiesMerged
        && expectedRows == s.expectedRows
        && shardId.equals(s.shardId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        shardId,
        rowsReturned,
        readRows,
        readBytes,
        pages,
        queries,
        retries,
        elapsedMillis,
        copiesMerged,
        expectedRows);
  }

  @Override
  public String toString() {
    return shardId
        + ": "
        + rowsReturned
        + " rows (ClickHouse counted "
        + expectedRows
        + ", "
        + copiesMerged
        + " copies merged), ClickHouse read "
        + readRows
        + " rows / "
        + readBytes
        + " bytes, "
        + pages
        + " pages ("
        + queries
        + " queries, "
        + retries
        + " retries), "
        + elapsedMillis
        + " ms";
  }

  /** Coder for {@link ShardReadStats}. */
  public static final class Coder extends ValueCoder<ShardReadStats> {
    private static final Coder INSTANCE = new Coder();
    private static final VarLongCoder LONG = VarLongCoder.of();

    public static Coder of() {
      return INSTANCE;
    }

    /**
     * What makes {@code @DefaultCoder(ShardReadStats.Coder.class)} take effect: without this method
     * Beam's registry silently falls back to Java serialization for {@link ShardReadStats}.
     */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(ShardReadStats.class), INSTANCE);
    }

    @Override
    public void encode(ShardReadStats s, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(s.shardId, out);
      LONG.encode(s.rowsReturned, out);
      LONG.encode(s.readRows, out);
      LONG.encode(s.readBytes, out);
      LONG.encode(s.pages, out);
      LONG.encode(s.queries, out);
      LONG.encode(s.retries, out);
      LONG.encode(s.elapsedMillis, out);
      LONG.encode(s.copiesMerged, out);
      LONG.encode(s.expectedRows, out);
    }

    @Override
    public ShardReadStats decode(InputStream in) throws IOException {
      return new ShardReadStats(
          StringUtf8Coder.of().decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in));
    }
  }
}
