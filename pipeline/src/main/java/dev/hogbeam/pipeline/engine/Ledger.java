package dev.hogbeam.pipeline.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import dev.hogbeam.capture.BatchStats;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.capture.SendProgress;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GlobalCursor;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.progress.ReadProgress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one record of a migration's state, in its checkpoint directory: the stages write into it as
 * they go, and the progress line, the account ({@code report.json}, the printed summary) and the
 * exit code are all read from it. Nothing about a run is kept anywhere else (no static counters, no
 * state shared between the objects of a JVM).
 *
 * <pre>
 *   plan.json              the source's plan, checked by a later run
 *   run.json               the settings a later run must share (destination, order)
 *   groups/KEY.json        per send group: resume cursor, batch in flight, done, and what each run
 *                          did with it ({@link GroupCheckpoint}); written before and after every batch
 *   shards/NAME.json       per source shard: what its latest read cost and whether it ended
 *   counts.json            the source's own counts of its latest run (e.g. Amplitude's conversion)
 *   rules/PART.json        what the filters and renames did ({@link EventRules}), per send group on
 *                          the fused path, for the whole run on the shuffle path
 *   report.json            the account, written at the end of every run
 *   dead-letters/          what could not be delivered, one JSON line each ({@link DeadLetter})
 * </pre>
 *
 * <p>Every write replaces one small document atomically ({@link CheckpointStore}). One instance per
 * run, identified by its run id; it is serializable and travels with the DoFns that write.
 */
public final class Ledger implements ReadProgress {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  /** In the account's {@code migration.deadLetters} entry: every dead letter on record. */
  public static final String RECORDS = "records";

  /** The account's file. */
  public static final String REPORT = "report.json";

  static final String COUNTS = "counts.json";

  private final CheckpointStore store;
  private final String runId;
  private final String deadLetterDir;

  private Ledger(CheckpointStore store, String runId, String deadLetterDir) {
    this.store = store;
    this.runId = runId;
    this.deadLetterDir = deadLetterDir;
  }

  /**
   * The ledger of the migration in {@code store}, for the run {@code runId}.
   *
   * @param deadLetterDir where the run writes dead letters (any Beam file system path)
   */
  public static Ledger of(CheckpointStore store, String runId, String deadLetterDir) {
    return new Ledger(store, runId, deadLetterDir);
  }

  public CheckpointStore store() {
    return store;
  }

  public String runId() {
    return runId;
  }

  public String deadLetterDir() {
    return deadLetterDir;
  }

  /** File name prefix of the dead letters this run writes. */
  public String deadLetterPrefix() {
    return "dead-letters-" + runId;
  }

  // ---------------------------------------------------------------------------------------------
  // Written by the pipeline.

  /** Records a shard's read (the readers' hook). */
  @Override
  public void shardRead(String shardId, Map<String, Long> counters, boolean done) {
    ObjectNode n = JSON.createObjectNode();
    n.put("shard", shardId);
    n.put("run", runId);
    n.put("done", done);
    ObjectNode c = n.putObject("counters");
    new TreeMap<>(counters).forEach(c::put);
    store.writeText("shards/" + fileName(shardId) + ".json", n.toString());
  }

  /**
   * Records the source's own counts for this run, as section {@code section}, entry {@code entry}.
   */
  public void recordCounts(String section, String entry, Map<String, Long> counts) {
    ObjectNode n = JSON.createObjectNode();
    n.put("run", runId);
    n.put("section", section);
    n.put("entry", entry);
    ObjectNode c = n.putObject("counters");
    new TreeMap<>(counts).forEach(c::put);
    store.writeText(COUNTS, n.toString());
  }

  /**
   * Records what the filters and renames did to the events of {@code part} (a send group, or the
   * whole run), for this run's account; a later record of the same part replaces it.
   */
  public void recordRuleCounts(String part, EventRules.Tally tally) {
    ObjectNode n = JSON.createObjectNode();
    n.put("run", runId);
    n.put("part", part);
    ObjectNode entries = n.putObject("entries");
    tally
        .byEntry()
        .forEach(
            (entry, counters) -> {
              ObjectNode c = entries.putObject(entry);
              counters.forEach(c::put);
            });
    store.writeText("rules/" + fileName(part) + ".json", n.toString());
  }

  /**
   * The writer's hook: each group's checkpoint, read once when the group starts and rewritten
   * before and after every batch, with this run's counters.
   *
   * @param runCursor the run's {@code --cursor}: groups resume after the later of it and their own
   *     cursor
   */
  public SendProgress sendProgress(@Nullable EventCursor runCursor) {
    return new GroupsProgress(this, runCursor);
  }

  // ---------------------------------------------------------------------------------------------
  // Read by the command line.

  /** Every group's state, by key. */
  public Map<String, GroupCheckpoint> groups() {
    return store.readAllGroups();
  }

  /** Every shard record, by shard id. */
  public Map<String, ShardRecord> shards() {
    Map<String, ShardRecord> out = new TreeMap<>();
    for (String text : store.readAll("shards/*.json")) {
      ShardRecord r = ShardRecord.fromJson(text);
      out.put(r.shard(), r);
    }
    return out;
  }

  /** What the progress line shows, now. */
  public Progress progress() {
    long rows = 0;
    long shardsRead = 0;
    for (ShardRecord s : shards().values()) {
      if (s.run().equals(runId)) {
        rows += s.counters().getOrDefault("rowsRead", 0L);
        shardsRead += s.done() ? 1 : 0;
      }
    }
    long sent = 0;
    long finished = 0;
    long dead = 0;
    for (GroupCheckpoint g : groups().values()) {
      sent += g.run(runId).getOrDefault("sent", 0L);
      dead += g.run(runId).getOrDefault("deadLettered", 0L);
      finished += g.done() ? 1 : 0;
    }
    return new Progress(rows, shardsRead, sent, finished, dead);
  }

  /** The counters of a progress line. */
  public record Progress(
      long rowsRead, long shardsRead, long eventsSent, long groupsFinished, long deadLettered) {}

  /** The file name prefix shared by the dead letters of every run. */
  public static final String DEAD_LETTER_FILES = "dead-letters-";

  /**
   * Every dead letter of the migration (every run, every stage) still on record, in file order; a
   * record written twice (a retried bundle, a resumed run) is listed once.
   */
  public List<DeadLetter> deadLetters() {
    return DeadLetterIO.read(deadLetterDir, DEAD_LETTER_FILES);
  }

  /** The dead letters this run wrote. */
  public List<DeadLetter> deadLettersOfThisRun() {
    return DeadLetterIO.read(deadLetterDir, deadLetterPrefix());
  }

  /**
   * The account, from everything recorded: this run's shards, groups and dead letters (sections
   * {@code shards}, {@code groups}, {@code deadLetters}, {@code run}, and the source's counts), and
   * the whole migration over all runs (section {@code migration}).
   */
  public RunReport account() {
    RunReport.Builder report = RunReport.builder();
    for (ShardRecord s : shards().values()) {
      if (s.run().equals(runId)) {
        report.put(RunReport.SHARDS, s.shard(), s.counters());
      }
    }
    long possiblyResent = 0;
    long groupsDone = 0;
    long sentAllRuns = 0;
    Map<String, GroupCheckpoint> groups = groups();
    for (GroupCheckpoint g : groups.values()) {
      Map<String, Long> run = g.run(runId);
      if (!run.isEmpty()) {
        Map<String, Long> entry = new TreeMap<>(run);
        possiblyResent += entry.getOrDefault("possiblyResent", 0L);
        entry.remove("possiblyResent");
        if (entry.getOrDefault("duplicatesDropped", 0L) == 0) {
          entry.remove("duplicatesDropped");
        }
        report.put(RunReport.GROUPS, g.group(), entry);
      }
      groupsDone += g.done() ? 1 : 0;
      sentAllRuns += g.sent();
    }
    report.put(RunReport.RUN, "resume", Map.of("possiblyResent", possiblyResent));
    Set<String> thisRun = new HashSet<>();
    for (DeadLetter d : deadLettersOfThisRun()) {
      report.add(RunReport.DEAD_LETTERS, d.stage(), "records", 1);
      thisRun.add(d.id());
    }
    String counts = store.readText(COUNTS);
    if (counts != null) {
      JsonNode n = readJson(counts, COUNTS);
      if (runId.equals(n.path("run").asText())) {
        Map<String, Long> c = new TreeMap<>();
        n.path("counters").fields().forEachRemaining(e -> c.put(e.getKey(), e.getValue().asLong()));
        report.put(n.path("section").asText(), n.path("entry").asText(), c);
      }
    }
    for (String text : store.readAll("rules/*.json")) {
      JsonNode n = readJson(text, "rule counts");
      if (runId.equals(n.path("run").asText())) {
        n.path("entries")
            .fields()
            .forEachRemaining(
                e -> {
                  Map<String, Long> c = new TreeMap<>();
                  e.getValue()
                      .fields()
                      .forEachRemaining(f -> c.put(f.getKey(), f.getValue().asLong()));
                  report.put(EventRules.SECTION, e.getKey(), c);
                });
      }
    }
    Map<String, Long> migration = new TreeMap<>();
    migration.put("groups", (long) groups.size());
    migration.put("groupsDone", groupsDone);
    migration.put("sent", sentAllRuns);
    Map<String, Long> deadByStage = new TreeMap<>();
    long dead = 0;
    long fromEarlierRuns = 0;
    for (DeadLetter d : deadLetters()) {
      deadByStage.merge(d.stage(), 1L, Long::sum);
      dead++;
      fromEarlierRuns += thisRun.contains(d.id()) ? 0 : 1;
    }
    deadByStage.put(RECORDS, dead);
    deadByStage.put("fromEarlierRuns", fromEarlierRuns);
    report.put(RunReport.MIGRATION, "groups", migration);
    report.put(RunReport.MIGRATION, "deadLetters", deadByStage);
    return report.build();
  }

  /** Writes {@link #account()} as {@code report.json} and returns it. */
  public RunReport writeAccount() {
    RunReport account = account();
    store.writeText(REPORT, account.toJson());
    return account;
  }

  /**
   * The cursor printed for users of PostHog's script: every event at or before it, in every group
   * of {@code groupStarts}, has been delivered.
   */
  public EventCursor lowWaterMark(Map<String, Long> groupStarts, long rangeEndMicros) {
    return GlobalCursor.lowWaterMark(groupStarts, groups(), rangeEndMicros);
  }

  /** A shard id as a file name: itself when safe, else a readable part plus a hash. */
  static String fileName(String id) {
    if (SAFE.matcher(id).matches()) {
      return id;
    }
    String readable = id.replaceAll("[^A-Za-z0-9._-]+", "_");
    if (readable.length() > 60) {
      readable = readable.substring(readable.length() - 60);
    }
    return readable
        + "-"
        + Hashing.sha256().hashString(id, StandardCharsets.UTF_8).toString().substring(0, 12);
  }

  private static JsonNode readJson(String text, String what) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable " + what + ": " + e.getMessage(), e);
    }
  }

  /** What one shard's latest read recorded. */
  public record ShardRecord(String shard, String run, boolean done, Map<String, Long> counters) {
    static ShardRecord fromJson(String text) {
      JsonNode n = readJson(text, "shard record");
      Map<String, Long> c = new TreeMap<>();
      n.path("counters").fields().forEachRemaining(e -> c.put(e.getKey(), e.getValue().asLong()));
      return new ShardRecord(
          n.path("shard").asText(), n.path("run").asText(), n.path("done").asBoolean(), c);
    }
  }

  /** The writer's hook, one {@link GroupProgress} per group. */
  private static final class GroupsProgress implements SendProgress {
    private static final long serialVersionUID = 1L;
    private final Ledger ledger;
    private final @Nullable EventCursor runCursor;

    GroupsProgress(Ledger ledger, @Nullable EventCursor runCursor) {
      this.ledger = ledger;
      this.runCursor = runCursor;
    }

    @Override
    public Group open(String groupKey) {
      GroupCheckpoint stored = ledger.store.readGroup(groupKey);
      return new GroupProgress(
          ledger, stored == null ? GroupCheckpoint.start(groupKey) : stored, runCursor);
    }
  }

  /**
   * One group's progress: its state lives here, read once when the group starts, and is written
   * back before and after every batch. The counters of this run's earlier attempts at the group (a
   * retried bundle) are the base this attempt adds to.
   */
  private static final class GroupProgress implements SendProgress.Group {
    private static final EventCursor AFTER_EVERYTHING =
        EventCursor.of(Long.MAX_VALUE, GlobalCursor.MAX_UUID);

    private final Ledger ledger;
    private final @Nullable EventCursor runCursor;
    private final Map<String, Long> base;
    private GroupCheckpoint state;

    GroupProgress(Ledger ledger, GroupCheckpoint state, @Nullable EventCursor runCursor) {
      this.ledger = ledger;
      this.runCursor = runCursor;
      Map<String, Long> base = new TreeMap<>(state.run(ledger.runId));
      if (!state.done() && state.inFlight() != null) {
        base.merge("possiblyResent", (long) state.inFlight().events(), Long::sum);
      }
      this.base = base;
      this.state = state;
    }

    @Override
    public @Nullable EventCursor resumeAfter() {
      if (state.done()) {
        return AFTER_EVERYTHING;
      }
      return later(state.acknowledged(), runCursor);
    }

    @Override
    public void sending(EventCursor first, EventCursor last, int events) {
      state = state.sending(first, last, events);
      ledger.store.writeGroup(state);
    }

    @Override
    public void acknowledged(EventCursor lastInBatch, BatchStats batch, GroupSendStats soFar) {
      state =
          state
              .acknowledged(lastInBatch, batch.events() - batch.deadLettered())
              .withRun(ledger.runId, counters(soFar));
      ledger.store.writeGroup(state);
    }

    @Override
    public void deadLettered(List<DeadLetter> letters) {
      DeadLetterIO.writeNow(ledger.deadLetterDir, ledger.deadLetterPrefix(), letters);
    }

    @Override
    public void finished(GroupSendStats stats) {
      state = state.finished().withRun(ledger.runId, counters(stats));
      ledger.store.writeGroup(state);
    }

    /** This run's counters: the earlier attempts' plus this attempt's. */
    private Map<String, Long> counters(GroupSendStats s) {
      Map<String, Long> c = new TreeMap<>(base);
      c.merge("sent", s.eventsSent(), Long::sum);
      c.merge("batches", s.batches(), Long::sum);
      c.merge("requests", s.requests(), Long::sum);
      c.merge("bytes", s.wireBytes(), Long::sum);
      c.merge("retries", s.retries(), Long::sum);
      s.retriesByStatus()
          .forEach(
              (status, n) ->
                  c.merge(
                      status == GroupSendStats.NO_RESPONSE
                          ? "retriesNoResponse"
                          : "retries" + status,
                      n,
                      Long::sum));
      c.merge("deadLettered", s.deadLettered(), Long::sum);
      c.merge("skippedAlreadySent", s.skippedAlreadySent(), Long::sum);
      c.merge("rateLimitWaitMillis", s.rateLimitWaitMillis(), Long::sum);
      // Copies are a property of the group's data, counted whole by every complete attempt.
      c.put("duplicatesDropped", s.duplicatesDropped());
      return c;
    }

    static @Nullable EventCursor later(@Nullable EventCursor a, @Nullable EventCursor b) {
      if (a == null) {
        return b;
      }
      if (b == null) {
        return a;
      }
      return EventOrder.compare(a, b) >= 0 ? a : b;
    }
  }
}
