package dev.hogbeam.pipeline.verify;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The destination side of {@code verify}: HogQL over PostHog's query API ({@link HogQLClient}).
 *
 * <ul>
 *   <li>Counts per (UTC day, event) with {@code count(DISTINCT uuid)}: the destination may hold
 *       copies ReplacingMergeTree has not merged yet. Days are UTC whatever the project's time zone
 *       ({@code toTimeZone(timestamp, 'UTC')}).
 *   <li>Queried {@value #WINDOW_DAYS} days at a time (each query stays far below the API's 10 s of
 *       execution), {@value #PAGE} rows per request (the API's cap), paged by keyset on (day,
 *       event): PostHog refuses OFFSET for personal API keys.
 *   <li>Values are passed as {@code {placeholders}}, never spliced into the query text.
 * </ul>
 */
final class PostHogEvents {
  static final int PAGE = 50_000;
  static final int WINDOW_DAYS = 7;
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final String DAY = "toString(toDate(toTimeZone(timestamp, 'UTC')))";
  private static final String RANGE =
      "timestamp >= toDateTime({start}, 'UTC') AND timestamp < toDateTime({end}, 'UTC')";

  static final String COUNTS =
      "SELECT "
          + DAY
          + " AS day, event, count(DISTINCT uuid) AS uuids, count() AS row_count FROM events"
          + " WHERE "
          + RANGE
          + " AND ("
          + DAY
          + " > {after_day} OR ("
          + DAY
          + " = {after_day} AND event > {after_event}))"
          + " GROUP BY day, event ORDER BY day, event LIMIT "
          + PAGE;

  static final String UUIDS =
      "SELECT DISTINCT toString(uuid) AS u FROM events WHERE "
          + RANGE
          + " AND "
          + DAY
          + " = {day} AND event = {event} AND toString(uuid) > {after} ORDER BY u LIMIT {limit}";

  private final HogQLClient client;

  PostHogEvents(HogQLClient client) {
    this.client = client;
  }

  HogQLClient client() {
    return client;
  }

  /** Distinct uuids per cell in [start, end), or only on {@code days} when not null. */
  SortedMap<DayEvent, Long> counts(Instant start, Instant end, SortedSet<String> days)
      throws IOException, InterruptedException {
    SortedMap<DayEvent, Long> out = new TreeMap<>();
    for (Instant[] w : windows(start, end, days)) {
      String afterDay = "";
      String afterEvent = "";
      while (true) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("start", SECONDS.format(w[0]));
        values.put("end", SECONDS.format(w[1]));
        values.put("after_day", afterDay);
        values.put("after_event", afterEvent);
        List<JsonNode> rows = client.query("counts", COUNTS, values);
        for (JsonNode r : rows) {
          out.put(new DayEvent(r.get(0).asText(), r.get(1).asText()), r.get(2).asLong());
        }
        if (rows.size() < PAGE) {
          break;
        }
        JsonNode last = rows.get(rows.size() - 1);
        afterDay = last.get(0).asText();
        afterEvent = last.get(1).asText();
      }
    }
    if (days != null) {
      out.keySet().removeIf(k -> !days.contains(k.day()));
    }
    return out;
  }

  /** Up to {@code limit} uuids of {@code cell} after {@code after}, in order. */
  List<String> uuidsAfter(Instant start, Instant end, DayEvent cell, String after, int limit)
      throws IOException, InterruptedException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("start", SECONDS.format(start));
    values.put("end", SECONDS.format(end));
    values.put("day", cell.day());
    values.put("event", cell.event());
    values.put("after", after);
    String hogql = UUIDS.replace("{limit}", Integer.toString(Math.min(limit, PAGE)));
    List<String> out = new ArrayList<>();
    for (JsonNode r : client.query("uuids", hogql, values)) {
      out.add(r.get(0).asText());
    }
    return out;
  }

  /**
   * [start, end) cut into windows of at most {@value #WINDOW_DAYS} UTC days; with {@code days},
   * only windows holding one of them (each day alone, for re-checks).
   */
  static List<Instant[]> windows(Instant start, Instant end, SortedSet<String> days) {
    List<Instant[]> out = new ArrayList<>();
    if (days != null) {
      for (String d : days) {
        Instant from = LocalDate.parse(d).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = from.plusSeconds(86_400);
        out.add(new Instant[] {max(from, start), min(to, end)});
      }
      return out;
    }
    Instant from = start;
    while (from.isBefore(end)) {
      Instant dayStart =
          from.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
      Instant to = min(dayStart.plusSeconds(86_400L * WINDOW_DAYS), end);
      out.add(new Instant[] {from, to});
      from = to;
    }
    return out;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
