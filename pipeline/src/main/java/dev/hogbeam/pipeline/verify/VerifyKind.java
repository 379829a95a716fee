package dev.hogbeam.pipeline.verify;

import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import java.util.List;

/**
 * What {@code verify} needs of one kind of source ({@code migration.json}'s {@code source}): its
 * counts and uuids ({@link VerifySource}), and a repair run that re-sends given uuids through the
 * normal engine.
 */
interface VerifyKind {

  /**
   * The source side, from the migration's recorded flags merged with those given to verify.
   *
   * @throws IllegalArgumentException naming the flag when something is missing or wrong
   */
  VerifySource open(List<String> args, MigrationCommand.Environment env, CheckpointStore store)
      throws Exception;

  /**
   * Re-sends the events whose uuids {@code missingFile} lists ({@code day, event, uuid} lines) as a
   * migration with its checkpoints in {@code repairDir}; returns that run's exit code.
   */
  int repair(
      List<String> args,
      MigrationCommand.Environment env,
      CheckpointStore store,
      String missingFile,
      String repairDir)
      throws Exception;
}
