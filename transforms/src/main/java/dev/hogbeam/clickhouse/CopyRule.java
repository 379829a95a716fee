package dev.hogbeam.clickhouse;

/**
 * Which stored rows of the source table are copies of one event, and which copy is read. The rule
 * is the table's own: a ReplacingMergeTree merges rows equal in every expression of its sort key
 * into the row with the highest version, so hogbeam reads what {@code SELECT ... FINAL} returns.
 */
public enum CopyRule {
  /**
   * The engine does not merge rows (a plain MergeTree, or an engine hogbeam does not model): every
   * stored row is read and sent.
   */
  KEEP_ALL,
  /**
   * The reader merges copies as it reads them: rows equal in the whole sort key come back adjacent
   * (pages follow the sort key), and of each run of them the row with the highest version is kept;
   * of equal versions the last one returned (ClickHouse returns them in part order, as a merge sees
   * them). Constant memory.
   */
  LATEST_VERSION,
  /**
   * ClickHouse merges copies: every query reads {@code FROM table FINAL}. Used when the reader
   * cannot see copies side by side (paging by time instead of the sort key) or when the engine has
   * an {@code is_deleted} column.
   */
  FINAL
}
