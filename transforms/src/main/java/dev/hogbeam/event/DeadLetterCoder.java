package dev.hogbeam.event;

import dev.hogbeam.values.SubtypeCoderProvider;
import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/** A deterministic coder for {@link DeadLetter}: its fields in order, strings as UTF-8. */
public final class DeadLetterCoder extends ValueCoder<DeadLetter> {
  private static final DeadLetterCoder INSTANCE = new DeadLetterCoder();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final NullableCoder<String> NULLABLE_STRING = NullableCoder.of(STRING);
  private static final VarIntCoder INT = VarIntCoder.of();

  private DeadLetterCoder() {}

  public static DeadLetterCoder of() {
    return INSTANCE;
  }

  /** What makes {@code @DefaultCoder(DeadLetterCoder.class)} take effect. */
  public static CoderProvider getCoderProvider() {
    return SubtypeCoderProvider.of(DeadLetter.class, INSTANCE);
  }

  @Override
  public void encode(DeadLetter d, OutputStream out) throws IOException {
    STRING.encode(d.stage(), out);
    STRING.encode(d.source(), out);
    NULLABLE_STRING.encode(d.uuid(), out);
    STRING.encode(d.payload(), out);
    INT.encode(d.status(), out);
    STRING.encode(d.reason(), out);
    INT.encode(d.attempts(), out);
  }

  @Override
  public DeadLetter decode(InputStream in) throws IOException {
    return DeadLetter.of(
        STRING.decode(in),
        STRING.decode(in),
        NULLABLE_STRING.decode(in),
        STRING.decode(in),
        INT.decode(in),
        STRING.decode(in),
        INT.decode(in));
  }
}
