package dev.hogbeam.clickhouse;

import com.google.auto.value.AutoValue;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.values.SubtypeCoderProvider;
import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One unit of reading: the events of one team in one UTC day (bounded by the run's range on the
 * first and last day), or one part of such a day when the day is split.
 *
 * <p>A split day's parts are ranges of the plan's split column ({@link ReadPlan#splitColumn()}), a
 * function of {@code distinct_id}, so every person's events of the day are in one part. The bounds
 * are cursor texts (see {@link KeyColumn}): {@code splitLower} inclusive, {@code splitUpper}
 * exclusive, null meaning unbounded.
 *
 * <p>{@link #id()} is stable for the same plan and safe as a file name: {@code team2-2024-05-01} or
 * {@code team2-2024-05-01-p3of4}.
 */
@AutoValue
@DefaultCoder(Shard.Coder.class)
public abstract class Shard implements Serializable {
  private static final long serialVersionUID = 2L;

  static Shard of(
      String id,
      long teamId,
      String day,
      long startMicros,
      long endMicros,
      int part,
      int parts,
      @Nullable String splitLower,
      @Nullable String splitUpper,
      long estimatedRows) {
    return new AutoValue_Shard(
        id,
        teamId,
        day,
        startMicros,
        endMicros,
        part,
        parts,
        splitLower,
        splitUpper,
        estimatedRows);
  }

  /** Stable, file-name-safe id: {@code team{T}-{yyyy-MM-dd}[-p{i}of{n}]}. */
  public abstract String id();

  public abstract long teamId();

  /** The UTC day, {@code yyyy-MM-dd}. */
  public abstract String day();

  /** Inclusive lower bound on {@code timestamp}, epoch microseconds. */
  public abstract long startMicros();

  /** Exclusive upper bound on {@code timestamp}, epoch microseconds. */
  public abstract long endMicros();

  /** 1-based index of this part of its day. */
  public abstract int part();

  /** How many parts the day was split into (1 when not split). */
  public abstract int parts();

  public abstract @Nullable String splitLower();

  public abstract @Nullable String splitUpper();

  /** Rows ClickHouse counted for this shard when planning (copies not yet merged included). */
  public abstract long estimatedRows();

  @Override
  public final String toString() {
    return id()
        + "["
        + Timestamps.toIso(startMicros())
        + ", "
        + Timestamps.toIso(endMicros())
        + ")"
        + (parts() > 1 ? " split [" + splitLower() + ", " + splitUpper() + ")" : "")
        + " ~"
        + estimatedRows()
        + " rows";
  }

  /** A deterministic coder: the fields in order. */
  public static final class Coder extends ValueCoder<Shard> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<String> NULLABLE = NullableCoder.of(STRING);
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    private Coder() {}

    public static Coder of() {
      return INSTANCE;
    }

    /** What makes {@code @DefaultCoder(Shard.Coder.class)} take effect. */
    public static CoderProvider getCoderProvider() {
      return SubtypeCoderProvider.of(Shard.class, INSTANCE);
    }

    @Override
    public void encode(Shard s, OutputStream out) throws IOException {
      STRING.encode(s.id(), out);
      LONG.encode(s.teamId(), out);
      STRING.encode(s.day(), out);
      LONG.encode(s.startMicros(), out);
      LONG.encode(s.endMicros(), out);
      INT.encode(s.part(), out);
      INT.encode(s.parts(), out);
      NULLABLE.encode(s.splitLower(), out);
      NULLABLE.encode(s.splitUpper(), out);
      LONG.encode(s.estimatedRows(), out);
    }

    @Override
    public Shard decode(InputStream in) throws IOException {
      return Shard.of(
          STRING.decode(in),
          LONG.decode(in),
          STRING.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          INT.decode(in),
          INT.decode(in),
          NULLABLE.decode(in),
          NULLABLE.decode(in),
          LONG.decode(in));
    }
  }
}
