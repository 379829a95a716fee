package dev.hogbeam.pipeline.verify;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code verify.html}: one self-contained page (inline CSS, no script, no external asset) with a
 * pair of bars per day, source and PostHog, the gaps coloured (missing red, still arriving amber,
 * unexpected violet), the totals, the verdict, and the table of the (day, event)s that differ.
 */
public final class VerifyPage {
  static final int MAX_TABLE_ROWS = 2000;

  private VerifyPage() {}

  /** Per-day sums. */
  private static final class Day {
    long source;
    long destination;
    long missing;
    long arriving;
    long unexpected;
  }

  public static String render(VerifyReport r) {
    Map<String, Day> days = new TreeMap<>();
    for (CellResult c : r.cells()) {
      Day d = days.computeIfAbsent(c.cell().day(), k -> new Day());
      d.source += c.source();
      d.destination += c.destination();
      d.missing += c.missing();
      d.arriving += c.stillArriving();
      d.unexpected += c.unexpected();
    }
    long max = 1;
    for (Day d : days.values()) {
      max = Math.max(max, Math.max(d.source, d.destination));
    }
    StringBuilder h = new StringBuilder(16384);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<title>hogbeam verify: ")
        .append(esc(r.verdict()))
        .append("</title>\n<style>\n")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d1f27}\n")
        .append("h1{font-size:1.4em}.verdict{padding:.2em .6em;border-radius:4px;color:#fff}\n")
        .append(".complete{background:#1e8a4c}.missing{background:#c62828}")
        .append(".still-arriving{background:#c77700}\n")
        .append("table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}")
        .append("td.l,th.l{text-align:left}\n")
        .append("tr.diff td{background:#fdecea}\n")
        .append(".day{display:grid;grid-template-columns:7em 6em 1fr 10em;align-items:center;")
        .append("gap:2px 8px;margin:6px 0}\n")
        .append(".bar{height:12px;background:#eef0f4;display:flex}\n")
        .append(".bar span{display:block;height:12px}\n")
        .append(".src{background:#5b6ee1}.ok{background:#1e8a4c}.gap{background:#c62828}")
        .append(".arr{background:#e0a000}.unx{background:#8e44ad}\n")
        .append(".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;")
        .append("vertical-align:middle}\n")
        .append("</style></head><body>\n");
    h.append("<h1>hogbeam verify <span class=\"verdict ")
        .append(r.verdict().replace(' ', '-'))
        .append("\">")
        .append(esc(r.verdict()))
        .append("</span></h1>\n");
    h.append("<p>Source: ")
        .append(esc(r.source()))
        .append("<br>PostHog: ")
        .append(esc(r.destination()))
        .append("<br>Range: ")
        .append(esc(r.start().toString()))
        .append(" to ")
        .append(esc(r.end().toString()))
        .append(" (UTC days)<br>Checked at ")
        .append(esc(r.checkedAt().toString()))
        .append("</p>\n");
    h.append("<table><tr><th class=\"l\">total</th><th>source</th><th>PostHog</th>")
        .append("<th>missing</th><th>still arriving</th><th>unexpected</th>")
        .append("<th>dead letters</th></tr>\n<tr><td class=\"l\"></td>")
        .append(td(r.total(CellResult::source)))
        .append(td(r.total(CellResult::destination)))
        .append(td(r.total(CellResult::missing)))
        .append(td(r.total(CellResult::stillArriving)))
        .append(td(r.total(CellResult::unexpected)))
        .append(td(r.total(CellResult::deadLetters)))
        .append("</tr></table>\n");
    h.append("<h2>Per day</h2>\n<p class=\"legend\"><span class=\"src\"></span>source")
        .append("<span class=\"ok\"></span>in PostHog<span class=\"gap\"></span>missing")
        .append("<span class=\"arr\"></span>still arriving")
        .append("<span class=\"unx\"></span>unexpected</p>\n");
    for (Map.Entry<String, Day> e : days.entrySet()) {
      Day d = e.getValue();
      long matched = Math.max(0, d.destination - d.unexpected);
      long gap = d.missing;
      long arriving = d.arriving;
      String cls = d.missing > 0 ? " id=\"gap-" + esc(e.getKey()) + "\"" : "";
      h.append("<div class=\"day\"")
          .append(cls)
          .append("><b>")
          .append(esc(e.getKey()))
          .append("</b><span>source</span><div class=\"bar\">")
          .append(span("src", d.source, max))
          .append("</div><span>")
          .append(VerifyReport.number(d.source))
          .append("</span>\n<span></span><span>PostHog</span><div class=\"bar\">")
          .append(span("ok", matched, max))
          .append(span("unx", d.unexpected, max))
          .append(span("gap", gap, max))
          .append(span("arr", arriving, max))
          .append("</div><span>")
          .append(VerifyReport.number(d.destination))
          .append(d.missing > 0 ? " <b>(" + VerifyReport.number(d.missing) + " missing)</b>" : "")
          .append("</span></div>\n");
    }
    h.append("<h2>What differs</h2>\n");
    int rows = 0;
    StringBuilder t = new StringBuilder();
    for (CellResult c : r.cells()) {
      if (c.status() == CellResult.Status.OK) {
        continue;
      }
      if (rows++ == MAX_TABLE_ROWS) {
        t.append("<tr><td class=\"l\" colspan=\"7\">… more in verify.json</td></tr>\n");
        break;
      }
      t.append("<tr class=\"diff\"><td class=\"l\">")
          .append(esc(c.cell().day()))
          .append("</td><td class=\"l\">")
          .append(esc(c.cell().event()))
          .append("</td>")
          .append(td(c.source()))
          .append(td(c.destination()))
          .append(td(c.missing()))
          .append(td(c.unexpected()))
          .append("<td class=\"l\">")
          .append(esc(c.status().label()))
          .append("</td></tr>\n");
    }
    if (rows == 0) {
      h.append("<p>Every (day, event) matches.</p>\n");
    } else {
      h.append("<table><tr><th class=\"l\">day</th><th class=\"l\">event</th><th>source</th>")
          .append("<th>PostHog</th><th>missing</th><th>unexpected</th><th class=\"l\">status</th>")
          .append("</tr>\n")
          .append(t)
          .append("</table>\n");
    }
    h.append(
            String.format(
                Locale.ROOT,
                "<p>%d source queries, %d PostHog queries (%d answered 429).</p>\n",
                r.sourceQueries(),
                r.destinationQueries(),
                r.throttled()))
        .append("</body></html>\n");
    return h.toString();
  }

  private static String span(String cls, long value, long max) {
    if (value <= 0) {
      return "";
    }
    double pct = Math.max(0.3, 100.0 * value / max);
    return String.format(
        Locale.ROOT, "<span class=\"%s\" style=\"width:%.2f%%\"></span>", cls, pct);
  }

  private static String td(long n) {
    return "<td>" + VerifyReport.number(n) + "</td>";
  }

  static String esc(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
