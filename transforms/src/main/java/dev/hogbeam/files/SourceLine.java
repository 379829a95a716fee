package dev.hogbeam.files;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * One line of a JSON-lines source (an export file, a downloaded hour or day), with where it came
 * from: the source (a file, or an hour of the Export API), the entry inside a zip archive ("" when
 * the source is not a zip), and the 1-based line number inside that entry.
 */
@DefaultCoder(SourceLine.Coder.class)
public final class SourceLine implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String entry;
  private final long lineNumber;
  private final String text;

  private SourceLine(String source, String entry, long lineNumber, String text) {
    this.source = checkNotNull(source, "source");
    this.entry = checkNotNull(entry, "entry");
    this.lineNumber = lineNumber;
    this.text = checkNotNull(text, "text");
  }

  /**
   * @param source {@code file <path>} or {@code export hour <yyyy-MM-ddTHH>}
   * @param entry the zip entry name, or "" when the source is a plain or gzipped file
   * @param lineNumber 1-based, counting every line of the entry (blank ones too)
   * @param text the line without its line terminator
   */
  public static SourceLine of(String source, String entry, long lineNumber, String text) {
    return new SourceLine(source, entry, lineNumber, text);
  }

  public String source() {
    return source;
  }

  public String entry() {
    return entry;
  }

  public long lineNumber() {
    return lineNumber;
  }

  public String text() {
    return text;
  }

  /** Where the line is, for a person: {@code file x.zip, entry a/b.json.gz, line 12}. */
  public String origin() {
    return origin(source, entry, lineNumber);
  }

  static String origin(String source, String entry, long lineNumber) {
    return source + (entry.isEmpty() ? "" : ", entry " + entry) + ", line " + lineNumber;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SourceLine)) {
      return false;
    }
    SourceLine l = (SourceLine) o;
    return lineNumber == l.lineNumber
        && source.equals(l.source)
        && entry.equals(l.entry)
        && text.equals(l.text);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, entry, lineNumber, text);
  }

  /** The origin only: a line may hold personal data. */
  @Override
  public String toString() {
    return "SourceLine{" + origin() + "}";
  }

  /** Deterministic coder: three strings and a number. */
  public static final class Coder extends ValueCoder<SourceLine> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    public static Coder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} calls: without it, Beam would infer a SerializableCoder. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(SourceLine.class), INSTANCE);
    }

    @Override
    public void encode(SourceLine v, OutputStream out) throws IOException {
      STRING.encode(v.source, out);
      STRING.encode(v.entry, out);
      VarLongCoder.of().encode(v.lineNumber, out);
      STRING.encode(v.text, out);
    }

    @Override
    public SourceLine decode(InputStream in) throws IOException {
      return new SourceLine(
          STRING.decode(in), STRING.decode(in), VarLongCoder.of().decode(in), STRING.decode(in));
    }
  }
}
