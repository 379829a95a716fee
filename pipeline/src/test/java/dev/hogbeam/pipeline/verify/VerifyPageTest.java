package dev.hogbeam.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
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

  /**
   * The page as Debian's {@code chromium} draws it headless: the missing part of day 2 is red
   * (#c62828) and the source bar blue (#5b6ee1), without any script. Skipped when chromium is not
   * installed ({@code .ci/run} installs it).
   */
  @Test
  void headlessChromiumDrawsTheGapInRed() throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    Assumptions.assumeTrue(Files.isExecutable(chromium), "Debian's chromium is not installed");
    Path dir = Files.createDirectories(Path.of("target", "verify-page"));
    Path html = dir.resolve("verify.html");
    Path png = dir.resolve("verify.png");
    Files.writeString(html, VerifyPage.render(report()));
    Files.deleteIfExists(png);
    Process p =
        new ProcessBuilder(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-javascript",
                "--hide-scrollbars",
                "--window-size=1000,760",
                "--screenshot=" + png.toAbsolutePath(),
                html.toAbsolutePath().toUri().toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("chromium.log").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
    assertTrue(Files.size(png) > 1000, "a screenshot was written");
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(pixels(image, 0xc62828) > 100, "the missing events are drawn in red");
    assertTrue(pixels(image, 0x5b6ee1) > 100, "the source bars are drawn");
  }

  private static int pixels(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
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
