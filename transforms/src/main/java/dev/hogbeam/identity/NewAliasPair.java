package dev.hogbeam.identity;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.event.EventCursor;
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
 * A (device, user) pair this run sends an alias event for: its {@link AliasPairs pair key}, the
 * ordering group the alias event is in, and the alias event's position in that group's send order.
 * Once the group's checkpoint cursor has passed {@link #cursor()}, the pair has been sent and can
 * be written to the {@link AliasPairStore}.
 */
@DefaultCoder(NewAliasPair.Coder.class)
public final class NewAliasPair implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String pairKey;
  private final String orderingKey;
  private final long timestampMicros;
  private final String uuid;

  public NewAliasPair(String pairKey, String orderingKey, long timestampMicros, String uuid) {
    this.pairKey = checkNotNull(pairKey, "pairKey");
    this.orderingKey = checkNotNull(orderingKey, "orderingKey");
    this.timestampMicros = timestampMicros;
    this.uuid = checkNotNull(uuid, "uuid");
  }

  public String pairKey() {
    return pairKey;
  }

  /** The ordering group the alias event was keyed to. */
  public String orderingKey() {
    return orderingKey;
  }

  /** The alias event's (timestamp, uuid). */
  public EventCursor cursor() {
    return EventCursor.of(timestampMicros, uuid);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof NewAliasPair)) {
      return false;
    }
    NewAliasPair p = (NewAliasPair) o;
    return timestampMicros == p.timestampMicros
        && pairKey.equals(p.pairKey)
        && orderingKey.equals(p.orderingKey)
        && uuid.equals(p.uuid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pairKey, orderingKey, timestampMicros, uuid);
  }

  /** Without the ids, which are personal data. */
  @Override
  public String toString() {
    return "NewAliasPair{group=" + orderingKey + ", at=" + cursor() + "}";
  }

  /** Deterministic coder. */
  public static final class Coder extends ValueCoder<NewAliasPair> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    public static Coder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} calls: without it, Beam would infer a SerializableCoder. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(NewAliasPair.class), INSTANCE);
    }

    @Override
    public void encode(NewAliasPair v, OutputStream out) throws IOException {
      STRING.encode(v.pairKey, out);
      STRING.encode(v.orderingKey, out);
      VarLongCoder.of().encode(v.timestampMicros, out);
      STRING.encode(v.uuid, out);
    }

    @Override
    public NewAliasPair decode(InputStream in) throws IOException {
      return new NewAliasPair(
          STRING.decode(in), STRING.decode(in), VarLongCoder.of().decode(in), STRING.decode(in));
    }
  }
}
