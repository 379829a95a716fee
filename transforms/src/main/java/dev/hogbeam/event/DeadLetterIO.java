package dev.hogbeam.event;

import static com.google.common.base.Preconditions.checkArgument;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.auto.value.AutoValue;
import dev.hogbeam.state.StateFiles;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Dead letters of any stage as JSON-lines files ({@link DeadLetter#toJsonLine()}, one per line) in
 * a directory on any Beam FileSystem, each file named {@code <prefix>-<random>.jsonl} and written
 * durably ({@link StateFiles#createNew}) before the step that refused the records goes on.
 *
 * <p>Durable before acknowledged: {@link #write()} writes a bundle's dead letters when the bundle
 * finishes, before the runner commits the bundle, so whatever a later stage does with the bundle's
 * other outputs happens after its dead letters are on disk. The writer of capture dead letters
 * calls {@link #writeNow} before it moves a group's checkpoint past them. A retried bundle writes
 * its records again into a new file; {@link #read} lists each record once (by {@link
 * DeadLetter#id()}).
 *
 * <pre>{@code
 * mapFailures.apply("Write dead letters", DeadLetterIO.write().to("gs://bucket/run-1/dead-letters"));
 * List<DeadLetter> all = DeadLetterIO.read("gs://bucket/run-1/dead-letters", "dead-letters-");
 * }</pre>
 */
public final class DeadLetterIO {
  /** Records per file: a bundle with more writes several files. */
  static final int RECORDS_PER_FILE = 1000;

  private DeadLetterIO() {}

  public static Write write() {
    return new AutoValue_DeadLetterIO_Write.Builder().filePrefix("dead-letters").build();
  }

  /**
   * Writes {@code letters} to a new durable file in {@code directory} now and returns its path
   * (null when there is nothing to write).
   */
  public static @Nullable String writeNow(
      String directory, String filePrefix, Collection<DeadLetter> letters) {
    if (letters.isEmpty()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (DeadLetter d : letters) {
      text.append(d.toJsonLine()).append('\n');
    }
    String path = join(directory, filePrefix + "-" + UUID.randomUUID() + ".jsonl");
    if (!StateFiles.createNew(path, text.toString().getBytes(UTF_8))) {
      throw new IllegalStateException("dead-letter file exists already: " + path);
    }
    return path;
  }

  /** The dead-letter files in {@code directory} whose names start with {@code filePrefix}. */
  public static List<String> files(String directory, String filePrefix) {
    return StateFiles.list(join(directory, filePrefix + "*.jsonl"));
  }

  /**
   * Every dead letter in the files of {@code directory} starting with {@code filePrefix}, in file
   * order, each record once however often it was written.
   */
  public static List<DeadLetter> read(String directory, String filePrefix) {
    Map<String, DeadLetter> byId = new LinkedHashMap<>();
    for (String file : files(directory, filePrefix)) {
      for (DeadLetter d : readFile(file)) {
        byId.putIfAbsent(d.id(), d);
      }
    }
    return new ArrayList<>(byId.values());
  }

  /** The records of one file. */
  public static List<DeadLetter> readFile(String file) {
    String text = StateFiles.read(file);
    List<DeadLetter> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    int lineNo = 0;
    for (String line : text.split("\n")) {
      lineNo++;
      if (!line.isBlank()) {
        try {
          out.add(DeadLetter.fromJsonLine(line));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
        }
      }
    }
    return out;
  }

  /**
   * Removes the records with the given ids from every file of {@code directory} starting with
   * {@code filePrefix}: a file left empty is deleted, others are rewritten without them. Returns
   * how many lines were removed.
   */
  public static int forget(String directory, String filePrefix, Set<String> ids) {
    int removed = 0;
    for (String file : files(directory, filePrefix)) {
      List<DeadLetter> kept = new ArrayList<>();
      List<DeadLetter> records = readFile(file);
      for (DeadLetter d : records) {
        if (!ids.contains(d.id())) {
          kept.add(d);
        }
      }
      if (kept.size() == records.size()) {
        continue;
      }
      removed += records.size() - kept.size();
      if (kept.isEmpty()) {
        StateFiles.delete(file);
      } else {
        StringBuilder text = new StringBuilder();
        kept.forEach(d -> text.append(d.toJsonLine()).append('\n'));
        StateFiles.replace(file, text.toString());
        StateFiles.delete(file + StateFiles.PREVIOUS);
      }
    }
    return removed;
  }

  private static String join(String directory, String name) {
    return directory.endsWith("/") ? directory + name : directory + "/" + name;
  }

  /**
   * Writes dead letters durably, a file per bundle (or per {@value #RECORDS_PER_FILE} records), and
   * outputs the names of the files written.
   */
  @AutoValue
  public abstract static class Write
      extends PTransform<PCollection<DeadLetter>, PCollection<String>> {
    abstract @Nullable String directory();

    abstract String filePrefix();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder directory(String directory);

      abstract Builder filePrefix(String prefix);

      abstract Write build();
    }

    /** The directory to write into (created if needed). */
    public Write to(String directory) {
      checkArgument(
          directory != null && !directory.isBlank(), "dead-letter directory must not be empty");
      return toBuilder().directory(directory).build();
    }

    /** File name prefix (default {@code dead-letters}); a run's own prefix keeps runs apart. */
    public Write withFilePrefix(String prefix) {
      checkArgument(
          prefix != null && !prefix.isBlank() && !prefix.contains("/"),
          "filePrefix must be a non-empty file name, but was '%s'",
          prefix);
      return toBuilder().filePrefix(prefix).build();
    }

    @Override
    public PCollection<String> expand(PCollection<DeadLetter> input) {
      checkArgument(directory() != null, "DeadLetterIO.write() needs to(directory)");
      return input
          .apply("Write files", ParDo.of(new WriteFn(directory(), filePrefix())))
          .setCoder(StringUtf8Coder.of());
    }
  }

  private static final class WriteFn extends DoFn<DeadLetter, String> {
    private final String directory;
    private final String filePrefix;
    private transient @Nullable List<DeadLetter> pending;
    private transient @Nullable List<String> written;

    WriteFn(String directory, String filePrefix) {
      this.directory = directory;
      this.filePrefix = filePrefix;
    }

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
      written = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element DeadLetter letter) {
      pending.add(letter);
      if (pending.size() >= RECORDS_PER_FILE) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      flush();
      for (String file : written) {
        context.output(file, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
      written.clear();
    }

    private void flush() {
      String file = writeNow(directory, filePrefix, pending);
      if (file != null) {
        written.add(file);
      }
      pending.clear();
    }
  }
}
