package dev.hogbeam.pipeline.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.hogbeam.event.CaptureEvent;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The migration's filters and renames ({@code --includeEvents}, {@code --excludeEvents}, {@code
 * --renameEvents}, {@code --dropProperties}, {@code --shiftTimestamps}, or a {@code --rulesFile}):
 * one pure function from a source's mapped event to the event sent, or to nothing. The engine
 * applies it between every source's map and the ordering, on the shuffle path ({@link SendInOrder})
 * and on the fused path ({@link FusedSend}) alike, so both send the same events.
 *
 * <p>In this order, each step seeing what the one before left:
 *
 * <ol>
 *   <li>include: with include patterns, an event whose name (as the source mapped it) matches none
 *       is dropped;
 *   <li>exclude: an event whose name matches an exclude pattern is dropped;
 *   <li>rename: an event named exactly like a rename's old name gets its new name;
 *   <li>drop properties: top-level properties whose name matches a pattern are removed (nested
 *       objects such as {@code $set} are left as they are);
 *   <li>shift: the timestamp moves by the fixed offset.
 * </ol>
 *
 * <p>Patterns are globs on the whole name: {@code *} any run of characters, {@code ?} one; case
 * matters. The uuid, distinct id and every other field are kept, so PostHog still de-duplicates a
 * re-sent event. Every event of a group moves by the same offset, so the order inside a group is
 * unchanged; group keys stay the source's (a day group is the source's day).
 *
 * <p>What each rule did is counted in a {@link Tally}, shown in {@code report.json} as the {@code
 * rules} section (every entry listed by {@link #zeroTally()}).
 */
public final class EventRules implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The {@code report.json} section of the rules' counts. */
  public static final String SECTION = "rules";

  /** The entry of every event the rules saw. */
  public static final String ALL_EVENTS = "all events";

  /** The entry of events dropped because their name matched no include pattern. */
  public static final String NO_INCLUDE_MATCHED = "include: no pattern matched";

  /** No rule: every event passes unchanged. */
  public static final EventRules NONE =
      new EventRules(List.of(), List.of(), Map.of(), List.of(), Duration.ZERO);

  private final ImmutableList<String> include;
  private final ImmutableList<String> exclude;
  private final ImmutableMap<String, String> renames;
  private final ImmutableList<String> dropProperties;
  private final long shiftMicros;
  private final String shiftText;
  private transient @Nullable List<Pattern> includePatterns;
  private transient @Nullable List<Pattern> excludePatterns;
  private transient @Nullable List<Pattern> dropPatterns;

  private EventRules(
      List<String> include,
      List<String> exclude,
      Map<String, String> renames,
      List<String> dropProperties,
      Duration shift) {
    this.include = ImmutableList.copyOf(include);
    this.exclude = ImmutableList.copyOf(exclude);
    this.renames = ImmutableMap.copyOf(renames);
    this.dropProperties = ImmutableList.copyOf(dropProperties);
    this.shiftMicros = shift.toNanos() / 1000;
    this.shiftText = shift.toString();
  }

  /** Rules checked by {@link RuleFlags}: globs not empty, renames without chains. */
  static EventRules of(
      List<String> include,
      List<String> exclude,
      Map<String, String> renames,
      List<String> dropProperties,
      Duration shift) {
    return new EventRules(include, exclude, renames, dropProperties, shift);
  }

  /** Whether there is no rule at all. */
  public boolean isEmpty() {
    return include.isEmpty()
        && exclude.isEmpty()
        && renames.isEmpty()
        && dropProperties.isEmpty()
        && shiftMicros == 0;
  }

  /** The timestamp offset, in microseconds (0 without {@code --shiftTimestamps}). */
  public long shiftMicros() {
    return shiftMicros;
  }

  /**
   * The rules in one line, in the order they apply; the same rules always give the same text (it is
   * part of the migration's identity in {@code run.json}).
   */
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (!include.isEmpty()) {
      parts.add("includeEvents=" + String.join(",", include));
    }
    if (!exclude.isEmpty()) {
      parts.add("excludeEvents=" + String.join(",", exclude));
    }
    if (!renames.isEmpty()) {
      List<String> r = new ArrayList<>();
      renames.forEach((from, to) -> r.add(from + "=" + to));
      parts.add("renameEvents=" + String.join(",", r));
    }
    if (!dropProperties.isEmpty()) {
      parts.add("dropProperties=" + String.join(",", dropProperties));
    }
    if (shiftMicros != 0) {
      parts.add("shiftTimestamps=" + shiftText);
    }
    return parts.isEmpty() ? "none" : String.join("; ", parts);
  }

  /**
   * Every entry with its counters at zero: the account shows each rule, also when it did nothing.
   */
  public Tally zeroTally() {
    Tally t = new Tally();
    t.add(ALL_EVENTS, "in", 0);
    t.add(ALL_EVENTS, "kept", 0);
    t.add(ALL_EVENTS, "filtered", 0);
    include.forEach(g -> t.add(includeEntry(g), "kept", 0));
    if (!include.isEmpty()) {
      t.add(NO_INCLUDE_MATCHED, "dropped", 0);
    }
    exclude.forEach(g -> t.add(excludeEntry(g), "dropped", 0));
    renames.forEach((from, to) -> t.add(renameEntry(from, to), "renamed", 0));
    dropProperties.forEach(g -> t.add(dropEntry(g), "propertiesDropped", 0));
    if (shiftMicros != 0) {
      t.add(shiftEntry(), "shifted", 0);
    }
    return t;
  }

  static String includeEntry(String glob) {
    return "include " + glob;
  }

  static String excludeEntry(String glob) {
    return "exclude " + glob;
  }

  static String renameEntry(String from, String to) {
    return "rename " + from + "=" + to;
  }

  static String dropEntry(String glob) {
    return "dropProperties " + glob;
  }

  String shiftEntry() {
    return "shiftTimestamps " + shiftText;
  }

  /**
   * The name an event named {@code name} (as the source mapped it) is sent under, or null when the
   * include and exclude patterns drop it: what {@link #apply} does to names (for {@code verify},
   * which compares counts per name).
   */
  public @Nullable String sentName(String name) {
    if ((!include.isEmpty() && firstMatch(includePatterns(), name) < 0)
        || firstMatch(excludePatterns(), name) >= 0) {
      return null;
    }
    return renames.getOrDefault(name, name);
  }

  /**
   * The event to send in place of {@code e}, or null when a rule drops it; what happened is added
   * to {@code tally}. Pure apart from the tally.
   */
  public @Nullable CaptureEvent apply(CaptureEvent e, Tally tally) {
    tally.add(ALL_EVENTS, "in", 1);
    String name = e.event();
    if (!include.isEmpty()) {
      int i = firstMatch(includePatterns(), name);
      if (i < 0) {
        tally.add(NO_INCLUDE_MATCHED, "dropped", 1);
        tally.add(ALL_EVENTS, "filtered", 1);
        return null;
      }
      tally.add(includeEntry(include.get(i)), "kept", 1);
    }
    int x = firstMatch(excludePatterns(), name);
    if (x >= 0) {
      tally.add(excludeEntry(exclude.get(x)), "dropped", 1);
      tally.add(ALL_EVENTS, "filtered", 1);
      return null;
    }
    tally.add(ALL_EVENTS, "kept", 1);
    String newName = renames.get(name);
    if (newName != null) {
      tally.add(renameEntry(name, newName), "renamed", 1);
      name = newName;
    }
    String properties = null;
    if (!dropProperties.isEmpty()) {
      properties = dropProperties(e, tally);
    }
    if (shiftMicros != 0) {
      tally.add(shiftEntry(), "shifted", 1);
    }
    if (newName == null && properties == null && shiftMicros == 0) {
      return e;
    }
    return CaptureEvent.of(
        e.uuid(),
        name,
        e.distinctId(),
        e.timestampMicros() + shiftMicros,
        properties != null ? properties : e.propertiesJson());
  }

  /** The properties without the dropped ones, or null when none was dropped. */
  private @Nullable String dropProperties(CaptureEvent e, Tally tally) {
    ObjectNode props;
    try {
      JsonNode n = JSON.readTree(e.propertiesJson());
      if (!(n instanceof ObjectNode)) {
        return null;
      }
      props = (ObjectNode) n;
    } catch (IOException ex) {
      return null; // the writer refuses such an event with its reason
    }
    boolean dropped = false;
    for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      int i = firstMatch(dropPatterns(), field);
      if (i >= 0) {
        it.remove();
        tally.add(dropEntry(dropProperties.get(i)), "propertiesDropped", 1);
        dropped = true;
      }
    }
    return dropped ? props.toString() : null;
  }

  private static int firstMatch(List<Pattern> patterns, String name) {
    for (int i = 0; i < patterns.size(); i++) {
      if (patterns.get(i).matcher(name).matches()) {
        return i;
      }
    }
    return -1;
  }

  private List<Pattern> includePatterns() {
    if (includePatterns == null) {
      includePatterns = compile(include);
    }
    return includePatterns;
  }

  private List<Pattern> excludePatterns() {
    if (excludePatterns == null) {
      excludePatterns = compile(exclude);
    }
    return excludePatterns;
  }

  private List<Pattern> dropPatterns() {
    if (dropPatterns == null) {
      dropPatterns = compile(dropProperties);
    }
    return dropPatterns;
  }

  private static List<Pattern> compile(List<String> globs) {
    List<Pattern> out = new ArrayList<>();
    for (String g : globs) {
      out.add(glob(g));
    }
    return out;
  }

  /** A glob as a regular expression on the whole name: {@code *} any run, {@code ?} one char. */
  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          re.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        re.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  /**
   * What the rules did, counted by report entry and counter (e.g. {@code exclude $pageleave} /
   * {@code dropped}). Not thread-safe: one per worker thread or per shard.
   */
  public static final class Tally implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Separates entry and counter in {@link #flat()} keys. */
    static final String SEPARATOR = "\n";

    private final Map<String, Map<String, Long>> counts = new TreeMap<>();

    public void add(String entry, String counter, long n) {
      counts.computeIfAbsent(entry, k -> new TreeMap<>()).merge(counter, n, Long::sum);
    }

    public boolean isEmpty() {
      return counts.isEmpty();
    }

    /** By entry, then counter. */
    public Map<String, Map<String, Long>> byEntry() {
      return counts;
    }

    /** One {@code entry SEPARATOR counter} key per counter (for summing in a pipeline). */
    public Map<String, Long> flat() {
      Map<String, Long> out = new TreeMap<>();
      counts.forEach((entry, c) -> c.forEach((name, n) -> out.put(entry + SEPARATOR + name, n)));
      return out;
    }

    /** The tally of {@link #flat()} counts. */
    public static Tally fromFlat(Map<String, Long> flat) {
      Tally t = new Tally();
      flat.forEach(
          (key, n) -> {
            int cut = key.lastIndexOf(SEPARATOR);
            t.add(key.substring(0, cut), key.substring(cut + 1), n);
          });
      return t;
    }
  }
}
