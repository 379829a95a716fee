package dev.hogbeam.pipeline.engine;

import com.google.common.collect.ImmutableSortedSet;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.order.SortSettings;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.ResumeCursor;
import dev.hogbeam.pipeline.checkpoint.ResumeState;
import dev.hogbeam.pipeline.checkpoint.RunIdentity;
import dev.hogbeam.pipeline.options.MigrationOptions;
import dev.hogbeam.pipeline.options.OrderBy;
import dev.hogbeam.pipeline.options.Shuffle;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One planned migration: a source ({@link EventSource}) wired to the shared tail ({@link
 * SendInOrder}) and the migration's {@link Ledger}. Built by a command's factory once every flag
 * was checked and the source was planned; the command line runs it ({@code MigrationCommand}).
 *
 * @param <R> the source's record type
 */
public final class Migration<R> {
  private final EventSource<R> source;
  private final Setup setup;
  private final @Nullable EventCursor runCursor;
  private final @Nullable NextStage next;

  private Migration(
      EventSource<R> source,
      Setup setup,
      @Nullable EventCursor runCursor,
      @Nullable NextStage next) {
    this.source = source;
    this.setup = setup;
    this.runCursor = runCursor;
    this.next = next;
  }

  /**
   * A second migration the command runs, under the same lease, once this one finished every group
   * (e.g. the final person and group state after the events). It has its own checkpoints, in a
   * sub-directory, so a killed stage resumes on its own.
   */
  public interface NextStage {
    /** Plans the stage; called only after this migration finished every group. */
    Migration<?> open() throws Exception;

    /** Once the stage ran: records it in this migration's ledger; lines for the summary. */
    String finished(Migration<?> stage) throws Exception;
  }

  /** This migration followed by {@code next}. */
  public Migration<R> then(NextStage next) {
    return new Migration<>(source, setup, runCursor, next);
  }

  /** The stage to run after this one, or null. */
  public @Nullable NextStage next() {
    return next;
  }

  /**
   * @param runCursor the run's {@code --cursor} in hogbeam's own form, or null
   */
  public static <R> Migration<R> of(
      EventSource<R> source, Setup setup, @Nullable EventCursor runCursor) {
    if (runCursor != null && setup.rules().shiftMicros() != 0) {
      // The writer compares the cursor with the shifted events, the source reads in its own time.
      throw new IllegalArgumentException(
          "--cursor cannot be combined with --shiftTimestamps: resume by running the same"
              + " command again (the checkpoints know where each group stopped)");
    }
    return new Migration<>(source, setup, runCursor, null);
  }

  /**
   * What every migration shares, decided from the common options before its source is planned: the
   * destination, the checkpoint directory (checked to belong to the same kind of run), the ledger
   * of this run, how groups are ordered, what earlier runs finished, and the filters and renames
   * applied to the source's events ({@link EventRules}).
   */
  public record Setup(
      MigrationOptions options,
      Destination destination,
      CheckpointStore store,
      Ledger ledger,
      OrderBy orderBy,
      OrderingKey orderingKey,
      ResumeState resume,
      EventRules rules) {

    /** The run's file in the checkpoint directory: what must not change between runs. */
    public static final String RUN_FILE = "run.json";

    /**
     * Opens {@code checkpointDir} for a run of {@code options} to {@code destination}: refuses a
     * directory that belongs to a run with another destination, order or rules, and reads what
     * earlier runs finished. A trial run ({@code --sample}) reads the directory and writes nothing
     * there ({@link #store(MigrationOptions, String)}).
     */
    public static Setup open(
        MigrationOptions options, Destination destination, String checkpointDir) {
      if (options.getPersonBuckets() <= 0) {
        throw new IllegalArgumentException(
            "--personBuckets must be > 0, but was " + options.getPersonBuckets());
      }
      if (options.getOrderBy() == OrderBy.person && options.getShuffle() == Shuffle.fused) {
        throw new IllegalArgumentException(
            "--shuffle=fused needs --orderBy=day: with --orderBy=person a person's events come"
                + " from every shard and must cross the runner's shuffle. Leave out --shuffle (or"
                + " give --shuffle=groupByKey) with --orderBy=person");
      }
      EventRules rules = RuleFlags.from(options);
      CheckpointStore store = store(options, checkpointDir);
      if (!store.isReadOnly()) {
        checkSameRun(store, identity(options, destination, rules));
      }
      String deadLetterDir =
          options.getDeadLetterDir() != null
              ? options.getDeadLetterDir()
              : store.path("dead-letters");
      Ledger ledger = Ledger.of(store, newRunId(), deadLetterDir);
      OrderBy orderBy = options.getOrderBy();
      OrderingKey key =
          orderBy == OrderBy.person
              ? OrderingKey.person(options.getPersonBuckets())
              : OrderingKey.day();
      return new Setup(
          options,
          destination,
          store,
          ledger,
          orderBy,
          key,
          ResumeState.of(store.readAllGroups()),
          rules);
    }

    /**
     * The checkpoint directory of a run of {@code options}: read-only for a trial run ({@code
     * --sample}), so that planning leaves no file behind.
     */
    public static CheckpointStore store(MigrationOptions options, String checkpointDir) {
      CheckpointStore store = CheckpointStore.at(checkpointDir);
      return options.getSample() != null ? store.readOnly() : store;
    }

    /**
     * The same, without filters and renames: for a stage that sends what the source's events imply
     * rather than the events themselves (the final person state), which the rules do not describe.
     */
    public Setup withoutRules() {
      return new Setup(
          options, destination, store, ledger, orderBy, orderingKey, resume, EventRules.NONE);
    }

    /**
     * This setup with {@code prefix} before the name of every ordering group the engine makes
     * ({@code team5-person-0003}): for the parts of a run over several projects ({@link
     * Migrations}), whose groups then carry their part.
     */
    public Setup withGroupPrefix(String prefix) {
      return new Setup(
          options,
          destination,
          store,
          ledger,
          orderBy,
          orderingKey.prefixed(prefix),
          resume,
          rules);
    }

    /**
     * Whether day order reads, sorts and sends each shard in one step ({@code --shuffle=fused}, the
     * default with {@code --orderBy=day}); the source must also offer it ({@link
     * EventSource#shardFeed}).
     */
    public boolean fused() {
      return orderBy == OrderBy.day && options.getShuffle() != Shuffle.groupByKey;
    }

    /** What must not change between runs sharing checkpoints (the plan covers the source). */
    static Map<String, String> identity(
        MigrationOptions o, Destination destination, EventRules rules) {
      Map<String, String> id = new LinkedHashMap<>();
      id.put("destination", destination.id());
      id.put("orderBy", o.getOrderBy().name());
      if (o.getOrderBy() == OrderBy.person) {
        id.put("personBuckets", Integer.toString(o.getPersonBuckets()));
      }
      if (!rules.isEmpty()) {
        id.put(RULES, rules.describe());
      }
      return id;
    }

    /** The identity's key for the rules (absent without rules, as in runs before they existed). */
    public static final String RULES = "rules";

    /** Saves the identity on the first run; refuses a later run whose identity differs. */
    static void checkSameRun(CheckpointStore store, Map<String, String> identity) {
      String text = store.readText(RUN_FILE);
      if (text == null) {
        store.writeText(RUN_FILE, RunIdentity.toJson(identity));
        return;
      }
      Map<String, String> earlier = RunIdentity.fromJson(text);
      if (!Objects.equals(earlier.get(RULES), identity.get(RULES))) {
        throw new IllegalArgumentException(
            "--checkpointDir="
                + store.directory()
                + " holds the checkpoints of a migration with other filters and renames (then: "
                + earlier.getOrDefault(RULES, "none")
                + "; now: "
                + identity.getOrDefault(RULES, "none")
                + "). What was sent and where each group stopped depend on them: resume with the"
                + " same rules, or give another --checkpointDir for the new ones");
      }
      if (!earlier.equals(identity)) {
        throw new IllegalArgumentException(
            "--checkpointDir="
                + store.directory()
                + " holds the checkpoints of a run with "
                + RunIdentity.differences(earlier, identity)
                + "; give another --checkpointDir, or delete that one to start over");
      }
    }

    /** {@code 20240501T101500.123Z-1a2b}: sortable by start time, unique per run. */
    static String newRunId() {
      return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
              .withZone(ZoneOffset.UTC)
              .format(Instant.now())
          + "-"
          + UUID.randomUUID().toString().substring(0, 4);
    }
  }

  public EventSource<R> source() {
    return source;
  }

  public Setup setup() {
    return setup;
  }

  public Ledger ledger() {
    return setup.ledger();
  }

  public SourcePlan plan() {
    return source.plan();
  }

  /** The plan, the destination, the order and the checkpoints, for the log. */
  public String describe() {
    SourcePlan plan = source.plan();
    StringBuilder sb = new StringBuilder(plan.description());
    sb.append("\n  ").append(setup.destination().describe());
    sb.append("\n  order: ")
        .append(
            setup.orderBy() == OrderBy.day
                ? "each " + plan.dayGroup() + " in time order"
                : "each person in time order, " + setup.options().getPersonBuckets() + " buckets");
    if (setup.orderBy() == OrderBy.day) {
      sb.append(
          setup.fused() && source.shardFeed(context()) != null
              ? "; each read, sorted and sent in one step (--shuffle=fused)"
              : "; through the runner's shuffle (--shuffle=groupByKey)");
    }
    if (!setup.rules().isEmpty()) {
      sb.append("\n  rules: ").append(setup.rules().describe());
    }
    sb.append("\n  checkpoints: ").append(setup.store().directory());
    sb.append(setup.resume().describe());
    if (runCursor != null) {
      sb.append("\n  resuming after cursor ").append(ResumeCursor.format(runCursor));
    }
    return sb.toString();
  }

  private SourceContext context() {
    return SourceContext.of(
        setup.orderBy(),
        setup.orderingKey(),
        ImmutableSortedSet.copyOf(setup.resume().finishedGroups()),
        setup.ledger());
  }

  /** Adds every stage (read, map, skip, order, write, checkpoint, dead letters, account). */
  public void expand(Pipeline p) {
    SourceContext context = context();
    // 1. Plan: made with the source, before the pipeline.
    ShardFeed<?> feed = setup.fused() ? source.shardFeed(context) : null;
    if (feed != null) {
      // 2-4. Read, map, skip, sort and send each shard in one step; dead letters, account.
      p.apply(
          "Read, sort and send",
          new FusedSend<>(
              feed,
              setup.destination().writer(),
              setup.ledger(),
              context.finishedGroups(),
              runCursor,
              SortSettings.defaults(),
              setup.rules()));
      return;
    }
    // 2. Read.
    SourceRead<R> read = p.apply("Read", source.read(context));
    // 3. Map (the rules are applied by the tail, after the source's dead letters are recorded).
    SourceEvents mapped = read.getRecords().apply("Map", source.map(context));
    // 4. Skip, order, send with checkpoints, dead letters, account.
    mapped
        .withDeadLetters(read.getDeadLetters())
        .apply(
            "Send in order",
            SendInOrder.to(setup.destination().writer(), setup.ledger())
                .withRules(setup.rules())
                .skipping(context.finishedGroups())
                .resumingAfter(runCursor));
  }

  /**
   * The printed resume cursor, or null when the source's groups are not known up front. It is in
   * the time of the events as sent: with {@code --shiftTimestamps}, the groups' starts and the
   * range's end move by the same offset as their events (the checkpoints hold sent events).
   */
  public @Nullable String cursor() {
    SourcePlan plan = source.plan();
    if (plan.groupStarts().isEmpty()) {
      return null;
    }
    long shift = setup.rules().shiftMicros();
    Map<String, Long> starts = new LinkedHashMap<>();
    plan.groupStarts().forEach((group, start) -> starts.put(group, start + shift));
    long end =
        plan.rangeEndMicros() == Long.MAX_VALUE ? Long.MAX_VALUE : plan.rangeEndMicros() + shift;
    return ResumeCursor.format(setup.ledger().lowWaterMark(starts, end));
  }
}
