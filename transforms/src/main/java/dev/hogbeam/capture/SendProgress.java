package dev.hogbeam.capture;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.io.Serializable;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The writer's resume and checkpoint hook: the pipeline's checkpoint ledger implements it.
 *
 * <h2>Contract</h2>
 *
 * For each group (one input element of {@link CaptureIO.Write}) the writer calls {@link #open}
 * once, before anything of the group is sent, and then, in this order and all from the one thread
 * that processes that group, the methods of the {@link Group} it returned:
 *
 * <ol>
 *   <li>{@link Group#resumeAfter} once. Events that are not {@link EventOrder#isAfter after} the
 *       returned cursor are skipped (not sent, not checked, counted in {@link
 *       GroupSendStats#skippedAlreadySent()}). Null: send everything.
 *   <li>{@link Group#sending} once per batch, before its first request.
 *   <li>{@link Group#acknowledged} once per batch, in send order, after every event of the batch
 *       was acknowledged by PostHog (2xx) or dead-lettered (refused with 400/413), and BEFORE the
 *       next batch of the group is sent. {@code lastInBatch} is the cursor of the batch's last
 *       event in send order: every event of the group up to and including it is settled, so storing
 *       it durably and returning it from {@link Group#resumeAfter} on a re-run re-sends nothing
 *       that was acknowledged. A crash between a batch's acknowledgement by PostHog and this call
 *       re-sends that one batch on resume, which PostHog de-duplicates by uuid.
 *   <li>{@link Group#finished} once, after the last batch, with the group's totals. Not called when
 *       the group fails.
 * </ol>
 *
 * The {@link Group} belongs to one group and one thread: it may keep the group's state in fields,
 * read once in {@link #open}. Different groups are processed concurrently by different threads (and
 * processes), so {@link #open} must be safe for concurrent calls with different group keys.
 *
 * <p>An exception thrown by any method fails the processing of the group: nothing more of the group
 * is sent and the runner retries the bundle (the DirectRunner fails the pipeline). The retry opens
 * the group again, so batches already acknowledged are not re-sent.
 *
 * <p>Dry runs and the files transport call these methods too: "acknowledged" then means "counted"
 * or "written".
 */
public interface SendProgress extends Serializable {

  /** Starts sending {@code groupKey}: reads where an earlier run left it. */
  Group open(String groupKey) throws Exception;

  /** The progress of one group; see the contract above. */
  interface Group {
    /** The cursor of the group's last settled event of an earlier run, or null for none. */
    @Nullable EventCursor resumeAfter();

    /**
     * A batch is about to be sent for the first time: {@code first} and {@code last} are its first
     * and last events in send order. A store can then tell after a crash which events were in
     * flight (a re-run re-sends them and may duplicate them). The default does nothing.
     */
    default void sending(EventCursor first, EventCursor last, int events) throws Exception {}

    /**
     * A batch is settled; {@code lastInBatch} is its last event's position, {@code soFar} what this
     * attempt at the group did up to and including the batch. Returns before the next batch is
     * sent; keep it quick (it is on the send path).
     */
    void acknowledged(EventCursor lastInBatch, BatchStats batch, GroupSendStats soFar)
        throws Exception;

    /**
     * Events of the group were dead-lettered (refused by PostHog, or never sendable). Called before
     * the {@link #acknowledged} or {@link #finished} that settles them, and whenever many have
     * gathered: an implementation that records them durably here guarantees that no checkpoint
     * moves past a refused event whose record could be lost. The default does nothing.
     */
    default void deadLettered(List<DeadLetter> letters) throws Exception {}

    /** Every event of the group is settled. */
    void finished(GroupSendStats stats) throws Exception;
  }

  /** Sends every group whole and records nothing. */
  static SendProgress none() {
    return NoProgress.INSTANCE;
  }

  /** The no-op implementation. */
  enum NoProgress implements SendProgress, Group {
    INSTANCE;

    @Override
    public Group open(String groupKey) {
      return this;
    }

    @Override
    public @Nullable EventCursor resumeAfter() {
      return null;
    }

    @Override
    public void acknowledged(EventCursor lastInBatch, BatchStats batch, GroupSendStats soFar) {}

    @Override
    public void finished(GroupSendStats stats) {}
  }
}
