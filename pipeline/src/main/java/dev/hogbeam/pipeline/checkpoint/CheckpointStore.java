package dev.hogbeam.pipeline.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.state.StateFiles;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A checkpoint directory: small JSON documents on a local disk or any Beam file system.
 *
 * <pre>
 *   run.json             what the run migrates (source, range, order); a re-run must match it
 *   groups/KEY.json      one {@link GroupCheckpoint} per send group, rewritten after every batch
 *   report.json          the account
 * </pre>
 *
 * <p>Every file is written through {@link StateFiles}: on a local disk a durable temporary file
 * renamed over the old one, whose previous generation is kept and read when the current one is torn
 * or empty; on object stores (gs://, s3://) one atomic create. A listing that fails is an error.
 */
public final class CheckpointStore implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String directory;

  /** Writes kept in memory instead of the directory ({@link #readOnly()}), by path; else null. */
  private final @Nullable Map<String, String> unsaved;

  private CheckpointStore(String directory, @Nullable Map<String, String> unsaved) {
    this.directory =
        directory.endsWith("/") ? directory.substring(0, directory.length() - 1) : directory;
    this.unsaved = unsaved;
  }

  public static CheckpointStore at(String directory) {
    return new CheckpointStore(directory, null);
  }

  /**
   * The same directory, never written: what would be written is kept in memory and read back from
   * there (a trial run, {@code --sample}, plans as a run does without leaving a file behind).
   */
  public CheckpointStore readOnly() {
    return new CheckpointStore(directory, new java.util.concurrent.ConcurrentHashMap<>());
  }

  /** Whether writes stay in memory ({@link #readOnly()}). */
  public boolean isReadOnly() {
    return unsaved != null;
  }

  public String directory() {
    return directory;
  }

  public String path(String relative) {
    return directory + "/" + relative;
  }

  public @Nullable GroupCheckpoint readGroup(String group) {
    String file = groupFile(group);
    String text = read(file);
    return text == null ? null : groupOf(file, text, group);
  }

  /**
   * The checkpoint in {@code text}, read as untrusted input: a file whose content is not a valid
   * checkpoint of its own group is refused, naming the file.
   */
  private static GroupCheckpoint groupOf(String file, String text, @Nullable String group) {
    GroupCheckpoint g;
    try {
      g = GroupCheckpoint.fromJson(text);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(file + ": " + e.getMessage(), e);
    }
    String name = file.substring(file.lastIndexOf('/') + 1);
    if (!SAFE_KEY.matcher(g.group()).matches()
        || !name.equals(g.group() + ".json")
        || (group != null && !group.equals(g.group()))) {
      throw new IllegalStateException(
          file + ": holds the checkpoint of another group; the checkpoint directory was altered");
    }
    return g;
  }

  public void writeGroup(GroupCheckpoint state) {
    write(groupFile(state.group()), state.toJson());
  }

  /** Every group checkpoint in the directory, by group key. */
  public Map<String, GroupCheckpoint> readAllGroups() {
    Map<String, GroupCheckpoint> out = new TreeMap<>();
    for (String file : list(path("groups/*.json"))) {
      String text = read(file);
      if (text != null) {
        GroupCheckpoint g = groupOf(file, text, null);
        out.put(g.group(), g);
      }
    }
    return out;
  }

  /** The contents of every file matching {@code relativeGlob} (e.g. {@code shards/*.json}). */
  public List<String> readAll(String relativeGlob) {
    List<String> out = new ArrayList<>();
    for (String file : list(path(relativeGlob))) {
      String text = read(file);
      if (text != null) {
        out.add(text);
      }
    }
    return out;
  }

  public @Nullable String readText(String relative) {
    return read(path(relative));
  }

  public void writeText(String relative, String text) {
    write(path(relative), text);
  }

  /**
   * Saves a migration's plan as {@code relative} the first time; on a later run refuses a plan
   * whose text differs, so that one checkpoint directory always means one migration.
   *
   * @param difference what differs, for the message, given the saved plan's text
   * @throws IllegalArgumentException naming {@code --checkpointDir} and the difference
   */
  public void saveOrCheckPlan(
      String relative, String plan, java.util.function.Function<String, String> difference) {
    String saved = readText(relative);
    if (saved == null) {
      writeText(relative, plan);
    } else if (!saved.strip().equals(plan.strip())) {
      throw new IllegalArgumentException(
          "--checkpointDir="
              + directory
              + " holds the checkpoints of a different migration"
              + difference.apply(saved.strip())
              + "; give another --checkpointDir, or delete that one to start over");
    }
  }

  private String groupFile(String group) {
    if (!SAFE_KEY.matcher(group).matches()) {
      throw new IllegalArgumentException("group key is not usable as a file name: " + group);
    }
    return path("groups/" + group + ".json");
  }

  /**
   * The most a state file of the checkpoint directory may hold: a checkpoint is a few hundred
   * bytes, a plan a few MiB at most (its own limit is checked when it is read).
   */
  static final long MAX_FILE_BYTES = 64L * 1024 * 1024;

  private @Nullable String read(String path) {
    if (unsaved != null && unsaved.containsKey(path)) {
      return unsaved.get(path);
    }
    long size = StateFiles.size(path);
    if (size > MAX_FILE_BYTES) {
      throw new IllegalStateException(
          path
              + " is "
              + size
              + " bytes, more than a checkpoint file can hold ("
              + MAX_FILE_BYTES
              + "); the checkpoint directory was altered");
    }
    return StateFiles.read(path, CheckpointStore::isJson);
  }

  private void write(String path, String text) {
    if (unsaved != null) {
      unsaved.put(path, text);
      return;
    }
    StateFiles.replace(path, text);
  }

  private static List<String> list(String glob) {
    return StateFiles.list(glob);
  }

  /** A torn or empty file is not JSON; the previous generation is read instead. */
  private static boolean isJson(String text) {
    if (text.isBlank()) {
      return false;
    }
    try {
      JSON.readTree(text);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
