package dev.hogbeam.pipeline.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
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
 * <p>Local files are replaced atomically (write a temporary file, then rename), so a killed process
 * leaves either the old or the new state, never a torn one. On object stores (gs://, s3://) a
 * create is atomic per object. Nothing is fsynced: a killed process loses nothing, a power cut may
 * lose the last states, which costs re-sending, never losing.
 */
public final class CheckpointStore implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final String directory;

  private CheckpointStore(String directory) {
    this.directory =
        directory.endsWith("/") ? directory.substring(0, directory.length() - 1) : directory;
  }

  public static CheckpointStore at(String directory) {
    return new CheckpointStore(directory);
  }

  public String directory() {
    return directory;
  }

  public String path(String relative) {
    return directory + "/" + relative;
  }

  public @Nullable GroupCheckpoint readGroup(String group) {
    String text = read(groupFile(group));
    return text == null ? null : GroupCheckpoint.fromJson(text);
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
        GroupCheckpoint g = GroupCheckpoint.fromJson(text);
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

  private String groupFile(String group) {
    if (!SAFE_KEY.matcher(group).matches()) {
      throw new IllegalArgumentException("group key is not usable as a file name: " + group);
    }
    return path("groups/" + group + ".json");
  }

  private static boolean isLocal(String path) {
    return !path.contains("://") || path.startsWith("file://");
  }

  private static Path localPath(String path) {
    return Path.of(path.startsWith("file://") ? path.substring("file://".length()) : path);
  }

  private static @Nullable String read(String path) {
    try {
      if (isLocal(path)) {
        return Files.readString(localPath(path), UTF_8);
      }
      ResourceId id = FileSystems.matchSingleFileSpec(path).resourceId();
      try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
        return new String(in.readAllBytes(), UTF_8);
      }
    } catch (NoSuchFileException | FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + path, e);
    }
  }

  private static void write(String path, String text) {
    try {
      if (isLocal(path)) {
        Path target = localPath(path);
        Files.createDirectories(target.getParent());
        Path tmp =
            target.resolveSibling(target.getFileName() + ".tmp-" + Thread.currentThread().getId());
        Files.writeString(tmp, text, UTF_8);
        try {
          Files.move(
              tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return;
      }
      ResourceId id = FileSystems.matchNewResource(path, false);
      try (WritableByteChannel ch = FileSystems.create(id, MimeTypes.TEXT);
          OutputStream out = Channels.newOutputStream(ch)) {
        out.write(text.getBytes(UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + path, e);
    }
  }

  private static List<String> list(String glob) {
    List<String> out = new ArrayList<>();
    try {
      MatchResult m = FileSystems.match(glob);
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata md : m.metadata()) {
          out.add(md.resourceId().toString());
        }
      }
    } catch (FileNotFoundException e) {
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints " + glob, e);
    }
    return out;
  }
}
