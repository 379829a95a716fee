package dev.hogbeam.event;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Dead letters of any stage as JSON-lines files ({@link DeadLetter#toJsonLine()}, one per line) in
 * a directory on any Beam FileSystem: {@code <directory>/dead-letters-<run start,
 * UTC>-SSSSS-of-NNNNN.jsonl}. Each run writes files of its own, so a resumed run never overwrites
 * what an earlier run dead-lettered. Read them back with {@link DeadLetter#fromJsonLine}.
 *
 * <pre>{@code
 * PCollectionList.of(readFailures).and(mapFailures).and(captureResult.getDeadLetters())
 *     .apply("All dead letters", Flatten.pCollections())
 *     .apply("Write dead letters", DeadLetterIO.write().to("gs://bucket/run-1/dead-letters"));
 * }</pre>
 */
public final class DeadLetterIO {
  private DeadLetterIO() {}

  public static Write write() {
    return new Write(null, null, 0);
  }

  /**
   * Writes dead letters as JSON lines and outputs the names of the files written (none when there
   * was nothing to write). Bounded input; the runner chooses the sharding.
   */
  public static final class Write extends PTransform<PCollection<DeadLetter>, PCollection<String>> {
    private final @Nullable String directory;
    private final @Nullable String filePrefix;
    private final int numShards;

    private Write(@Nullable String directory, @Nullable String filePrefix, int numShards) {
      this.directory = directory;
      this.filePrefix = filePrefix;
      this.numShards = numShards;
    }

    /** The directory to write into (created if needed). */
    public Write to(String directory) {
      checkArgument(
          directory != null && !directory.isBlank(), "dead-letter directory must not be empty");
      return new Write(directory, filePrefix, numShards);
    }

    /** File name prefix (default {@code dead-letters-<UTC time the pipeline was built>}). */
    public Write withFilePrefix(String prefix) {
      checkArgument(
          prefix != null && !prefix.isBlank() && !prefix.contains("/"),
          "filePrefix must be a non-empty file name, but was '%s'",
          prefix);
      return new Write(directory, prefix, numShards);
    }

    /** A fixed number of files (default 0: the runner decides). */
    public Write withNumShards(int numShards) {
      checkArgument(numShards >= 0, "numShards must be >= 0, but was %s", numShards);
      return new Write(directory, filePrefix, numShards);
    }

    @Override
    public PCollection<String> expand(PCollection<DeadLetter> input) {
      checkArgument(directory != null, "DeadLetterIO.write() needs to(directory)");
      String name =
          filePrefix != null
              ? filePrefix
              : "dead-letters-"
                  + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
                      .withZone(ZoneOffset.UTC)
                      .format(Instant.now());
      String prefix = directory.endsWith("/") ? directory + name : directory + "/" + name;
      TextIO.TypedWrite<DeadLetter, Void> text =
          TextIO.<DeadLetter>writeCustomType()
              .withFormatFunction(DeadLetter::toJsonLine)
              .to(prefix)
              .withSuffix(".jsonl")
              .skipIfEmpty();
      if (numShards > 0) {
        text = text.withNumShards(numShards);
      }
      return input
          .apply("Write files", text)
          .getPerDestinationOutputFilenames()
          .apply("File names", Values.create());
    }
  }
}
