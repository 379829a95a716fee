package dev.hogbeam.clickhouse;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a table's engine (the {@code engine} and {@code engine_full} columns of {@code
 * system.tables}) says about merged rows: whether it is a ReplacingMergeTree, and its version and
 * {@code is_deleted} columns.
 *
 * <p>{@code engine_full} reads like {@code ReplacingMergeTree(_timestamp) PARTITION BY ...} or
 * {@code ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/events', '{replica}', _timestamp)
 * ...}: the replicated engines start with the Keeper path and the replica name (string literals,
 * which may be left out), then the engine's own parameters.
 */
public record TableEngine(
    String name, boolean replacing, @Nullable String versionColumn, @Nullable String isDeleted) {

  /** Reads {@code engine} (the engine's name) and {@code engineFull} (its whole definition). */
  public static TableEngine parse(String engine, @Nullable String engineFull) {
    String name = engine == null ? "" : engine.trim();
    String base = name.startsWith("Replicated") ? name.substring("Replicated".length()) : name;
    if (!base.equals("ReplacingMergeTree")) {
      return new TableEngine(name, false, null, null);
    }
    List<String> args = arguments(name, engineFull == null ? "" : engineFull.trim());
    int first = 0;
    if (!base.equals(name)) {
      while (first < args.size() && first < 2 && isStringLiteral(args.get(first))) {
        first++;
      }
    }
    String version = args.size() > first ? unquote(args.get(first)) : null;
    String deleted = args.size() > first + 1 ? unquote(args.get(first + 1)) : null;
    return new TableEngine(name, true, version, deleted);
  }

  /** The comma-separated arguments in the parentheses right after the engine's name. */
  private static List<String> arguments(String name, String engineFull) {
    if (!engineFull.startsWith(name)) {
      return List.of();
    }
    String rest = engineFull.substring(name.length()).trim();
    if (!rest.startsWith("(")) {
      return List.of();
    }
    int close = SortKeys.matchingClose(rest, 0);
    return close < 0 ? List.of() : SortKeys.split(rest.substring(1, close));
  }

  private static boolean isStringLiteral(String arg) {
    return arg.startsWith("'");
  }

  private static String unquote(String identifier) {
    if (identifier.length() >= 2
        && (identifier.startsWith("`") && identifier.endsWith("`")
            || identifier.startsWith("\"") && identifier.endsWith("\""))) {
      return identifier.substring(1, identifier.length() - 1);
    }
    return identifier;
  }
}
