package dev.hogbeam.identity;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The durable record of (device, user) pairs whose alias event has been sent, so a later run does
 * not send them again: a directory on any Beam FileSystem holding {@code pairs-*.txt} files of
 * {@link AliasPairs pair keys}, one per line.
 *
 * <p>Files are only ever added, never changed: each write creates a new file under a hidden
 * temporary name ({@code .tmp-...}) and renames it into place, so a write killed half-way leaves
 * nothing that is read. The same pair in several files is harmless (reading is a set). Compaction
 * is not needed for correctness; many small files only make the read slower.
 */
public final class AliasPairStore {
  static final String PREFIX = "pairs-";
  static final String SUFFIX = ".txt";

  private AliasPairStore() {}

  /** Every recorded pair key (an empty collection when the directory is empty or absent). */
  public static Read read(String directory) {
    return new Read(checkDirectory(directory));
  }

  /**
   * Writes a collection of pair keys into the store: one new file per bundle. Outputs the files
   * written.
   */
  public static Write write(String directory) {
    return new Write(checkDirectory(directory));
  }

  /**
   * Writes {@code pairKeys} into the store as one new file, atomically (write then rename). For
   * code that records pairs outside a Beam write, e.g. once a checkpoint has passed them.
   *
   * @return the file written, or null when {@code pairKeys} is empty
   */
  public static @Nullable ResourceId writeFile(String directory, Iterable<String> pairKeys)
      throws IOException {
    FileWriter w = new FileWriter(checkDirectory(directory));
    for (String p : pairKeys) {
      w.add(p);
    }
    return w.commit();
  }

  private static String checkDirectory(String directory) {
    checkArgument(
        directory != null && !directory.isBlank(),
        "the alias pair store directory must not be empty");
    return directory;
  }

  private static ResourceId dir(String directory) {
    return FileSystems.matchNewResource(directory, true);
  }

  /** See {@link #read}. */
  public static final class Read extends PTransform<PBegin, PCollection<String>> {
    private final String directory;

    private Read(String directory) {
      this.directory = directory;
    }

    @Override
    public PCollection<String> expand(PBegin input) {
      String pattern =
          dir(directory)
              .resolve(PREFIX + "*" + SUFFIX, StandardResolveOptions.RESOLVE_FILE)
              .toString();
      return input
          .apply(
              "Match pair files",
              FileIO.match()
                  .filepattern(pattern)
                  .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
          .apply("Open pair files", FileIO.readMatches())
          .apply("Read pairs", TextIO.readFiles());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("directory", directory));
    }
  }

  /** See {@link #write}. */
  public static final class Write extends PTransform<PCollection<String>, PCollection<String>> {
    private final String directory;

    private Write(String directory) {
      this.directory = directory;
    }

    @Override
    public PCollection<String> expand(PCollection<String> pairKeys) {
      return pairKeys.apply("Write pair files", ParDo.of(new WriteFn(directory)));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("directory", directory));
    }
  }

  private static final class WriteFn extends DoFn<String, String> {
    private final String directory;
    private transient @Nullable FileWriter writer;

    WriteFn(String directory) {
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element String pairKey) throws IOException {
      if (writer == null) {
        writer = new FileWriter(directory);
      }
      writer.add(pairKey);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) throws IOException {
      if (writer != null) {
        ResourceId written = writer.commit();
        writer = null;
        if (written != null) {
          c.output(written.toString(), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
        }
      }
    }
  }

  /** Streams lines to a temporary file; {@link #commit} renames it into place. */
  private static final class FileWriter {
    private final ResourceId tmp;
    private final ResourceId target;
    private @Nullable Writer out;

    FileWriter(String directory) {
      String id = System.currentTimeMillis() + "-" + UUID.randomUUID();
      ResourceId d = dir(directory);
      this.tmp = d.resolve(".tmp-" + PREFIX + id + SUFFIX, StandardResolveOptions.RESOLVE_FILE);
      this.target = d.resolve(PREFIX + id + SUFFIX, StandardResolveOptions.RESOLVE_FILE);
    }

    void add(String pairKey) throws IOException {
      checkArgument(
          pairKey.indexOf('\n') < 0 && pairKey.indexOf('\r') < 0,
          "a pair key is one line (see AliasPairs.pairKey)");
      if (out == null) {
        OutputStream os = Channels.newOutputStream(FileSystems.create(tmp, MimeTypes.TEXT));
        out = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
      }
      out.write(pairKey);
      out.write('\n');
    }

    @Nullable ResourceId commit() throws IOException {
      if (out == null) {
        return null;
      }
      out.close();
      FileSystems.rename(List.of(tmp), List.of(target));
      return target;
    }
  }
}
