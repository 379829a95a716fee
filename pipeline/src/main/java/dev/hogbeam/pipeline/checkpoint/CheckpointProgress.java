package dev.hogbeam.pipeline.checkpoint;

import dev.hogbeam.capture.BatchStats;
import dev.hogbeam.capture.GroupSendStats;
import dev.hogbeam.capture.SendProgress;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The checkpoint stage: keeps each send group's {@link GroupCheckpoint} in a {@link
 * CheckpointStore} as the writer goes, and tells the writer where a group resumes.
 *
 * <p>Per batch it writes twice: before the first request (the batch is in flight) and after the
 * batch is settled (the group's cursor moves past it). A process killed at any point therefore
 * leaves a state from which a re-run re-sends at most the one batch that was in flight, and knows
 * how many events that was.
 *
 * <p>A group resumes after the later of its own cursor and the run's {@code --cursor}, if any. A
 * finished group resumes after everything (the pipeline normally does not even read it).
 */
public final class CheckpointProgress implements SendProgress {
  private static final long serialVersionUID = 1L;
  private static final EventCursor AFTER_EVERYTHING =
      EventCursor.of(Long.MAX_VALUE, GlobalCursor.MAX_UUID);

  /** The state of the groups this process is sending, by store directory and group key. */
  private static final ConcurrentMap<String, GroupCheckpoint> SENDING = new ConcurrentHashMap<>();

  private final CheckpointStore store;
  private final @Nullable EventCursor runCursor;

  private CheckpointProgress(CheckpointStore store, @Nullable EventCursor runCursor) {
    this.store = store;
    this.runCursor = runCursor;
  }

  /**
   * @param runCursor the run's {@code --cursor} (hogbeam's own form), or null
   */
  public static CheckpointProgress to(CheckpointStore store, @Nullable EventCursor runCursor) {
    return new CheckpointProgress(store, runCursor);
  }

  private String id(String group) {
    return store.directory() + "\n" + group;
  }

  @Override
  public @Nullable EventCursor resumeAfter(String group) {
    GroupCheckpoint stored = store.readGroup(group);
    GroupCheckpoint state = stored == null ? GroupCheckpoint.start(group) : stored;
    SENDING.put(id(group), state);
    if (state.done()) {
      return AFTER_EVERYTHING;
    }
    return later(state.acknowledged(), runCursor);
  }

  @Override
  public void sending(String group, EventCursor first, EventCursor last, int events) {
    GroupCheckpoint next = current(group).sending(first, last, events);
    store.writeGroup(next);
    SENDING.put(id(group), next);
  }

  @Override
  public void acknowledged(String group, EventCursor lastInBatch, BatchStats batch) {
    GroupCheckpoint next =
        current(group).acknowledged(lastInBatch, batch.events() - batch.deadLettered());
    store.writeGroup(next);
    SENDING.put(id(group), next);
  }

  @Override
  public void finished(String group, GroupSendStats stats) {
    store.writeGroup(current(group).finished());
    SENDING.remove(id(group));
  }

  private GroupCheckpoint current(String group) {
    GroupCheckpoint state = SENDING.get(id(group));
    if (state == null) {
      throw new IllegalStateException("group " + group + " was not started with resumeAfter");
    }
    return state;
  }

  static @Nullable EventCursor later(@Nullable EventCursor a, @Nullable EventCursor b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return EventOrder.compare(a.timestampMicros(), a.uuid(), b.timestampMicros(), b.uuid()) >= 0
        ? a
        : b;
  }
}
