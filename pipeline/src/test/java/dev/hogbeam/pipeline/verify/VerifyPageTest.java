package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** verify.html: self-contained, no script, bars per day, the gaps highlighted, escaped names. */
class VerifyPageTest {

  static VerifyReport report() {
    return new VerifyReport(
        "ClickHouse jdbc:clickhouse://ch:8123, `posthog`.`events`, team 2",
        "https://us.posthog.com/api/projects/2/query/",
        Instant.parse("2024-03-01T00:00:00Z"),
        Instant.parse("2024-03-03T00:00:00Z"),
        Instant.parse("2026-12-02T12:00:00Z"),
        List.of(
            new CellResult(
                new DayEvent("2024-03-01", "$pageview"),
                100,
                100,
                0,
                0,
                0,
                0,
                List.of(),
                List.of()),
            new CellResult(
                new DayEvent("2024-03-02", "<script>alert(1)</script>"),
                50,
                13,
                2,
                37,
                0,
                0,
                List.of("0190c0de-0000-7000-8000-000000000001"),
                List.of()),
            new CellResult(
                new DayEvent("2024-03-02", "older tool"),
                0,
                1,
                0,
                0,
                0,
                1,
                List.of(),
                List.of("0190c0de-0000-7000-8000-000000000002"))),
        0,
        1,
        3,
        1);
  }

  @Test
  void pageIsSelfContainedAndShowsTheGaps() {
    String html = VerifyPage.render(report());

    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertFalse(html.contains("<script"), "no script; event names escaped");
    assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assertFalse(
        Pattern.compile("(src|href)\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(),
        "no external asset");
    assertFalse(html.contains("url("), "no external asset in CSS");
    assertTrue(html.contains("class=\"verdict missing\">missing</span>"));
    // Two bars per day: source and PostHog.
    assertEquals(2, count(html, "<div class=\"day\""));
    assertEquals(4, count(html, "<div class=\"bar\">"));
    // Day 2: source 50, PostHog 14 of which 1 unexpected, the 37 missing in red.
    assertTrue(html.contains("id=\"gap-2024-03-02\""));
    assertTrue(html.contains("<span class=\"gap\" style=\"width:37.00%\"></span>"), html);
    assertTrue(html.contains("<span class=\"src\" style=\"width:50.00%\"></span>"));
    assertTrue(html.contains("<span class=\"unx\" style=\"width:1.00%\"></span>"));
    assertTrue(html.contains("<b>(37 missing)</b>"));
    // Only the differing cells in the table.
    assertEquals(2, count(html, "<tr class=\"diff\">"));
    assertTrue(html.contains("1 source queries, 3 PostHog queries (1 answered 429)"));
  }

  @Test
  void tableAndJsonCarryTheSameTotals() throws Exception {
    VerifyReport r = report();
    String table = r.table(60);
    assertTrue(
        table.contains("verdict: missing (1 source queries, 3 PostHog queries, 1 answered 429)"),
        table);
    assertTrue(
        table.lines().anyMatch(l -> l.startsWith("total") && l.contains("150") && l.contains("37")),
        table);
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.toJson());
    assertEquals(37, json.at("/totals/missing").asLong());
    assertEquals(1, json.at("/totals/unexpected").asLong());
    assertEquals(2, json.at("/totals/deadLetters").asLong());
    assertEquals("missing", json.at("/cells/1/status").asText());
    assertEquals(
        "0190c0de-0000-7000-8000-000000000001", json.at("/cells/1/missingUuids/0").asText());
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
