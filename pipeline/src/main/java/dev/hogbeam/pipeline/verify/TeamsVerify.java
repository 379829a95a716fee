package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.options.ProjectKeys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code hogbeam verify} of a migration of several teams ({@code --teamIds}): each team's directory
 * ({@code <checkpointDir>/team-<id>}) verified against its own project ({@code
 * --posthogProjectIds=2:123,5:456}) by the one-team verify, one after the other; then one {@code
 * verify.json} in the run's directory with each team's under {@code teams}, and one exit code: a
 * failure first, then missing, then still arriving.
 */
final class TeamsVerify {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TeamsVerify() {}

  static int run(
      String[] args,
      String teamIds,
      String projectIds,
      CheckpointStore store,
      MigrationCommand.Environment env)
      throws IOException {
    Map<Long, String> projects = projects(teamIds, projectIds);
    Map<String, Integer> codes = new LinkedHashMap<>();
    ObjectNode teams = JSON.createObjectNode();
    for (Map.Entry<Long, String> team : projects.entrySet()) {
      String label = "team-" + team.getKey();
      CheckpointStore dir = CheckpointStore.at(store.path(label));
      List<String> teamArgs = new ArrayList<>();
      for (String a : args) {
        String name = MigrationRecord.flagName(a);
        if (!"checkpointDir".equals(name)
            && !"posthogProjectIds".equals(name)
            && !"posthogProjectId".equals(name)) {
          teamArgs.add(a);
        }
      }
      teamArgs.add("--checkpointDir=" + dir.directory());
      teamArgs.add("--posthogProjectId=" + team.getValue());
      env.out().println(label + " (project " + team.getValue() + "):");
      int code = VerifyCommand.run(teamArgs.toArray(String[]::new), env);
      codes.put(label, code);
      String report = dir.readText("verify.json");
      teams.set(label, report == null ? JSON.nullNode() : JSON.readTree(report));
    }
    int code = worst(codes.values());
    ObjectNode root = JSON.createObjectNode();
    root.put("verdict", verdict(code));
    ObjectNode exitCodes = root.putObject("exitCodes");
    codes.forEach(exitCodes::put);
    root.set("teams", teams);
    store.writeText("verify.json", JSON.writeValueAsString(root));
    env.out()
        .println(
            "verify of "
                + codes.size()
                + " teams: "
                + verdict(code)
                + " "
                + codes
                + "; written: "
                + store.path("verify.json"));
    return code;
  }

  /** {@code 2:123,5:456}, checked to name exactly the migration's teams. */
  static Map<Long, String> projects(String teamIds, String projectIds) {
    List<Long> teams = ProjectKeys.teamIds(teamIds);
    Map<Long, String> out = new LinkedHashMap<>();
    for (String pair : projectIds.split(",", -1)) {
      String[] p = pair.strip().split(":", -1);
      long team;
      try {
        team = Long.parseLong(p[0].strip());
      } catch (NumberFormatException e) {
        team = -1;
      }
      if (p.length != 2 || team < 0 || !p[1].strip().matches("[0-9]+")) {
        throw new IllegalArgumentException(
            "--posthogProjectIds: \"" + pair + "\" is not team:project (2:123)");
      }
      if (!teams.contains(team)) {
        throw new IllegalArgumentException(
            "--posthogProjectIds names team "
                + team
                + ", which the migration (--teamIds="
                + teamIds
                + ") did not migrate");
      }
      if (out.put(team, p[1].strip()) != null) {
        throw new IllegalArgumentException("--posthogProjectIds names team " + team + " twice");
      }
    }
    for (long team : teams) {
      if (!out.containsKey(team)) {
        throw new IllegalArgumentException(
            "--posthogProjectIds has no project for team " + team + " (--teamIds=" + teamIds + ")");
      }
    }
    Map<Long, String> ordered = new LinkedHashMap<>();
    teams.forEach(t -> ordered.put(t, out.get(t)));
    return ordered;
  }

  /** A failure (usage, error, 401) first, then missing, then still arriving, else OK. */
  static int worst(Iterable<Integer> codes) {
    int worst = ExitCodes.OK;
    for (int c : codes) {
      if (rank(c) > rank(worst)) {
        worst = c;
      }
    }
    return worst;
  }

  private static int rank(int code) {
    switch (code) {
      case ExitCodes.OK:
        return 0;
      case ExitCodes.STILL_ARRIVING:
        return 1;
      case ExitCodes.MISSING:
        return 2;
      default:
        return 3;
    }
  }

  private static String verdict(int code) {
    switch (code) {
      case ExitCodes.OK:
        return "complete";
      case ExitCodes.STILL_ARRIVING:
        return "still arriving";
      case ExitCodes.MISSING:
        return "missing";
      default:
        return "failed";
    }
  }
}
