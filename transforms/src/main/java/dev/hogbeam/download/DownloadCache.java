package dev.hogbeam.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Export API downloads staged in a directory on any Beam FileSystem, so a resumed run reads the
 * very bytes the killed run read and never downloads a range again (export APIs do not return the
 * same bytes twice: order, late data and compaction change): {@code <range><suffix>} for a range
 * with data (e.g. {@code 20240501T13.zip}, {@code 2024-05-01.jsonl}), an empty {@code
 * <range>.empty} for a range the API said has none. Each file is written under a temporary name and
 * renamed into place, so a download killed half-way never looks complete. One directory per source
 * project.
 */
public final class DownloadCache {
  private final ResourceId dir;
  private final String suffix;

  private DownloadCache(String directory, String suffix) {
    this.dir = FileSystems.matchNewResource(directory, true);
    this.suffix = suffix;
  }

  /** What the cache knows about a range. */
  public enum State {
    MISSING,
    EMPTY,
    DATA
  }

  public State lookup(String range) throws IOException {
    if (exists(data(range))) {
      return State.DATA;
    }
    return exists(empty(range)) ? State.EMPTY : State.MISSING;
  }

  /** The staged data of a range (only after {@link #lookup} said {@link State#DATA}). */
  public ResourceId data(String range) {
    return dir.resolve(range + suffix, StandardResolveOptions.RESOLVE_FILE);
  }

  private ResourceId empty(String range) {
    return dir.resolve(range + ".empty", StandardResolveOptions.RESOLVE_FILE);
  }

  /** Copies a downloaded file into the cache. */
  public void storeData(String range, Path local) throws IOException {
    try (InputStream in = Files.newInputStream(local)) {
      store(data(range), in);
    }
  }

  /** Records that a range has no data. */
  public void storeEmpty(String range) throws IOException {
    store(empty(range), InputStream.nullInputStream());
  }

  /** Records that {@code step} is done (e.g. a staged range was split), for later runs to see. */
  public void mark(String step) throws IOException {
    store(
        dir.resolve(step + ".done", StandardResolveOptions.RESOLVE_FILE),
        InputStream.nullInputStream());
  }

  /** Whether {@link #mark} recorded {@code step}. */
  public boolean marked(String step) throws IOException {
    return exists(dir.resolve(step + ".done", StandardResolveOptions.RESOLVE_FILE));
  }

  private void store(ResourceId target, InputStream content) throws IOException {
    ResourceId tmp =
        dir.resolve(
            ".tmp-" + target.getFilename() + "-" + UUID.randomUUID(),
            StandardResolveOptions.RESOLVE_FILE);
    // Closed once, by the stream (Beam's S3 channel fails on a second close).
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(tmp, MimeTypes.BINARY))) {
      content.transferTo(out);
    }
    FileSystems.rename(List.of(tmp), List.of(target));
  }

  private static boolean exists(ResourceId r) throws IOException {
    MatchResult m = FileSystems.matchResources(List.of(r)).get(0);
    return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty();
  }

  @Override
  public String toString() {
    return "DownloadCache{" + dir + "}";
  }

  /**
   * The cache in {@code directory} whose data files end in {@code suffix}, or null when there is no
   * directory.
   */
  public static @Nullable DownloadCache of(@Nullable String directory, String suffix) {
    return directory == null ? null : new DownloadCache(directory, suffix);
  }
}
