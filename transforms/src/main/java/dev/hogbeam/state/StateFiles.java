package dev.hogbeam.state;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Small state files (checkpoints, leases, dead letters) on a local disk or any Beam file system,
 * written so that a kill or a power cut never leaves one unreadable.
 *
 * <p>On a local disk a {@link #replace replacement}:
 *
 * <ol>
 *   <li>writes a temporary file named for this process and attempt ({@code NAME.tmp-PID-UUID}), so
 *       two writers never share one, and forces it to disk;
 *   <li>keeps the current file as {@code NAME.prev} (a hard link: no copy);
 *   <li>renames the temporary file over {@code NAME} and forces the directory.
 * </ol>
 *
 * A reader that finds {@code NAME} missing, empty or unparseable falls back to {@code NAME.prev}
 * ({@link #read(String, Predicate)}), so a torn file costs at most the latest state, which for a
 * checkpoint means re-sending one batch, never losing one.
 *
 * <p>On an object store (gs://, s3://) an object appears whole or not at all, so a replacement is
 * one create; there is nothing to force.
 *
 * <p>Listing fails loudly: a directory that cannot be listed is an error, never "no files".
 */
public final class StateFiles {
  private static final String PID = Long.toString(ProcessHandle.current().pid());

  /** The suffix of the previous generation of a replaced file. */
  public static final String PREVIOUS = ".prev";

  private StateFiles() {}

  /** True for a path on the local disk ({@code /x}, {@code x}, {@code file:///x}). */
  public static boolean isLocal(String path) {
    return !path.contains("://") || path.startsWith("file://");
  }

  static Path localPath(String path) {
    return Path.of(path.startsWith("file://") ? path.substring("file://".length()) : path);
  }

  /** Replaces {@code path} with {@code text}, durably, keeping the previous generation. */
  public static void replace(String path, String text) {
    replace(path, text.getBytes(UTF_8));
  }

  /** Replaces {@code path} with {@code bytes}, durably, keeping the previous generation. */
  public static void replace(String path, byte[] bytes) {
    try {
      if (!isLocal(path)) {
        writeRemote(path, bytes);
        return;
      }
      Path target = localPath(path);
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = writeTemp(target, bytes);
      if (Files.exists(target)) {
        Path prev = target.resolveSibling(target.getFileName() + PREVIOUS);
        Files.deleteIfExists(prev);
        try {
          Files.createLink(prev, target);
        } catch (UnsupportedOperationException | IOException e) {
          Files.copy(target, prev, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates {@code path} with {@code bytes} only if it does not exist yet, durably. Returns false
   * when it exists. On a local disk the check and the create are one step (a hard link of a fully
   * written temporary file, which fails if the name is taken). On an object store it is a check,
   * then a create: see the caller for what that allows.
   */
  public static boolean createNew(String path, byte[] bytes) {
    try {
      if (!isLocal(path)) {
        if (exists(path)) {
          return false;
        }
        writeRemote(path, bytes);
        return true;
      }
      Path target = localPath(path);
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = writeTemp(target, bytes);
      try {
        Files.createLink(target, tmp);
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(tmp);
      }
      forceDirectory(dir);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + path + ": " + e.getMessage(), e);
    }
  }

  /** The text of {@code path}, or null when it does not exist. */
  public static @Nullable String read(String path) {
    byte[] bytes = readBytes(path);
    return bytes == null ? null : new String(bytes, UTF_8);
  }

  /**
   * The text of {@code path} if {@code valid} accepts it, else of its previous generation if that
   * is valid; null when neither exists. A file that exists but is not valid, with no valid previous
   * generation, is an error naming the file.
   */
  public static @Nullable String read(String path, Predicate<String> valid) {
    String current = read(path);
    if (current != null && valid.test(current)) {
      return current;
    }
    String previous = isLocal(path) ? read(path + PREVIOUS) : null;
    if (previous != null && valid.test(previous)) {
      return previous;
    }
    if (current == null && previous == null) {
      return null;
    }
    throw new IllegalStateException(
        path
            + " is unreadable ("
            + (current == null ? "missing" : current.isEmpty() ? "empty" : "not valid")
            + ") and has no readable previous generation");
  }

  /** The bytes of {@code path}, or null when it does not exist. */
  public static byte @Nullable [] readBytes(String path) {
    try {
      if (isLocal(path)) {
        return Files.readAllBytes(localPath(path));
      }
      ResourceId id = FileSystems.matchSingleFileSpec(path).resourceId();
      try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
        return in.readAllBytes();
      }
    } catch (NoSuchFileException | FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** The size of {@code path} in bytes, or -1 when it does not exist. */
  public static long size(String path) {
    try {
      if (isLocal(path)) {
        Path p = localPath(path);
        return Files.exists(p) ? Files.size(p) : -1;
      }
      MatchResult m = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty()
          ? m.metadata().get(0).sizeBytes()
          : -1;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look up " + path + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code path} exists. */
  public static boolean exists(String path) {
    if (isLocal(path)) {
      return Files.exists(localPath(path));
    }
    try {
      MatchResult m = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look up " + path + ": " + e.getMessage(), e);
    }
  }

  /** Deletes {@code path} (and its previous generation) if it exists. */
  public static void delete(String path) {
    try {
      if (isLocal(path)) {
        Files.deleteIfExists(localPath(path));
        Files.deleteIfExists(localPath(path + PREVIOUS));
        return;
      }
      if (exists(path)) {
        FileSystems.delete(List.of(FileSystems.matchNewResource(path, false)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The files matching {@code glob}, sorted; none when the directory does not exist. A listing that
   * fails for any other reason throws: "cannot list" must never read as "nothing there".
   */
  public static List<String> list(String glob) {
    List<String> out = new ArrayList<>();
    if (isLocal(glob) && !Files.isDirectory(localPath(glob).toAbsolutePath().getParent())) {
      return out;
    }
    try {
      MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK && m.status() != MatchResult.Status.NOT_FOUND) {
        throw new IOException("listing status " + m.status());
      }
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata md : m.metadata()) {
          out.add(md.resourceId().toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + glob + ": " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }

  private static Path writeTemp(Path target, byte[] bytes) throws IOException {
    Path tmp =
        target.resolveSibling(target.getFileName() + ".tmp-" + PID + "-" + UUID.randomUUID());
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    return tmp;
  }

  /** Makes a rename or link in {@code dir} durable (Linux and macOS allow opening a directory). */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory; the rename itself is still atomic there.
    }
  }

  private static void writeRemote(String path, byte[] bytes) throws IOException {
    ResourceId id = FileSystems.matchNewResource(path, false);
    // The stream closes the channel, once: Beam's S3 channel completes its upload on close and
    // fails on a second close (it sends another part to the finished upload).
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(id, MimeTypes.BINARY))) {
      out.write(bytes);
    }
  }
}
