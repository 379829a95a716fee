package dev.hogbeam.clickhouse;

import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A compact, deterministic coder for {@link EventRow}: the always-present fields, then a bit mask
 * saying which optional fields follow. Rows cross a shuffle between the read and the ordering
 * stage, so this is on the hot path.
 */
public final class EventRowCoder extends ValueCoder<EventRow> {
  private static final EventRowCoder INSTANCE = new EventRowCoder();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();

  /** Length-prefixed bytes: the same bytes STRING writes for the same text, never decoded. */
  private static final ByteArrayCoder BYTES = ByteArrayCoder.of();

  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();

  // Bit positions of the optional fields in the presence mask.
  private static final int PERSON_ID = 0;
  private static final int PERSON_PROPERTIES = 1;
  private static final int PERSON_CREATED_AT = 2;
  private static final int PERSON_MODE = 3;
  private static final int GROUP_PROPERTIES = 4; // 4..8
  private static final int GROUP_CREATED_AT = 4 + EventRow.GROUPS; // 9..13

  private EventRowCoder() {}

  public static EventRowCoder of() {
    return INSTANCE;
  }

  /**
   * What makes {@code @DefaultCoder(EventRowCoder.class)} take effect: without this method Beam's
   * registry silently falls back to Java serialization for {@link EventRow}.
   */
  public static CoderProvider getCoderProvider() {
    return CoderProviders.forCoder(TypeDescriptor.of(EventRow.class), INSTANCE);
  }

  @Override
  public void encode(EventRow r, OutputStream out) throws IOException {
    STRING.encode(r.uuid(), out);
    STRING.encode(r.event(), out);
    STRING.encode(r.distinctId(), out);
    LONG.encode(r.timestampMicros(), out);
    BYTES.encode(r.propertiesUtf8(), out);
    STRING.encode(r.elementsChain(), out);
    int mask = 0;
    mask |= bit(PERSON_ID, r.personId());
    mask |= bit(PERSON_PROPERTIES, r.personProperties());
    mask |= bit(PERSON_CREATED_AT, r.personCreatedAtMicros());
    mask |= bit(PERSON_MODE, r.personMode());
    for (int i = 0; i < EventRow.GROUPS; i++) {
      mask |= bit(GROUP_PROPERTIES + i, r.groupProperties(i));
      mask |= bit(GROUP_CREATED_AT + i, r.groupCreatedAtMicros(i));
    }
    INT.encode(mask, out);
    if (mask == 0) {
      return;
    }
    writeString(r.personId(), out);
    writeString(r.personProperties(), out);
    writeLong(r.personCreatedAtMicros(), out);
    writeString(r.personMode(), out);
    for (int i = 0; i < EventRow.GROUPS; i++) {
      writeString(r.groupProperties(i), out);
      writeLong(r.groupCreatedAtMicros(i), out);
    }
  }

  @Override
  public EventRow decode(InputStream in) throws IOException {
    EventRow.Builder b =
        EventRow.builder()
            .uuid(STRING.decode(in))
            .event(STRING.decode(in))
            .distinctId(STRING.decode(in))
            .timestampMicros(LONG.decode(in))
            .propertiesUtf8(BYTES.decode(in))
            .elementsChain(STRING.decode(in));
    int mask = INT.decode(in);
    if (mask != 0) {
      b.personId(has(mask, PERSON_ID) ? STRING.decode(in) : null);
      b.personProperties(has(mask, PERSON_PROPERTIES) ? STRING.decode(in) : null);
      b.personCreatedAtMicros(has(mask, PERSON_CREATED_AT) ? LONG.decode(in) : null);
      b.personMode(has(mask, PERSON_MODE) ? STRING.decode(in) : null);
      for (int i = 0; i < EventRow.GROUPS; i++) {
        b.groupProperties(i, has(mask, GROUP_PROPERTIES + i) ? STRING.decode(in) : null);
        b.groupCreatedAtMicros(i, has(mask, GROUP_CREATED_AT + i) ? LONG.decode(in) : null);
      }
    }
    return b.build();
  }

  private static int bit(int position, @Nullable Object value) {
    return value == null ? 0 : 1 << position;
  }

  private static boolean has(int mask, int position) {
    return (mask & (1 << position)) != 0;
  }

  private static void writeString(@Nullable String v, OutputStream out) throws IOException {
    if (v != null) {
      STRING.encode(v, out);
    }
  }

  private static void writeLong(@Nullable Long v, OutputStream out) throws IOException {
    if (v != null) {
      LONG.encode(v, out);
    }
  }
}
