package dev.hogbeam.event;

import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * A compact, deterministic coder for {@link CaptureEvent}: four length-prefixed UTF-8 strings and a
 * variable-length timestamp (the same bytes as {@link StringUtf8Coder} and {@link VarLongCoder}
 * would write). Events cross every shuffle of the pipeline, so this matters for speed far more than
 * for style: the properties, most of an event's bytes, are copied as UTF-8 bytes both ways, never
 * decoded into a string.
 */
public final class CaptureEventCoder extends ValueCoder<CaptureEvent> {
  private static final CaptureEventCoder INSTANCE = new CaptureEventCoder();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();

  /** Length-prefixed bytes: the same bytes STRING writes for the same text, never decoded. */
  private static final ByteArrayCoder BYTES = ByteArrayCoder.of();

  private CaptureEventCoder() {}

  public static CaptureEventCoder of() {
    return INSTANCE;
  }

  /**
   * What makes {@code @DefaultCoder(CaptureEventCoder.class)} take effect: without this method
   * Beam's registry silently falls back to Java serialization for {@link CaptureEvent}.
   */
  public static CoderProvider getCoderProvider() {
    return CoderProviders.forCoder(TypeDescriptor.of(CaptureEvent.class), INSTANCE);
  }

  @Override
  public void encode(CaptureEvent value, OutputStream out) throws IOException {
    STRING.encode(value.uuid(), out);
    STRING.encode(value.event(), out);
    STRING.encode(value.distinctId(), out);
    LONG.encode(value.timestampMicros(), out);
    BYTES.encode(value.propertiesUtf8(), out);
  }

  @Override
  public CaptureEvent decode(InputStream in) throws IOException {
    String uuid = STRING.decode(in);
    String event = STRING.decode(in);
    String distinctId = STRING.decode(in);
    long ts = LONG.decode(in);
    return CaptureEvent.ofUtf8Properties(uuid, event, distinctId, ts, BYTES.decode(in));
  }
}
