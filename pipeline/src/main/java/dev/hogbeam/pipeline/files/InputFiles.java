package dev.hogbeam.pipeline.files;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * The files a {@code --inputFiles} pattern matches when a migration is planned, on any Beam file
 * system (local, {@code gs://}, {@code s3://}): what a file source's plan lists and a re-run
 * checks.
 */
public final class InputFiles {
  private InputFiles() {}

  /** One matched file: its full path and its size in bytes. */
  public record Matched(String path, long bytes) {}

  /**
   * The files {@code pattern} matches now, in name order, directories left out.
   *
   * @throws IllegalArgumentException naming {@code --flag} when it matches no file
   */
  public static List<Matched> match(String flag, String pattern) throws IOException {
    MatchResult m;
    try {
      m = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW);
    } catch (FileNotFoundException e) {
      m = null;
    }
    List<Matched> files = new ArrayList<>();
    if (m != null && m.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata md : m.metadata()) {
        if (!md.resourceId().isDirectory()) {
          files.add(new Matched(md.resourceId().toString(), md.sizeBytes()));
        }
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("--" + flag + "='" + pattern + "' matches no file");
    }
    files.sort(Comparator.comparing(Matched::path));
    return files;
  }
}
