package dev.hogbeam.pipeline.options;

import dev.hogbeam.capture.ApiKeys;
import dev.hogbeam.secret.SecretMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The destination key of each team of a run over several projects ({@code --teamIds}): one JSON
 * object of team id to project API key, {@code {"2": "phc_...", "5": "phc_..."}}, given as {@code
 * --projectKeysFile} (any Beam file system, or Secret Manager), the {@code POSTHOG_PROJECT_KEYS}
 * environment variable, or {@code --projectKeys} (local runs only, as every secret value flag:
 * {@link Secrets}).
 *
 * <p>The object must name exactly the teams of {@code --teamIds}, each with a well-formed project
 * key ({@code phc_...}): a team left out, a team not in {@code --teamIds}, a name that is not a
 * team id and a malformed key are refused, naming where the keys came from and the team, never a
 * key. Each team's key travels to the workers as one entry of the same reference ({@link
 * dev.hogbeam.secret.SecretRef#entry}), so a key file is read by every worker and no key enters the
 * pipeline.
 */
public final class ProjectKeys {
  /** The environment variable holding the keys. */
  public static final String ENV = "POSTHOG_PROJECT_KEYS";

  /** What the keys look like, for messages. */
  public static final String FORMAT =
      "a JSON object of team id to project key, {\"2\": \"phc_...\"}";

  private ProjectKeys() {}

  /** {@code --teamIds=2,5,9}: positive, distinct team ids, in the order given. */
  public static List<Long> teamIds(String flag) {
    Set<Long> out = new LinkedHashSet<>();
    for (String part : flag.split(",", -1)) {
      String p = part.strip();
      long id;
      try {
        id = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--teamIds="
                + flag
                + ": \""
                + p
                + "\" is not a team id (give numbers: --teamIds=2,5,9)");
      }
      if (id <= 0) {
        throw new IllegalArgumentException("--teamIds=" + flag + ": team ids are > 0, not " + id);
      }
      if (!out.add(id)) {
        throw new IllegalArgumentException("--teamIds=" + flag + " names team " + id + " twice");
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * Each team's key, in the order of {@code teams}; empty when no keys were given and {@code
   * required} is false (a dry run, files).
   */
  public static Map<Long, Secrets.Secret> resolve(
      Secrets secrets,
      @Nullable String value,
      @Nullable String file,
      List<Long> teams,
      boolean required) {
    Secrets.Secret all = secrets.secret("projectKeys", value, "projectKeysFile", file, ENV);
    Map<Long, Secrets.Secret> out = new LinkedHashMap<>();
    if (all == null) {
      if (required) {
        throw new IllegalArgumentException(
            "--teamIds needs the destination key of every team: --projectKeysFile=<a file holding "
                + FORMAT
                + ">, or the "
                + ENV
                + " environment variable in the same form");
      }
      return out;
    }
    String where =
        value != null
            ? "--projectKeys"
            : file != null
                ? "the file --projectKeysFile=" + file
                : "the environment variable " + ENV;
    Map<Long, String> names = new LinkedHashMap<>();
    Map<String, String> entries = SecretMap.parse(all.value(), where + " (" + FORMAT + ")");
    for (Map.Entry<String, String> e : entries.entrySet()) {
      long team;
      try {
        team = Long.parseLong(e.getKey().strip());
      } catch (NumberFormatException x) {
        throw new IllegalArgumentException(
            where + ": \"" + e.getKey() + "\" is not a team id (" + FORMAT + ")");
      }
      if (!teams.contains(team)) {
        throw new IllegalArgumentException(
            where
                + " holds a key for team "
                + team
                + ", which is not in --teamIds; remove it or add the team to --teamIds");
      }
      if (names.put(team, e.getKey()) != null) {
        throw new IllegalArgumentException(where + " holds two keys for team " + team);
      }
    }
    for (long team : teams) {
      String name = names.get(team);
      if (name == null) {
        throw new IllegalArgumentException(
            where + " has no key for team " + team + " (every team of --teamIds needs one)");
      }
      String key = entries.get(name);
      String problem =
          ApiKeys.problem(key) != null
              ? ApiKeys.problem(key)
              : key.startsWith("phc_") ? null : "the key does not start with phc_";
      if (problem != null) {
        throw new IllegalArgumentException(
            where + ": the key of team " + team + ": " + problem + ". " + ApiKeys.WHAT_IS_EXPECTED);
      }
      out.put(team, new Secrets.Secret(key, all.ref().entry(name, key)));
    }
    return out;
  }
}
