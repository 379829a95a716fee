package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.options.MigrationOptions;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code migration.json} in a checkpoint directory: which source a migration read ({@code
 * clickhouse}, {@code amplitude}) and the flags it was given, without any secret, so that {@code
 * hogbeam verify --checkpointDir=DIR} can find the source, its range and the destination again.
 *
 * <p>Only the migration's own flags are kept (those of {@link MigrationOptions} and the source's
 * options interface), never runner flags, and never a secret: a flag whose getter is {@link
 * JsonIgnore}d (the convention for secrets, see {@link MigrationOptions}) is dropped with its
 * value. Secrets are given again to {@code verify}, by flag, file or environment variable.
 */
public record MigrationRecord(String source, List<String> args) {
  public static final String FILE = "migration.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Writes the record of a run of {@code source} with {@code args} parsed as {@code options}. */
  public static void write(
      CheckpointStore store, String source, String[] args, Class<?> optionsClass) {
    store.writeText(FILE, new MigrationRecord(source, keptArgs(args, optionsClass)).toJson());
  }

  /** The record in {@code store}, or null when the directory holds none. */
  public static @Nullable MigrationRecord read(CheckpointStore store) {
    String text = store.readText(FILE);
    return text == null ? null : fromJson(text);
  }

  /** The flag of a run over several teams, and the directory each team's checkpoints are in. */
  static final String TEAM_IDS = "teamIds";

  private static final java.util.regex.Pattern TEAM_DIRECTORY =
      java.util.regex.Pattern.compile("team-([0-9]+)");

  /**
   * The record of one team of a run over several teams ({@code --teamIds}), whose directory {@code
   * team-<id>} is in the run's directory (which holds the run's record): the run's flags for that
   * team alone ({@code --teamId=<id>}, its own checkpoint directory, no other team, no keys file).
   * Null when {@code store} is not such a directory.
   */
  public static @Nullable MigrationRecord ofTeamDirectory(CheckpointStore store) {
    String dir = store.directory().replaceAll("/+$", "");
    int slash = dir.lastIndexOf('/');
    java.util.regex.Matcher team = TEAM_DIRECTORY.matcher(dir.substring(slash + 1));
    if (slash <= 0 || !team.matches()) {
      return null;
    }
    MigrationRecord run = read(CheckpointStore.at(dir.substring(0, slash)));
    if (run == null || run.flag(TEAM_IDS) == null) {
      return null;
    }
    List<String> args = new ArrayList<>();
    for (String a : run.args()) {
      String name = flagName(a);
      if (!Set.of(TEAM_IDS, "projectKeysFile", "checkpointDir").contains(name)) {
        args.add(a);
      }
    }
    args.add("--teamId=" + team.group(1));
    args.add("--checkpointDir=" + store.directory());
    return new MigrationRecord(run.source(), args);
  }

  /** The value of {@code --name=value} among the args, or null. */
  public @Nullable String flag(String name) {
    for (String a : args) {
      if (name.equals(flagName(a))) {
        int eq = a.indexOf('=');
        return eq < 0 ? "" : a.substring(eq + 1);
      }
    }
    return null;
  }

  /** {@code args} without runner flags and without secrets. */
  static List<String> keptArgs(String[] args, Class<?> optionsClass) {
    Set<String> kept = new TreeSet<>();
    Set<String> secret = new TreeSet<>();
    for (Method m : optionsClass.getMethods()) {
      String property = property(m);
      if (property == null || !MigrationOptions.class.isAssignableFrom(m.getDeclaringClass())) {
        continue;
      }
      kept.add(property);
      if (m.isAnnotationPresent(JsonIgnore.class)) {
        secret.add(property);
      }
    }
    List<String> out = new ArrayList<>();
    for (String a : args) {
      String name = flagName(a);
      if (name != null && kept.contains(name) && !secret.contains(name)) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * {@code base} with every flag of {@code overrides} replacing the same flag of {@code base}
   * (later flags win), in order: base's kept flags, then the overrides.
   */
  public static List<String> merge(List<String> base, List<String> overrides) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String a : base) {
      byName.put(String.valueOf(flagName(a)), a);
    }
    for (String a : overrides) {
      byName.remove(String.valueOf(flagName(a)));
      byName.put(String.valueOf(flagName(a)), a);
    }
    return new ArrayList<>(byName.values());
  }

  /** {@code checkpointDir} of {@code --checkpointDir=x}; null for what is not a flag. */
  static @Nullable String flagName(String arg) {
    if (!arg.startsWith("--")) {
      return null;
    }
    int eq = arg.indexOf('=');
    return eq < 0 ? arg.substring(2) : arg.substring(2, eq);
  }

  private static @Nullable String property(Method m) {
    if (m.getParameterCount() != 0) {
      return null;
    }
    String n = m.getName();
    String rest;
    if (n.startsWith("get") && n.length() > 3) {
      rest = n.substring(3);
    } else if (n.startsWith("is") && n.length() > 2) {
      rest = n.substring(2);
    } else {
      return null;
    }
    return rest.substring(0, 1).toLowerCase(Locale.ROOT) + rest.substring(1);
  }

  String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("source", source);
    ArrayNode a = o.putArray("args");
    args.forEach(a::add);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static MigrationRecord fromJson(String text) {
    try {
      JsonNode o = JSON.readTree(text);
      List<String> args = new ArrayList<>();
      o.path("args").forEach(n -> args.add(n.asText()));
      return new MigrationRecord(o.path("source").asText(), List.copyOf(args));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(FILE + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
