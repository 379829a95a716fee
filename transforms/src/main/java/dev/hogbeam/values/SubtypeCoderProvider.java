package dev.hogbeam.values;

import java.util.List;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * A {@link CoderProvider} for a value type and its subclasses: an AutoValue class's instances are
 * of its generated subclass, which the {@code @DefaultCoder} of the value type does not reach when
 * Beam infers a coder from an element (e.g. {@code Create.of(values)}).
 */
public final class SubtypeCoderProvider<T> extends CoderProvider {
  private final Class<T> type;
  private final Coder<T> coder;

  private SubtypeCoderProvider(Class<T> type, Coder<T> coder) {
    this.type = type;
    this.coder = coder;
  }

  public static <T> SubtypeCoderProvider<T> of(Class<T> type, Coder<T> coder) {
    return new SubtypeCoderProvider<>(type, coder);
  }

  @Override
  @SuppressWarnings("unchecked") // a subtype of T is encoded by T's coder
  public <X> Coder<X> coderFor(TypeDescriptor<X> typeDescriptor, List<? extends Coder<?>> params)
      throws CannotProvideCoderException {
    if (type.isAssignableFrom(typeDescriptor.getRawType())) {
      return (Coder<X>) coder;
    }
    throw new CannotProvideCoderException(typeDescriptor + " is not a " + type.getName());
  }
}
