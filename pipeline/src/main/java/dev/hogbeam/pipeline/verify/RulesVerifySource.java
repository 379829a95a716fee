package dev.hogbeam.pipeline.verify;

import dev.hogbeam.pipeline.engine.EventRules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A source side of {@code verify} seen through the migration's filters and renames ({@link
 * EventRules}, recorded in {@code migration.json} with its flags): cells of excluded names are not
 * expected in PostHog, cells of renamed names are expected under the new name (merged with a cell
 * already of that name). Dead letters of the source's mapping are refused before the rules; a
 * filtered cell keeps them, with no event expected. Dropped properties change no count.
 *
 * <p>Shifted timestamps move events across days, which per-day counts of the source cannot follow:
 * such a migration is refused, clearly ({@link #of}).
 */
final class RulesVerifySource implements VerifySource {
  private final VerifySource source;
  private final EventRules rules;
  private Map<DayEvent, List<DayEvent>> sourceCells = new TreeMap<>();

  private RulesVerifySource(VerifySource source, EventRules rules) {
    this.source = source;
    this.rules = rules;
  }

  /** {@code source} through {@code rules}; itself without rules. */
  static VerifySource of(VerifySource source, EventRules rules) {
    if (rules.isEmpty()) {
      return source;
    }
    if (rules.shiftMicros() != 0) {
      throw new IllegalArgumentException(
          "verify cannot compare a migration made with --shiftTimestamps (its rules: "
              + rules.describe()
              + "): the source's per-day counts cannot follow events moved across days. Compare"
              + " the report's counts instead, or migrate without the shift to verify");
    }
    return new RulesVerifySource(source, rules);
  }

  @Override
  public Instant start() {
    return source.start();
  }

  @Override
  public Instant end() {
    return source.end();
  }

  @Override
  public String describe() {
    return source.describe() + ", through the rules " + rules.describe();
  }

  @Override
  public SortedMap<DayEvent, Count> counts() throws Exception {
    SortedMap<DayEvent, Count> out = new TreeMap<>();
    Map<DayEvent, List<DayEvent>> cells = new TreeMap<>();
    for (Map.Entry<DayEvent, Count> e : source.counts().entrySet()) {
      DayEvent from = e.getKey();
      Count c = e.getValue();
      String name = rules.sentName(from.event());
      if (name == null) {
        if (c.deadLetters() > 0) {
          out.merge(from, new Count(0, c.deadLetters()), RulesVerifySource::sum);
        }
        continue;
      }
      DayEvent to = new DayEvent(from.day(), name);
      out.merge(to, c, RulesVerifySource::sum);
      cells.computeIfAbsent(to, k -> new ArrayList<>()).add(from);
    }
    sourceCells = cells;
    return out;
  }

  private static Count sum(Count a, Count b) {
    return new Count(a.events() + b.events(), a.deadLetters() + b.deadLetters());
  }

  /** The uuids of every source cell sent as {@code cell}, merged in order. */
  @Override
  public List<String> uuidsAfter(DayEvent cell, String after, int limit) throws Exception {
    TreeSet<String> merged = new TreeSet<>();
    for (DayEvent from : sourceCells.getOrDefault(cell, List.of())) {
      merged.addAll(source.uuidsAfter(from, after, limit));
    }
    List<String> out = new ArrayList<>();
    for (String u : merged) {
      if (out.size() == limit) {
        break;
      }
      out.add(u);
    }
    return out;
  }

  @Override
  public Set<String> notCompared() {
    return source.notCompared();
  }

  @Override
  public int queries() {
    return source.queries();
  }

  @Override
  public void close() throws Exception {
    source.close();
  }
}
