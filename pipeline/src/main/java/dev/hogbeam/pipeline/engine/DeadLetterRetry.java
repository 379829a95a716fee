package dev.hogbeam.pipeline.engine;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.ResumeState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code --retryDeadLetters}: re-sends the dead letters on record of a migration, after the user
 * fixed their cause (PostHog's settings, a proxy, or the payload in the file itself), and takes the
 * delivered ones off the record.
 *
 * <ol>
 *   <li>{@link #of}: reads every dead letter on record (all runs) and keeps those that can be
 *       re-sent ({@link RetryDeadLetters#retryable}).
 *   <li>{@link #migration()} runs them through the normal tail, checkpointed in {@code
 *       <checkpointDir>/retries/<run>}; refusals are dead-lettered again under this run's name.
 *   <li>{@link #settle()} after a successful run: every retried record that this run did not refuse
 *       again is removed from the dead-letter files. A killed retry removes nothing, so the next
 *       one re-sends them (PostHog merges the repeats by uuid).
 * </ol>
 */
public final class DeadLetterRetry {
  private final Migration<?> original;
  private final Migration<DeadLetter> migration;
  private final List<DeadLetter> retried;
  private final List<DeadLetter> notRetryable;

  private DeadLetterRetry(
      Migration<?> original,
      Migration<DeadLetter> migration,
      List<DeadLetter> retried,
      List<DeadLetter> notRetryable) {
    this.original = original;
    this.migration = migration;
    this.retried = retried;
    this.notRetryable = notRetryable;
  }

  /** Prepares the retry of {@code original}'s dead letters on record. */
  public static DeadLetterRetry of(Migration<?> original) {
    // Read and map dead letters become events again through the migration's rules; capture
    // dead letters hold the event as it was sent (the rules already applied), so the retry's own
    // setup has none.
    EventSource.Remapper remapper =
        withRules(original.source().remapper(), original.setup().rules());
    List<DeadLetter> retried = new ArrayList<>();
    List<DeadLetter> notRetryable = new ArrayList<>();
    for (DeadLetter d : original.ledger().deadLetters()) {
      (RetryDeadLetters.retryable(d, remapper) ? retried : notRetryable).add(d);
    }
    Migration.Setup setup = original.setup();
    Ledger ledger = original.ledger();
    CheckpointStore store = CheckpointStore.at(setup.store().path("retries/" + ledger.runId()));
    Migration.Setup retrySetup =
        new Migration.Setup(
            setup.options(),
            setup.destination(),
            store,
            Ledger.of(store, ledger.runId(), ledger.deadLetterDir()),
            setup.orderBy(),
            setup.orderingKey(),
            ResumeState.of(Map.of()),
            EventRules.NONE);
    return new DeadLetterRetry(
        original,
        Migration.of(new RetryDeadLetters(retried, remapper), retrySetup, null),
        retried,
        notRetryable);
  }

  /**
   * {@code remapper}'s events seen through {@code rules}; an event they drop settles its letter.
   */
  static EventSource.@Nullable Remapper withRules(
      EventSource.@Nullable Remapper remapper, EventRules rules) {
    if (remapper == null || rules.isEmpty()) {
      return remapper;
    }
    return letter -> {
      EventSource.Remapped r = remapper.apply(letter);
      if (r.event() == null) {
        return r;
      }
      return new EventSource.Remapped(rules.apply(r.event(), new EventRules.Tally()), null);
    };
  }

  /** The migration that re-sends them. */
  public Migration<DeadLetter> migration() {
    return migration;
  }

  /** The migration whose dead letters these are. */
  public Migration<?> original() {
    return original;
  }

  /** Whether there is anything to re-send. */
  public boolean isEmpty() {
    return retried.isEmpty();
  }

  /**
   * After a successful run: takes every retried record this run did not refuse again off the
   * record, and says what happened.
   */
  public Outcome settle() {
    Set<String> refusedIds = new HashSet<>();
    Set<String> refusedUuids = new HashSet<>();
    for (DeadLetter d : migration.ledger().deadLettersOfThisRun()) {
      refusedIds.add(d.id());
      if (d.uuid() != null) {
        refusedUuids.add(d.uuid());
      }
    }
    Set<String> settled = new HashSet<>();
    for (DeadLetter d : retried) {
      if (!refusedIds.contains(d.id()) && (d.uuid() == null || !refusedUuids.contains(d.uuid()))) {
        settled.add(d.id());
      }
    }
    Ledger ledger = original.ledger();
    DeadLetterIO.forget(ledger.deadLetterDir(), Ledger.DEAD_LETTER_FILES, settled);
    return new Outcome(
        retried.size(), settled.size(), retried.size() - settled.size(), notRetryable.size());
  }

  /** What a retry did with the dead letters on record. */
  public record Outcome(int retried, int settled, int refusedAgain, int notRetryable) {
    /** For the printed summary. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "  retried:   %,d dead letter(s): %,d delivered and taken off the record, %,d refused"
              + " again%s%n",
          retried,
          settled,
          refusedAgain,
          notRetryable == 0
              ? ""
              : String.format(
                  Locale.ROOT, ", %,d cannot be re-sent by this source (kept)", notRetryable));
    }
  }
}
