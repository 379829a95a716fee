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
    return new ReadPlan(
        database,
        queryTable,
        dataTable,
        sortingKey,
        pagingMode,
        keys,
        splitColumn,
        optionalColumns,
        querySettings,
        teamId,
        startMicros,
        endMicros,
        referenceCursor,
        shards,
        warnings,
        rule,
        rule == CopyRule.LATEST_VERSION ? version : null);
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

  /** Reads a plan written by {@link #toJson()}. */
  public static ReadPlan fromJson(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      List<KeyColumn> keys = new ArrayList<>();
      for (JsonNode k : n.get("keys")) {
        keys.add(KeyColumn.of(k.get("expression").asText(), k.get("type").asText()));
      }
      JsonNode split = n.get("splitColumn");
      List<String> optional = new ArrayList<>();
      n.get("optionalColumns").forEach(c -> optional.add(c.asText()));
      JsonNode rc = n.get("referenceCursor");
      long teamId = n.get("teamId").asLong();
      List<Shard> shards = new ArrayList<>();
      for (JsonNode s : n.get("shards")) {
        shards.add(
            Shard.of(
                s.get("id").asText(),
                teamId,
                s.get("day").asText(),
                Timestamps.toMicros(java.time.Instant.parse(s.get("start").asText())),
                Timestamps.toMicros(java.time.Instant.parse(s.get("end").asText())),
                s.get("part").asInt(),
                s.get("parts").asInt(),
                s.hasNonNull("splitLower") ? s.get("splitLower").asText() : null,
                s.hasNonNull("splitUpper") ? s.get("splitUpper").asText() : null,
                s.get("estimatedRows").asLong()));
      }
      List<String> warnings = new ArrayList<>();
      n.get("warnings").forEach(x -> warnings.add(x.asText()));
      // Plans saved before the copy rule was recorded: the reader merges runs of copies, keeping
      // the last one returned.
      CopyRule copyRule =
          n.hasNonNull("copyRule")
              ? CopyRule.valueOf(n.get("copyRule").asText())
              : CopyRule.LATEST_VERSION;
      JsonNode version = n.get("versionColumn");
      return new ReadPlan(
          n.get("database").asText(),
          n.get("queryTable").asText(),
          n.get("dataTable").asText(),
          n.get("sortingKey").asText(),
          PagingMode.valueOf(n.get("pagingMode").asText()),
          keys,
          split == null
              ? null
              : KeyColumn.of(split.get("expression").asText(), split.get("type").asText()),
          optional,
          n.get("querySettings").asText(),
          teamId,
          Timestamps.toMicros(java.time.Instant.parse(n.get("start").asText())),
          Timestamps.toMicros(java.time.Instant.parse(n.get("end").asText())),
          rc == null
              ? null
              : ReferenceCursor.of(
                  rc.get("epochSeconds").asLong(), UUID.fromString(rc.get("uuid").asText())),
          shards,
          warnings,
          copyRule,
          version == null || version.isNull()
              ? null
              : KeyColumn.of(version.get("expression").asText(), version.get("type").asText()));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a read plan written by ReadPlan.toJson(): " + e, e);
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
