package dev.hogbeam.capture;

import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The writer's resume and checkpoint hook: the pipeline's checkpoint store implements it.
 *
 * <h2>Contract</h2>
 *
 * For each group (one input element of {@link CaptureIO.Write}) the writer calls, in this order and
 * all from the one thread that processes that group:
 *
 * <ol>
 *   <li>{@link #resumeAfter} once, before anything of the group is sent. Events that are not {@link
 *       EventOrder#isAfter after} the returned cursor are skipped (not sent, not checked, counted
 *       in {@link GroupSendStats#skippedAlreadySent()}). Null: send everything.
 *   <li>{@link #sending} once per batch, before its first request.
 *   <li>{@link #acknowledged} once per batch, in send order, after every event of the batch was
 *       acknowledged by PostHog (2xx) or dead-lettered (refused with 400/413), and BEFORE the next
 *       batch of the group is sent. {@code lastInBatch} is the cursor of the batch's last event in
 *       send order: every event of the group up to and including it is settled, so storing it
 *       durably and returning it from {@link #resumeAfter} on a re-run re-sends nothing that was
 *       acknowledged. A crash between a batch's acknowledgement by PostHog and this call re-sends
 *       that one batch on resume, which PostHog de-duplicates by uuid. The dead letters of the
 *       batch have been handed to the writer's output before this call; they become durable when
 *       the runner commits the bundle.
 *   <li>{@link #finished} once, after the last batch, with the group's totals. Not called when the
 *       group fails.
 * </ol>
 *
 * Different groups are processed concurrently by different threads (and processes), so an
 * implementation must be safe for concurrent calls with different group keys. Each deserialized
 * copy of the writer has its own copy of this object: keep state in a durable store (or in static,
 * JVM-wide structures), not in fields.
 *
 * <p>An exception thrown by any method fails the processing of the group: nothing more of the group
 * is sent and the runner retries the bundle (the DirectRunner fails the pipeline). The retry calls
 * {@link #resumeAfter} again, so batches already acknowledged are not re-sent.
 *
 * <p>Dry runs and the files transport call these methods too: "acknowledged" then means "counted"
 * or "written".
 */
public interface SendProgress extends Serializable {

  /**
   * Where {@code groupKey} was left by an earlier run: the cursor of its last settled event, or
   * null to send the whole group.
   */
  @Nullable EventCursor resumeAfter(String groupKey) throws Exception;

  /**
   * A batch of {@code groupKey} is about to be sent for the first time: {@code first} and {@code
   * last} are its first and last events in send order. Called once per batch, before its first
   * request, so a store can tell after a crash which events were in flight (a re-run re-sends them
   * and may duplicate them). The default does nothing.
   */
  default void sending(String groupKey, EventCursor first, EventCursor last, int events)
      throws Exception {}

  /**
   * A batch of {@code groupKey} is settled; {@code lastInBatch} is its last event's position.
   * Returns before the next batch is sent; keep it quick (it is on the send path).
   */
  void acknowledged(String groupKey, EventCursor lastInBatch, BatchStats batch) throws Exception;

  /** Every event of {@code groupKey} is settled. */
  void finished(String groupKey, GroupSendStats stats) throws Exception;

  /** Sends every group whole and records nothing. */
  static SendProgress none() {
    return NoProgress.INSTANCE;
  }

  /** The no-op implementation. */
  enum NoProgress implements SendProgress {
    INSTANCE;

    @Override
    public @Nullable EventCursor resumeAfter(String groupKey) {
      return null;
    }

    @Override
    public void acknowledged(String groupKey, EventCursor lastInBatch, BatchStats batch) {}

    @Override
    public void finished(String groupKey, GroupSendStats stats) {}
  }
}
