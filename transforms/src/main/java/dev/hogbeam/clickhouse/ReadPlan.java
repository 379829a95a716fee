package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.Timestamps;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a ClickHouse events read will do, decided once when the pipeline is built: which table it
 * queries, along which key it pages, which columns it selects, and its shards with their estimated
 * rows.
 *
 * <p>Log it ({@link #describe()}), use the estimates for progress, and keep it with a run's
 * checkpoints ({@link #toJson()} / {@link #fromJson(String)}): a re-run given the same plan has the
 * same shards with the same bounds, so shard ids recorded as done mean the same rows even if
 * background merges changed the counts since.
 */
public final class ReadPlan implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How rows are paged inside a shard. */
  public enum PagingMode {
    /** Along the table's own sort key after (team_id, toDate(timestamp)): index range reads. */
    SORT_KEY,
    /** By (timestamp, uuid): for tables whose sort key cannot serve; every page sorts. */
    TIME_ORDER
  }

  private final String database;
  private final String queryTable;
  private final String dataTable;
  private final String sortingKey;
  private final PagingMode pagingMode;
  private final List<KeyColumn> keys;
  private final @Nullable KeyColumn splitColumn;
  private final List<String> optionalColumns;
  private final String querySettings;
  private final long teamId;
  private final long startMicros;
  private final long endMicros;
  private final @Nullable ReferenceCursor referenceCursor;
  private final List<Shard> shards;
  private final List<String> warnings;
  private final CopyRule copyRule;
  private final @Nullable KeyColumn versionColumn;

  ReadPlan(
      String database,
      String queryTable,
      String dataTable,
      String sortingKey,
      PagingMode pagingMode,
      List<KeyColumn> keys,
      @Nullable KeyColumn splitColumn,
      List<String> optionalColumns,
      String querySettings,
      long teamId,
      long startMicros,
      long endMicros,
      @Nullable ReferenceCursor referenceCursor,
      List<Shard> shards,
      List<String> warnings,
      CopyRule copyRule,
      @Nullable KeyColumn versionColumn) {
    checkArgument(!keys.isEmpty(), "a plan needs at least one paging key");
    checkArgument(
        versionColumn == null || copyRule == CopyRule.LATEST_VERSION,
        "a version column is only used by the LATEST_VERSION copy rule");
    this.database = database;
    this.queryTable = queryTable;
    this.dataTable = dataTable;
    this.sortingKey = sortingKey;
    this.pagingMode = pagingMode;
    this.keys = List.copyOf(keys);
    this.splitColumn = splitColumn;
    this.optionalColumns = List.copyOf(optionalColumns);
    this.querySettings = querySettings;
    this.teamId = teamId;
    this.startMicros = startMicros;
    this.endMicros = endMicros;
    this.referenceCursor = referenceCursor;
    this.shards = List.copyOf(shards);
    this.warnings = List.copyOf(warnings);
    this.copyRule = copyRule;
    this.versionColumn = versionColumn;
  }

  public String database() {
    return database;
  }

  /**
   * The table queried: {@code events} (Distributed over {@code sharded_events} when replicated).
   */
  public String queryTable() {
    return queryTable;
  }

  /** The table holding the data, whose sort key was read. */
  public String dataTable() {
    return dataTable;
  }

  /** The data table's {@code sorting_key}, as ClickHouse reports it. */
  public String sortingKey() {
    return sortingKey;
  }

  public PagingMode pagingMode() {
    return pagingMode;
  }

  /** The cursor's key expressions, in page order. */
  public List<KeyColumn> keys() {
    return keys;
  }

  /** The column heavy days are split on (a function of distinct_id), or null if none split. */
  public @Nullable KeyColumn splitColumn() {
    return splitColumn;
  }

  /** Optional columns the table has and the reader selects (see {@link EventColumns}). */
  public List<String> optionalColumns() {
    return optionalColumns;
  }

  /** The SETTINGS clause content appended to page queries (may be empty). */
  public String querySettings() {
    return querySettings;
  }

  public long teamId() {
    return teamId;
  }

  public long startMicros() {
    return startMicros;
  }

  public long endMicros() {
    return endMicros;
  }

  public @Nullable ReferenceCursor referenceCursor() {
    return referenceCursor;
  }

  public List<Shard> shards() {
    return shards;
  }

  /** Things the user should know (slow paging mode, missing optional columns...). */
  public List<String> warnings() {
    return warnings;
  }

  /** Which stored rows are copies of one event and which copy is read (see {@link CopyRule}). */
  public CopyRule copyRule() {
    return copyRule;
  }

  /**
   * The ReplacingMergeTree's version column that {@link CopyRule#LATEST_VERSION} keeps the highest
   * of, or null (no version: the last row of each run of copies is kept, as ClickHouse does).
   */
  public @Nullable KeyColumn versionColumn() {
    return versionColumn;
  }

  /**
   * This plan with another copy rule (same shards): {@link CopyRule#FINAL} to let ClickHouse merge
   * copies instead of the reader, e.g. to compare the two. The version column is kept only for
   * {@link CopyRule#LATEST_VERSION}.
   */
  public ReadPlan withCopyRule(CopyRule rule, @Nullable KeyColumn version) {
    return with(optionalColumns, rule, rule == CopyRule.LATEST_VERSION ? version : null);
  }

  /**
   * This plan selecting {@code columns} (of {@link EventColumns#OPTIONAL} and {@link
   * EventColumns#NOT_READ}) besides the required ones, e.g. to measure what reading the person and
   * group columns costs. The table must have them.
   */
  public ReadPlan withOptionalColumns(List<String> columns) {
    for (String c : columns) {
      checkArgument(
          EventColumns.OPTIONAL.contains(c) || EventColumns.NOT_READ.contains(c),
          "not an optional column of PostHog's events table: %s",
          c);
    }
    return with(columns, copyRule, versionColumn);
  }

  private ReadPlan with(List<String> columns, CopyRule rule, @Nullable KeyColumn version) {
    return new ReadPlan(
        database,
        queryTable,
        dataTable,
        sortingKey,
        pagingMode,
        keys,
        splitColumn,
        columns,
        querySettings,
        teamId,
        startMicros,
        endMicros,
        referenceCursor,
        shards,
        warnings,
        rule,
        version);
  }

  /** Sum of the shards' estimated rows. */
  public long estimatedRows() {
    long sum = 0;
    for (Shard s : shards) {
      sum += s.estimatedRows();
    }
    return sum;
  }

  /** The shard with {@code id}, or null. */
  public @Nullable Shard shard(String id) {
    for (Shard s : shards) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    return null;
  }

  private static final int MAX_SHARDS_DESCRIBED = 40;

  /** A few lines for the log: table, key, mode, columns, shards (the first 40) and estimates. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("ClickHouse read plan: team ")
        .append(teamId)
        .append(", [")
        .append(Timestamps.toIso(startMicros))
        .append(", ")
        .append(Timestamps.toIso(endMicros))
        .append(")\n  table ")
        .append(database)
        .append('.')
        .append(queryTable);
    if (!dataTable.equals(queryTable)) {
      sb.append(" (data in ").append(database).append('.').append(dataTable).append(')');
    }
    sb.append("\n  sort key (").append(sortingKey).append(")\n  paging ").append(pagingMode);
    sb.append(" by ").append(keys);
    if (splitColumn != null) {
      sb.append(", heavy days split on ").append(splitColumn.expression());
    }
    sb.append("\n  copies ").append(copyRule);
    if (versionColumn != null) {
      sb.append(" (highest ").append(versionColumn.expression()).append(" kept)");
    }
    sb.append("\n  optional columns ").append(optionalColumns);
    if (referenceCursor != null) {
      sb.append("\n  resuming after reference cursor ").append(referenceCursor);
    }
    sb.append("\n  ")
        .append(shards.size())
        .append(" shards, about ")
        .append(estimatedRows())
        .append(" rows");
    int shown = 0;
    for (Shard s : shards) {
      if (shown++ == MAX_SHARDS_DESCRIBED) {
        sb.append("\n    ... and ").append(shards.size() - MAX_SHARDS_DESCRIBED).append(" more");
        break;
      }
      sb.append("\n    ").append(s);
    }
    for (String w : warnings) {
      sb.append("\n  WARNING: ").append(w);
    }
    return sb.toString();
  }

  /**
   * This plan's shards on {@code layout}'s table description (a fresh {@link
   * SourceDiscovery#layout}): the plan a read of a saved plan uses, so that nothing of the saved
   * file is ever spliced into SQL. A saved plan whose table, sort key, paging keys, key types,
   * split column, optional columns or query settings differ from what ClickHouse describes now is
   * refused, with both shown.
   */
  public ReadPlan rebuiltOn(ReadPlan layout) {
    List<String> differences = new ArrayList<>();
    differ(
        differences,
        "table",
        database + "." + queryTable,
        layout.database + "." + layout.queryTable);
    differ(differences, "data table", dataTable, layout.dataTable);
    differ(differences, "sort key", "(" + sortingKey + ")", "(" + layout.sortingKey + ")");
    differ(differences, "paging", pagingMode.name(), layout.pagingMode.name());
    differ(differences, "paging keys (expression type)", keys.toString(), layout.keys.toString());
    if (splitColumn != null) {
      differ(
          differences, "split column", splitColumn.toString(), String.valueOf(layout.splitColumn));
    }
    // Only the columns read now: a plan saved when person and group columns were read too is fine.
    differ(
        differences,
        "optional columns",
        optionalColumns.stream()
            .filter(EventColumns.OPTIONAL::contains)
            .collect(Collectors.toList())
            .toString(),
        layout.optionalColumns.toString());
    differ(
        differences, "query settings", "'" + querySettings + "'", "'" + layout.querySettings + "'");
    // The copy rule and version column are the fresh discovery's (a plan saved before they were
    // recorded has none); they decide which copy is read, never which rows.
    checkArgument(
        differences.isEmpty(),
        "the saved read plan does not describe the events table as ClickHouse does now: %s",
        String.join("; ", differences));
    return new ReadPlan(
        layout.database,
        layout.queryTable,
        layout.dataTable,
        layout.sortingKey,
        layout.pagingMode,
        layout.keys,
        splitColumn == null ? null : layout.splitColumn,
        layout.optionalColumns,
        layout.querySettings,
        teamId,
        startMicros,
        endMicros,
        referenceCursor,
        shards,
        layout.warnings,
        layout.copyRule,
        layout.versionColumn);
  }

  private static void differ(List<String> out, String what, String saved, String found) {
    if (!saved.equals(found)) {
      out.add(what + ": saved " + PlanLimits.shown(saved) + ", found " + PlanLimits.shown(found));
    }
  }

  /** The plan as JSON text, to keep with a run's checkpoints. */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("database", database);
    n.put("queryTable", queryTable);
    n.put("dataTable", dataTable);
    n.put("sortingKey", sortingKey);
    n.put("pagingMode", pagingMode.name());
    ArrayNode k = n.putArray("keys");
    for (KeyColumn key : keys) {
      k.addObject().put("expression", key.expression()).put("type", key.type());
    }
    if (splitColumn != null) {
      n.putObject("splitColumn")
          .put("expression", splitColumn.expression())
          .put("type", splitColumn.type());
    }
    ArrayNode cols = n.putArray("optionalColumns");
    optionalColumns.forEach(cols::add);
    n.put("querySettings", querySettings);
    n.put("teamId", teamId);
    n.put("start", Timestamps.toIso(startMicros));
    n.put("end", Timestamps.toIso(endMicros));
    if (referenceCursor != null) {
      n.putObject("referenceCursor")
          .put("epochSeconds", referenceCursor.epochSeconds())
          .put("uuid", referenceCursor.uuid());
    }
    ArrayNode sh = n.putArray("shards");
    for (Shard s : shards) {
      ObjectNode o = sh.addObject();
      o.put("id", s.id());
      o.put("day", s.day());
      o.put("start", Timestamps.toIso(s.startMicros()));
      o.put("end", Timestamps.toIso(s.endMicros()));
      o.put("part", s.part());
      o.put("parts", s.parts());
      if (s.splitLower() != null) {
        o.put("splitLower", s.splitLower());
      }
      if (s.splitUpper() != null) {
        o.put("splitUpper", s.splitUpper());
      }
      o.put("estimatedRows", s.estimatedRows());
    }
    ArrayNode w = n.putArray("warnings");
    warnings.forEach(w::add);
    n.put("copyRule", copyRule.name());
    if (versionColumn != null) {
      n.putObject("versionColumn")
          .put("expression", versionColumn.expression())
          .put("type", versionColumn.type());
    }
    return n.toPrettyString();
  }

  /**
   * Reads a plan written by {@link #toJson()}, as untrusted input: every field is checked for its
   * type, length and range ({@link PlanLimits}); anything else is refused with the field named.
   * (Its SQL fragments are not used anyway: see {@link #rebuiltOn}.)
   */
  public static ReadPlan fromJson(String json) {
    checkArgument(
        json.length() <= PlanLimits.MAX_PLAN_CHARS,
        "the read plan is %s characters long, more than the %s a plan can have",
        json.length(),
        PlanLimits.MAX_PLAN_CHARS);
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          "the read plan is not JSON (" + PlanLimits.shown(e.getOriginalMessage()) + ")", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("the read plan cannot be parsed", e);
    }
    PlanLimits.Fields f = new PlanLimits.Fields(n, "the read plan");
    List<KeyColumn> keys = new ArrayList<>();
    for (JsonNode k : f.array("keys", PlanLimits.MAX_KEYS)) {
      keys.add(f.keyColumn(k, "keys"));
    }
    checkArgument(!keys.isEmpty(), "the read plan has no paging keys");
    JsonNode split = n.get("splitColumn");
    List<String> optional = new ArrayList<>();
    for (JsonNode c : f.array("optionalColumns", PlanLimits.MAX_COLUMNS)) {
      optional.add(f.text(c, "optionalColumns", PlanLimits.MAX_NAME));
    }
    JsonNode rc = n.get("referenceCursor");
    long teamId = f.longIn("teamId", 0, Long.MAX_VALUE);
    long start = f.instant("start");
    long end = f.instant("end");
    checkArgument(start < end, "the read plan's start is not before its end");
    List<Shard> shards = new ArrayList<>();
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (JsonNode s : f.array("shards", PlanLimits.MAX_SHARDS)) {
      PlanLimits.Fields sf = new PlanLimits.Fields(s, "a shard of the read plan");
      String id = sf.id("id");
      checkArgument(ids.add(id), "the read plan has shard %s twice", id);
      int parts = (int) sf.longIn("parts", 1, PlanLimits.MAX_PARTS);
      long shardStart = sf.instant("start");
      long shardEnd = sf.instant("end");
      checkArgument(
          start <= shardStart && shardStart < shardEnd && shardEnd <= end,
          "shard %s of the read plan is not inside the plan's range",
          id);
      String day = sf.text("day", 10);
      try {
        java.time.LocalDate.parse(day);
      } catch (java.time.format.DateTimeParseException e) {
        throw new IllegalArgumentException("shard " + id + " of the read plan has no valid day");
      }
      shards.add(
          Shard.of(
              id,
              teamId,
              day,
              shardStart,
              shardEnd,
              (int) sf.longIn("part", 1, parts),
              parts,
              sf.optionalText("splitLower", PlanLimits.MAX_VALUE),
              sf.optionalText("splitUpper", PlanLimits.MAX_VALUE),
              sf.longIn("estimatedRows", 0, Long.MAX_VALUE)));
    }
    List<String> warnings = new ArrayList<>();
    for (JsonNode w : f.array("warnings", PlanLimits.MAX_WARNINGS)) {
      warnings.add(f.text(w, "warnings", PlanLimits.MAX_VALUE));
    }
    PagingMode mode;
    try {
      mode = PagingMode.valueOf(f.text("pagingMode", 20));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the read plan's pagingMode is not one hogbeam knows");
    }
    ReferenceCursor cursor = null;
    if (rc != null && !rc.isNull()) {
      PlanLimits.Fields cf = new PlanLimits.Fields(rc, "the read plan's referenceCursor");
      try {
        cursor =
            ReferenceCursor.of(
                cf.longIn("epochSeconds", 0, Long.MAX_VALUE / 1_000_000),
                UUID.fromString(cf.text("uuid", 36)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the read plan's referenceCursor has no valid uuid", e);
      }
    }
    return new ReadPlan(
        f.text("database", PlanLimits.MAX_NAME),
        f.text("queryTable", PlanLimits.MAX_NAME),
        f.text("dataTable", PlanLimits.MAX_NAME),
        f.text("sortingKey", PlanLimits.MAX_EXPRESSION),
        mode,
        keys,
        split == null || split.isNull() ? null : f.keyColumn(split, "splitColumn"),
        optional,
        f.text("querySettings", PlanLimits.MAX_EXPRESSION),
        teamId,
        start,
        end,
        cursor,
        shards,
        warnings,
        copyRule(f, n),
        n.hasNonNull("versionColumn")
            ? f.keyColumn(n.get("versionColumn"), "versionColumn")
            : null);
  }

  /** Plans saved before the copy rule was recorded merge runs of copies, keeping the last one. */
  private static CopyRule copyRule(PlanLimits.Fields f, JsonNode n) {
    if (!n.hasNonNull("copyRule")) {
      return CopyRule.LATEST_VERSION;
    }
    try {
      return CopyRule.valueOf(f.text("copyRule", 40));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the read plan's copyRule is not one hogbeam knows");
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ReadPlan)) {
      return false;
    }
    ReadPlan p = (ReadPlan) o;
    return teamId == p.teamId
        && startMicros == p.startMicros
        && endMicros == p.endMicros
        && database.equals(p.database)
        && queryTable.equals(p.queryTable)
        && dataTable.equals(p.dataTable)
        && sortingKey.equals(p.sortingKey)
        && pagingMode == p.pagingMode
        && keys.equals(p.keys)
        && Objects.equals(splitColumn, p.splitColumn)
        && optionalColumns.equals(p.optionalColumns)
        && querySettings.equals(p.querySettings)
        && Objects.equals(referenceCursor, p.referenceCursor)
        && shards.equals(p.shards)
        && warnings.equals(p.warnings)
        && copyRule == p.copyRule
        && Objects.equals(versionColumn, p.versionColumn);
  }

  @Override
  public int hashCode() {
    return Objects.hash(database, queryTable, teamId, startMicros, endMicros, shards);
  }

  @Override
  public String toString() {
    return "ReadPlan{"
        + database
        + "."
        + queryTable
        + ", team "
        + teamId
        + ", "
        + pagingMode
        + ", "
        + shards.size()
        + " shards}";
  }
}
