package dev.hogbeam.pipeline.checkpoint;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the checkpoints of earlier runs mean for this one: the groups already finished (not sent
 * again) and the events that were in flight when a run was killed (re-sent, possibly duplicated).
 */
public final class ResumeState {
  private final Set<String> finishedGroups;
  private final long possiblyResent;

  private ResumeState(Set<String> finishedGroups, long possiblyResent) {
    this.finishedGroups = Collections.unmodifiableSet(finishedGroups);
    this.possiblyResent = possiblyResent;
  }

  /** From every group checkpoint of a directory ({@link CheckpointStore#readAllGroups()}). */
  public static ResumeState of(Map<String, GroupCheckpoint> checkpoints) {
    Set<String> finished = new TreeSet<>();
    long inFlight = 0;
    for (GroupCheckpoint g : checkpoints.values()) {
      if (g.done()) {
        finished.add(g.group());
      } else if (g.inFlight() != null) {
        inFlight += g.inFlight().events();
      }
    }
    return new ResumeState(finished, inFlight);
  }

  /** Groups an earlier run finished. */
  public Set<String> finishedGroups() {
    return finishedGroups;
  }

  /** Events of unfinished groups that were in flight when the last run stopped. */
  public long possiblyResent() {
    return possiblyResent;
  }

  /** {@code " (resuming: 3 group(s) finished earlier, 5 event(s) were in flight ...)"} or "". */
  public String describe() {
    if (finishedGroups.isEmpty() && possiblyResent == 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder(" (resuming: ");
    sb.append(finishedGroups.size()).append(" group(s) finished earlier");
    if (possiblyResent > 0) {
      sb.append(", ").append(possiblyResent).append(" event(s) were in flight and will be re-sent");
    }
    return sb.append(')').toString();
  }
}
