package dev.hogbeam.pipeline.checkpoint;

/**
 * A migration's plan as text, saved as {@code plan.json} in its checkpoint directory by the first
 * run and compared by every later one, so a re-run on the same directory means the same migration.
 * For sources whose plan compares as a whole (JDBC, Mixpanel); Amplitude names each difference.
 */
public final class SavedPlan {
  /** The plan's file name in the checkpoint directory. */
  public static final String FILE = "plan.json";

  private SavedPlan() {}

  /**
   * Saves {@code planText} when the directory holds no plan yet; refuses, naming the directory and
   * its plan, when it holds another one.
   */
  public static void checkOrSave(CheckpointStore store, String planText) {
    store.saveOrCheckPlan(FILE, planText, saved -> " (its plan.json: " + saved + ")");
  }
}
