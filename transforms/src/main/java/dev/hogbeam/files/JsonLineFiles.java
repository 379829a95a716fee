package dev.hogbeam.files;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.auto.value.AutoValue;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.progress.ReadProgress;
import dev.hogbeam.values.TupleOutput;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.Map;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads JSON-lines files, on any Beam file system, into {@link SourceLine}s: the shared read of
 * every file-based source (Amplitude's export files and Export API downloads, Mixpanel's exports,
 * PostHog-shaped event files). Plain, gzipped and zipped files are told apart by their first bytes
 * ({@link LineFileReader}); nothing is held in memory beyond the current line.
 *
 * <p>{@link #read()} is the whole read of a file pattern; {@link #emitLines} is the part a source
 * that fetches its own bytes (an export API's download) uses for each file it has.
 */
public final class JsonLineFiles {
  private JsonLineFiles() {}

  /** The lines read. */
  public static final TupleTag<SourceLine> LINES = new TupleTag<SourceLine>() {};

  /** Files that could not be read to the end, and lines over the length cap. */
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<DeadLetter>() {};

  /** The default cap on a line's length: 16 MiB (events are a few KiB). */
  public static final long DEFAULT_MAX_LINE_BYTES = 16L * 1024 * 1024;

  private static final Counter LINES_READ = Metrics.counter(JsonLineFiles.class, "linesRead");
  private static final Counter FILES_READ = Metrics.counter(JsonLineFiles.class, "filesRead");
  private static final Counter DAMAGED = Metrics.counter(JsonLineFiles.class, "damagedFiles");

  /** Reads the files a pattern matches. */
  public static ReadFiles read() {
    return new AutoValue_JsonLineFiles_ReadFiles.Builder()
        .readProgress(ReadProgress.none())
        .maxLineBytes(DEFAULT_MAX_LINE_BYTES)
        .build();
  }

  /**
   * Reads JSON-lines files matching a pattern: zips of gzipped JSON-lines files (Amplitude's export
   * format), single gzipped JSON-lines files, or plain JSON-lines files, told apart by their first
   * bytes ({@link LineFileReader}).
   *
   * <p>Guarantees: every non-blank line of every matched file comes out once, with its file, zip
   * entry and line number. A file that stops being readable part-way (a damaged or truncated zip or
   * gzip stream) gives its lines up to that point plus one dead letter (stage {@code read}) saying
   * where it broke; nothing after that point can be recovered. A pattern that matches no file fails
   * the run. Each file read to its end is reported to {@link #withReadProgress} with its {@code
   * rowsRead} (files without lines are not reported).
   */
  @AutoValue
  public abstract static class ReadFiles extends PTransform<PBegin, LineRead> {
    abstract @Nullable String filepattern();

    abstract ReadProgress readProgress();

    abstract long maxLineBytes();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder filepattern(String filepattern);

      abstract Builder readProgress(ReadProgress progress);

      abstract Builder maxLineBytes(long bytes);

      abstract ReadFiles build();
    }

    /** A file pattern (glob) such as {@code /data/amplitude/*.zip} or {@code gs://b/export/**}. */
    public ReadFiles from(String filepattern) {
      checkArgument(
          filepattern != null && !filepattern.isBlank(),
          "from: the file pattern of the files to read must not be empty");
      return toBuilder().filepattern(filepattern).build();
    }

    /** Where each file's read is recorded (default: nowhere). */
    public ReadFiles withReadProgress(ReadProgress progress) {
      checkNotNull(progress, "readProgress");
      return toBuilder().readProgress(progress).build();
    }

    /**
     * Lines longer than this are dead-lettered (stage {@code read}, their first KiB kept) and
     * reading goes on at the next line (default {@value #DEFAULT_MAX_LINE_BYTES}).
     */
    public ReadFiles withMaxLineBytes(long bytes) {
      checkArgument(bytes > 0, "maxLineBytes must be > 0, but was %s", bytes);
      return toBuilder().maxLineBytes(bytes).build();
    }

    @Override
    public LineRead expand(PBegin input) {
      checkArgument(
          filepattern() != null,
          "JsonLineFiles.read() needs from(<file pattern>) (the --inputFiles flag)");
      PCollectionTuple read =
          input
              .apply(
                  "Match files",
                  FileIO.match()
                      .filepattern(filepattern())
                      .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
              .apply("Open files", FileIO.readMatches().withCompression(Compression.UNCOMPRESSED))
              .apply(
                  "Read lines",
                  ParDo.of(new ReadFileFn(readProgress(), maxLineBytes()))
                      .withOutputTags(LINES, TupleTagList.of(DEAD_LETTERS)));
      return LineRead.of(read);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.addIfNotNull(DisplayData.item("filePattern", filepattern()));
    }
  }

  /** Streams the lines of one file to the outputs; a damaged file adds one dead letter. */
  public static void emitLines(
      String source,
      InputStream in,
      DoFn.MultiOutputReceiver out,
      ReadProgress progress,
      long maxLineBytes)
      throws Exception {
    DoFn.OutputReceiver<SourceLine> lines = out.get(LINES);
    long[] count = {0};
    LineFileReader.Corruption damage =
        LineFileReader.read(
            in,
            maxLineBytes,
            new LineFileReader.LineSink() {
              @Override
              public void line(String entry, long lineNumber, String text) {
                LINES_READ.inc();
                count[0]++;
                lines.output(SourceLine.of(source, entry, lineNumber, text));
              }

              @Override
              public void oversize(String entry, long lineNumber, String head, long bytes) {
                out.get(DEAD_LETTERS)
                    .output(
                        DeadLetter.of(
                            "read",
                            SourceLine.of(source, entry, lineNumber, "").origin(),
                            null,
                            head,
                            0,
                            "the line is "
                                + bytes
                                + " bytes, over the cap of "
                                + maxLineBytes
                                + " (--maxLineBytes); its first "
                                + head.length()
                                + " characters are kept here, reading went on at the next line",
                            0));
              }
            });
    FILES_READ.inc();
    if (count[0] > 0) {
      progress.shardRead(source, Map.of("rowsRead", count[0]), true);
    }
    if (damage != null) {
      DAMAGED.inc();
      String where =
          source
              + (damage.entry.isEmpty() ? "" : ", entry " + damage.entry)
              + (damage.lineNumber > 0 ? ", line " + damage.lineNumber : "");
      out.get(DEAD_LETTERS)
          .output(
              DeadLetter.of(
                  "read",
                  where,
                  null,
                  "",
                  0,
                  "the file is "
                      + damage.reason
                      + " at this point; the lines before it were read, nothing after it could be",
                  0));
    }
  }

  /** Reads each matched file. */
  static final class ReadFileFn extends DoFn<FileIO.ReadableFile, SourceLine> {
    private final ReadProgress progress;

    private final long maxLineBytes;

    ReadFileFn(ReadProgress progress, long maxLineBytes) {
      this.progress = progress;
      this.maxLineBytes = maxLineBytes;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out)
        throws Exception {
      String source = "file " + file.getMetadata().resourceId();
      try (InputStream in = Channels.newInputStream(file.open())) {
        emitLines(source, in, out, progress, maxLineBytes);
      }
    }
  }

  /** The lines read, and dead letters for files that could not be read to the end. */
  public static final class LineRead extends TupleOutput {
    private LineRead(PCollectionTuple outputs) {
      super(outputs);
    }

    /** The outputs of a DoFn that wrote {@link #LINES} and {@link #DEAD_LETTERS}. */
    public static LineRead of(PCollectionTuple outputs) {
      return new LineRead(outputs);
    }

    public PCollection<SourceLine> getLines() {
      return get(LINES);
    }

    public PCollection<DeadLetter> getDeadLetters() {
      return get(DEAD_LETTERS);
    }
  }
}
