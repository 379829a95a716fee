package dev.hogbeam.pipeline.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.report.RunReport;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PDone;

/**
 * What one command runs: one {@link Migration}, or several run as one (one project per team of a
 * self-hosted PostHog, say): one pipeline in which every part's stages run side by side, one
 * directory holding the lease and the combined account, one exit code. Each part keeps everything
 * else of its own in a sub-directory (plan, run identity, group checkpoints, dead letters, its own
 * {@code report.json}, its next stage), so each resumes on its own: a part whose groups are
 * finished reads nothing again.
 *
 * <p>The combined {@code report.json}: under {@code <parts name>} each part's account as its own
 * directory holds it, keyed by the part's label, and under {@code total} every section summed over
 * the parts (the {@code shards} and {@code groups} sections with one entry per part).
 */
public final class Migrations {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final CheckpointStore store;
  private final String runId;
  private final String partsName;
  private final Map<String, Migration<?>> parts;
  private final boolean several;

  private Migrations(
      CheckpointStore store,
      String runId,
      String partsName,
      Map<String, Migration<?>> parts,
      boolean several) {
    this.store = store;
    this.runId = runId;
    this.partsName = partsName;
    this.parts = parts;
    this.several = several;
  }

  /** One migration, run as it always was. */
  public static Migrations of(Migration<?> migration) {
    return new Migrations(
        migration.setup().store(), migration.ledger().runId(), "", Map.of("", migration), false);
  }

  /**
   * Several migrations as one run, their lease and combined account in {@code directory}, which
   * must belong to a run of the same {@code identity} (e.g. the same teams).
   *
   * @param partsName what the parts are, in the account ({@code teams})
   * @param parts each part by its label ({@code team-5}), in the order they are reported; one or
   *     more
   */
  public static Migrations together(
      String directory,
      Map<String, String> identity,
      String partsName,
      Map<String, Migration<?>> parts) {
    return together(CheckpointStore.at(directory), identity, partsName, parts);
  }

  /**
   * As {@link #together(String, Map, String, Map)}, in {@code store} (read-only for a trial run).
   */
  public static Migrations together(
      CheckpointStore store,
      Map<String, String> identity,
      String partsName,
      Map<String, Migration<?>> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a run of several migrations needs at least one");
    }
    Migration.Setup.checkSameRun(store, identity);
    return new Migrations(
        store, Migration.Setup.newRunId(), partsName, new LinkedHashMap<>(parts), true);
  }

  /**
   * Refuses {@code directory} when it holds the checkpoints of a run of another identity (a
   * one-team migration, other teams); call it before the parts are opened in its sub-directories.
   */
  public static void checkRun(CheckpointStore store, Map<String, String> identity) {
    Migration.Setup.checkSameRun(store, identity);
  }

  /** Made of parts ({@link #together}), not one migration alone. */
  public boolean several() {
    return several;
  }

  /** The one migration of a run that is not {@link #several()}. */
  public Migration<?> only() {
    if (several()) {
      throw new IllegalStateException("this run has " + parts.size() + " parts");
    }
    return parts.values().iterator().next();
  }

  /** Each part by its label (an empty label for a single migration). */
  public Map<String, Migration<?>> parts() {
    return parts;
  }

  /** What the parts are ({@code teams}), for messages. */
  public String partsName() {
    return partsName;
  }

  /** Where the lease and the account are. */
  public CheckpointStore store() {
    return store;
  }

  public String runId() {
    return runId;
  }

  /** Every part's plan, under its label. */
  public String describe() {
    if (!several()) {
      return only().describe();
    }
    StringBuilder sb = new StringBuilder();
    sb.append(parts.size()).append(' ').append(partsName).append(" in one run (account: ");
    sb.append(store.path(Ledger.REPORT)).append(')');
    parts.forEach(
        (label, m) -> sb.append("\n").append(label).append(": ").append(indent(m.describe())));
    return sb.toString();
  }

  private static String indent(String text) {
    return text.replace("\n", "\n  ");
  }

  /** Adds every part's stages, each under its label, side by side. */
  public void expand(Pipeline p) {
    if (!several()) {
      only().expand(p);
      return;
    }
    parts.forEach((label, m) -> p.apply(label, new Part(m)));
  }

  /** A part's stages as one composite transform, so that their names do not collide. */
  private static final class Part extends PTransform<PBegin, PDone> {
    private final transient Migration<?> migration;

    Part(Migration<?> migration) {
      this.migration = migration;
    }

    @Override
    public PDone expand(PBegin input) {
      migration.expand(input.getPipeline());
      return PDone.in(input.getPipeline());
    }
  }

  /** The progress line's counters, summed over the parts. */
  public Ledger.Progress progress() {
    long rows = 0;
    long shards = 0;
    long sent = 0;
    long finished = 0;
    long dead = 0;
    for (Migration<?> m : parts.values()) {
      Ledger.Progress p = m.ledger().progress();
      rows += p.rowsRead();
      shards += p.shardsRead();
      sent += p.eventsSent();
      finished += p.groupsFinished();
      dead += p.deadLettered();
    }
    return new Ledger.Progress(rows, shards, sent, finished, dead);
  }

  /** Events the parts' plans expect, summed. */
  public long expectedEvents() {
    return parts.values().stream().mapToLong(m -> m.plan().expectedEvents()).sum();
  }

  /** The parts' shards, summed. */
  public int shards() {
    return parts.values().stream().mapToInt(m -> m.plan().shards()).sum();
  }

  /** The parts' groups known up front, summed. */
  public int groupsKnown() {
    return parts.values().stream().mapToInt(m -> m.plan().groupStarts().size()).sum();
  }

  /** Groups of every part that are not finished. */
  public long unfinishedGroups() {
    long n = 0;
    for (Migration<?> m : parts.values()) {
      n += m.ledger().groups().values().stream().filter(s -> !s.done()).count();
    }
    return n;
  }

  /**
   * Writes each part's account, and with several parts the combined one; returns each part's
   * account by label.
   */
  public Map<String, RunReport> writeAccount() {
    Map<String, RunReport> accounts = new LinkedHashMap<>();
    parts.forEach((label, m) -> accounts.put(label, m.ledger().writeAccount()));
    if (several()) {
      store.writeText(Ledger.REPORT, combined(accounts));
    }
    return accounts;
  }

  /** The combined account: each part's, and the totals over the parts. */
  String combined(Map<String, RunReport> accounts) {
    RunReport.Builder total = RunReport.builder();
    accounts.forEach(
        (label, account) -> {
          for (String section : List.of(RunReport.SHARDS, RunReport.GROUPS)) {
            if (!account.section(section).isEmpty()) {
              total.put(section, label, account.totals(section));
            }
          }
          for (String section : account.sections()) {
            if (!section.equals(RunReport.SHARDS) && !section.equals(RunReport.GROUPS)) {
              account.section(section).forEach((entry, c) -> total.put(section, entry, c));
            }
          }
        });
    try {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode each = root.putObject(partsName);
      for (Map.Entry<String, RunReport> a : accounts.entrySet()) {
        each.set(a.getKey(), JSON.readTree(a.getValue().toJson()));
      }
      root.set("total", JSON.readTree(total.build().toJson()));
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
