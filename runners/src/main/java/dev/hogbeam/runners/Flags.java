package dev.hogbeam.runners;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code --name=value} flags of a command line, as Beam's {@code PipelineOptionsFactory} reads
 * them ({@code --name} alone means {@code true}). Immutable; {@link #withDefault} appends a flag
 * only when the user did not give it, so explicit flags always win.
 */
final class Flags {

  private final List<String> args;

  private Flags(List<String> args) {
    this.args = List.copyOf(args);
  }

  static Flags of(String... args) {
    return new Flags(Arrays.asList(args));
  }

  /** The value of the last {@code --name=value} (or {@code "true"} for a bare {@code --name}). */
  Optional<String> value(String name) {
    String bare = "--" + name;
    String prefix = bare + "=";
    String found = null;
    for (String arg : args) {
      if (arg.equals(bare)) {
        found = "true";
      } else if (arg.startsWith(prefix)) {
        found = arg.substring(prefix.length());
      }
    }
    return Optional.ofNullable(found);
  }

  boolean has(String name) {
    return value(name).isPresent();
  }

  /** A positive integer flag, if given; a {@link UsageException} naming the flag otherwise. */
  Optional<Integer> positiveInt(String name) {
    Optional<String> raw = value(name);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      int parsed = Integer.parseInt(raw.get().trim());
      if (parsed > 0) {
        return Optional.of(parsed);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(
        "--" + name + " must be a positive integer, but was '" + raw.get() + "'");
  }

  /** {@code --help} or {@code --help=<OptionsInterface>}, which Beam answers by printing. */
  boolean helpRequested() {
    return has("help");
  }

  Flags withDefault(String name, Object value) {
    if (has(name)) {
      return this;
    }
    List<String> more = new ArrayList<>(args);
    more.add("--" + name + "=" + value);
    return new Flags(more);
  }

  String[] toArray() {
    return args.toArray(new String[0]);
  }

  @Override
  public String toString() {
    // Flags may carry secrets (tokens, passwords): never print their values.
    return "Flags(" + args.size() + " arguments)";
  }
}
