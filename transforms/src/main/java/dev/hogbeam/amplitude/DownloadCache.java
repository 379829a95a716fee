package dev.hogbeam.amplitude;

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
 * Export API downloads kept in a directory on any Beam FileSystem, so a resumed run does not
 * download an hour again: {@code <hour>.zip} for an hour with data, an empty {@code <hour>.empty}
 * for an hour the API answered 404. Each file is written under a temporary name and renamed into
 * place, so a download killed half-way never looks complete. One directory per Amplitude project.
 */
final class DownloadCache {
  private final ResourceId dir;

  DownloadCache(String directory) {
    this.dir = FileSystems.matchNewResource(directory, true);
  }

  /** What the cache knows about an hour. */
  enum State {
    MISSING,
    EMPTY,
    ZIP
  }

  State lookup(String hour) throws IOException {
    if (exists(zip(hour))) {
      return State.ZIP;
    }
    return exists(empty(hour)) ? State.EMPTY : State.MISSING;
  }

  /** The cached zip of an hour (only after {@link #lookup} said {@link State#ZIP}). */
  ResourceId zip(String hour) {
    return dir.resolve(hour + ".zip", StandardResolveOptions.RESOLVE_FILE);
  }

  private ResourceId empty(String hour) {
    return dir.resolve(hour + ".empty", StandardResolveOptions.RESOLVE_FILE);
  }

  /** Copies a downloaded zip into the cache. */
  void storeZip(String hour, Path localZip) throws IOException {
    try (InputStream in = Files.newInputStream(localZip)) {
      store(zip(hour), in);
    }
  }

  /** Records that an hour has no data. */
  void storeEmpty(String hour) throws IOException {
    store(empty(hour), InputStream.nullInputStream());
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

  static @Nullable DownloadCache of(@Nullable String directory) {
    return directory == null ? null : new DownloadCache(directory);
  }
}
