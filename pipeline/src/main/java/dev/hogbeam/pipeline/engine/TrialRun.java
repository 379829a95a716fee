package dev.hogbeam.pipeline.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hogbeam.event.CaptureEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * A trial run ({@code --sample=N}): the first N records of the plan, read and mapped by the
 * source's own code ({@link EventSource#sampler()}) and put through the migration's rules, each
 * printed beside the event that would be sent, or the reason it would not be. Nothing is sent,
 * nothing is written (the command plans with a read-only checkpoint directory and a dry-run
 * destination), no lease is taken.
 *
 * <p>Which records: the plan's shards in plan order (first shard first), each in the order the
 * source's read yields it, until N were seen. Long string values are cut at {@link
 * #MAX_VALUE_CHARS} characters with a marker saying how many were left out.
 */
public final class TrialRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Longest string value printed whole. */
  static final int MAX_VALUE_CHARS = 120;

  private TrialRun() {}

  /** Thrown by the visitor once it has its records; sources let it pass. */
  public static final class Enough extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Enough() {
      super("enough records for the trial run", null, false, false);
    }
  }

  /** What a trial run printed, by outcome. */
  public record Outcome(int records, int wouldSend, int refused, int filtered, int dropped) {}

  /**
   * Prints the first {@code n} records of {@code migration}'s plan; throws IllegalArgumentException
   * when its source has no sampler.
   */
  public static Outcome run(Migration<?> migration, int n, PrintStream out) throws Exception {
    EventSource.Sampler sampler = migration.source().sampler();
    if (sampler == null) {
      throw new IllegalArgumentException(
          "--sample: this source does not offer trial runs (it has no sampler)");
    }
    EventRules rules = migration.setup().rules();
    out.println(migration.plan().description());
    if (!rules.isEmpty()) {
      out.println("  rules: " + rules.describe());
    }
    out.println(
        "trial run: the first "
            + n
            + " record(s) of the plan, read and mapped as the migration would; nothing is sent"
            + " or written");
    int[] c = new int[5];
    try {
      sampler.sample(
          s -> {
            c[0]++;
            out.println();
            out.println("#" + c[0] + "  " + s.origin());
            out.println("  source:  " + shorten(s.record()));
            if (s.event() != null) {
              EventRules.Tally tally = new EventRules.Tally();
              CaptureEvent sent = rules.apply(s.event(), tally);
              if (sent != null) {
                c[1]++;
                out.println("  event:   " + shorten(sent.toJson()));
              } else {
                c[3]++;
                out.println("  filtered: " + droppedBy(tally));
              }
            } else if (s.refused() != null) {
              c[2]++;
              out.println("  refused: " + s.refused());
            } else {
              c[4]++;
              out.println("  dropped: " + s.dropped());
            }
            if (c[0] >= n) {
              throw new Enough();
            }
          });
    } catch (Exception e) {
      if (!isEnough(e)) {
        throw e;
      }
    }
    Outcome o = new Outcome(c[0], c[1], c[2], c[3], c[4]);
    out.println();
    out.println(
        String.format(
            Locale.ROOT,
            "%d record(s)%s: %d would be sent, %d refused (dead letters), %d filtered out by the"
                + " rules, %d dropped by the source's mapping",
            o.records(),
            o.records() < n ? " (the plan holds no more)" : "",
            o.wouldSend(),
            o.refused(),
            o.filtered(),
            o.dropped()));
    return o;
  }

  private static boolean isEnough(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof Enough) {
        return true;
      }
    }
    return false;
  }

  /** The rule that dropped an event: its report entry, e.g. {@code exclude $pageleave}. */
  private static String droppedBy(EventRules.Tally tally) {
    for (Map.Entry<String, Map<String, Long>> e : tally.byEntry().entrySet()) {
      if (e.getValue().getOrDefault("dropped", 0L) > 0) {
        return e.getKey();
      }
    }
    return "the rules";
  }

  /** {@code json} with long string values cut (or the text itself cut, when it is not JSON). */
  static String shorten(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      if (n != null && n.isContainerNode()) {
        return shorten(n).toString();
      }
    } catch (IOException e) {
      // not JSON: cut as text below
    }
    return cut(json, MAX_VALUE_CHARS * 4);
  }

  private static JsonNode shorten(JsonNode n) {
    if (n.isTextual()) {
      return TextNode.valueOf(cut(n.asText(), MAX_VALUE_CHARS));
    }
    if (n instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        e.setValue(shorten(e.getValue()));
      }
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, shorten(a.get(i)));
      }
    }
    return n;
  }

  private static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    return s.substring(0, max) + "…[" + (s.length() - max) + " more chars]";
  }
}
