package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.ExitCodes;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The result of one {@code verify}: every (day, event) compared, the totals and the verdict; as
 * {@code verify.json} ({@link #toJson()}), as the printed table ({@link #table(int)}) and as {@code
 * verify.html} ({@link VerifyPage}).
 *
 * @param recheckedFor how long {@code --settleMinutes} waited for differing days to match
 * @param sourceQueries queries run on the source
 * @param destinationQueries requests to PostHog's query API (429s included)
 * @param throttled requests PostHog answered 429
 */
public record VerifyReport(
    String source,
    String destination,
    Instant start,
    Instant end,
    Instant checkedAt,
    List<CellResult> cells,
    long recheckedForSeconds,
    int sourceQueries,
    int destinationQueries,
    int throttled) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The verdict: {@code complete}, {@code still arriving} or {@code missing}. */
  public String verdict() {
    if (total(CellResult::missing) > 0) {
      return "missing";
    }
    if (total(CellResult::stillArriving) > 0) {
      return "still arriving";
    }
    return "complete";
  }

  /** 0 only when nothing is missing and nothing is still arriving; see {@link ExitCodes}. */
  public int exitCode() {
    switch (verdict()) {
      case "missing":
        return ExitCodes.MISSING;
      case "still arriving":
        return ExitCodes.STILL_ARRIVING;
      default:
        return ExitCodes.OK;
    }
  }

  interface Counter {
    long of(CellResult c);
  }

  public long total(Counter counter) {
    long sum = 0;
    for (CellResult c : cells) {
      sum += counter.of(c);
    }
    return sum;
  }

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("verdict", verdict());
    o.put("source", source);
    o.put("destination", destination);
    o.put("start", start.toString());
    o.put("end", end.toString());
    o.put("checkedAt", checkedAt.toString());
    ObjectNode totals = o.putObject("totals");
    totals.put("source", total(CellResult::source));
    totals.put("destination", total(CellResult::destination));
    totals.put("missing", total(CellResult::missing));
    totals.put("stillArriving", total(CellResult::stillArriving));
    totals.put("unexpected", total(CellResult::unexpected));
    totals.put("deadLetters", total(CellResult::deadLetters));
    ObjectNode q = o.putObject("queries");
    q.put("source", sourceQueries);
    q.put("destination", destinationQueries);
    q.put("throttled", throttled);
    o.put("recheckedForSeconds", recheckedForSeconds);
    ArrayNode rows = o.putArray("cells");
    for (CellResult c : cells) {
      ObjectNode r = rows.addObject();
      r.put("day", c.cell().day());
      r.put("event", c.cell().event());
      r.put("status", c.status().label());
      r.put("source", c.source());
      r.put("destination", c.destination());
      r.put("missing", c.missing());
      r.put("stillArriving", c.stillArriving());
      r.put("unexpected", c.unexpected());
      r.put("deadLetters", c.deadLetters());
      if (!c.missingUuids().isEmpty()) {
        c.missingUuids().forEach(r.putArray("missingUuids")::add);
      }
      if (!c.unexpectedUuids().isEmpty()) {
        c.unexpectedUuids().forEach(r.putArray("unexpectedUuids")::add);
      }
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The printed table: every (day, event) when there are at most {@code maxRows}, else the ones
   * that differ (up to {@code maxRows}); then the totals and the verdict.
   */
  public String table(int maxRows) {
    StringBuilder sb = new StringBuilder();
    int eventWidth = "event".length();
    for (CellResult c : cells) {
      eventWidth = Math.max(eventWidth, Math.min(40, c.cell().event().length()));
    }
    String format = "%-10s  %-" + eventWidth + "s  %10s  %11s  %8s  %10s  %s%n";
    sb.append(
        String.format(
            Locale.ROOT,
            format,
            "day",
            "event",
            "source",
            "destination",
            "missing",
            "unexpected",
            "status"));
    boolean all = cells.size() <= maxRows;
    int shown = 0;
    int hidden = 0;
    for (CellResult c : cells) {
      if (!all && c.status() == CellResult.Status.OK) {
        hidden++;
        continue;
      }
      if (shown == maxRows) {
        hidden++;
        continue;
      }
      shown++;
      String event = c.cell().event();
      if (event.length() > 40) {
        event = event.substring(0, 39) + "…";
      }
      String status = c.status().label();
      if (c.stillArriving() > 0 && c.missing() == 0) {
        status += " (" + c.stillArriving() + ")";
      }
      if (c.deadLetters() > 0) {
        status += ", " + c.deadLetters() + " dead letter(s)";
      }
      sb.append(
          String.format(
              Locale.ROOT,
              format,
              c.cell().day(),
              event,
              number(c.source()),
              number(c.destination()),
              number(c.missing()),
              number(c.unexpected()),
              status));
    }
    if (hidden > 0) {
      sb.append("(").append(hidden).append(" more rows in verify.json)\n");
    }
    sb.append(
        String.format(
            Locale.ROOT,
            format,
            "total",
            "",
            number(total(CellResult::source)),
            number(total(CellResult::destination)),
            number(total(CellResult::missing)),
            number(total(CellResult::unexpected)),
            verdict()));
    long arriving = total(CellResult::stillArriving);
    long dead = total(CellResult::deadLetters);
    if (arriving > 0) {
      sb.append(number(arriving))
          .append(" event(s) still arriving: sent recently or PostHog's count still growing;")
          .append(" run verify again later, or with --settleMinutes\n");
    }
    if (dead > 0) {
      sb.append(number(dead))
          .append(
              " dead letter(s) not counted (the migration's dead-letter directory lists them)\n");
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "verdict: %s (%d source queries, %d PostHog queries, %d answered 429)%n",
            verdict(),
            sourceQueries,
            destinationQueries,
            throttled));
    return sb.toString();
  }

  static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
