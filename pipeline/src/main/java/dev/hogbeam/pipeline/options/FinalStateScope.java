package dev.hogbeam.pipeline.options;

/** Which persons or groups the final-state stage sends ({@code --persons}, {@code --groups}). */
public enum FinalStateScope {
  /** Those that occur in the migrated range's events. */
  seen,
  /** Every one of the team. */
  all,
  /** None: the stage sends nothing of this kind. */
  none
}
