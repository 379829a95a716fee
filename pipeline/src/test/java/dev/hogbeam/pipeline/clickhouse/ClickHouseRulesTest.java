package dev.hogbeam.pipeline.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.clickhouse.SourceEvents.Expected;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import dev.hogbeam.testing.PostHogDataGenerator;
import dev.hogbeam.testing.PostHogDataGenerator.EventRow;
import dev.hogbeam.testing.PostHogDataGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Filters and renames ({@code --includeEvents} ... {@code --rulesFile}) and trial runs ({@code
 * --sample}) through {@code hogbeam clickhouse}'s command line: the real ClickHouse engine, the
 * fake capture server, the expected events worked out here from the source table, independently of
 * the code under test.
 */
class ClickHouseRulesTest extends ClickHouseHarness {
  private static final long TWO_HOURS = 2L * 3600 * 1_000_000;
  private static final String[] RULE_FLAGS = {
    "--includeEvents=$*,purchase,Checkout*",
    "--excludeEvents=$rageclick,$page?eave",
    "--renameEvents=Checkout Completed=checkout completed,$autocapture=click",
    "--dropProperties=$current_url,$browser*",
    "--shiftTimestamps=-PT2H"
  };
  private static final String RULES_FILE =
      "{\"includeEvents\": [\"$*\", \"purchase\", \"Checkout*\"],"
          + " \"excludeEvents\": [\"$rageclick\", \"$page?eave\"],"
          + " \"renameEvents\": {\"Checkout Completed\": \"checkout completed\","
          + " \"$autocapture\": \"click\"},"
          + " \"dropProperties\": [\"$current_url\", \"$browser*\"],"
          + " \"shiftTimestamps\": \"-PT2H\"}";

  @Test
  void everyRuleKindGivesTheSameEventsOnTheFusedAndTheShufflePathAndIsCounted() throws Exception {
    String db = load(Layout.GEN3, 150);
    server = FakeCaptureServer.start();
    Map<String, Expected> source = SourceEvents.expected(ch, db, "events", 2, START, END);
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    Map<String, Expected> expected = applyByHand(source, counts);
    assertTrue(counts.get("include: no pattern matched").get("dropped") > 0, "the data tests it");
    assertTrue(counts.get("exclude $page?eave").get("dropped") > 0, "the data tests it");
    assertTrue(counts.get("rename $autocapture=click").get("renamed") > 0, "the data tests it");

    // Fused path (the default with --orderBy=day), rules by flags.
    List<String> fused = new ArrayList<>(args(db, RULE_FLAGS));
    Run a = run(array(fused));
    assertEquals(ExitCodes.OK, a.exitCode(), a.out() + a.err());
    assertTrue(a.out().contains("(--shuffle=fused)"), a.out());
    assertDelivered(expected, server.events());
    assertEquals(expected.size(), server.acceptedEventCount(), "no event arrived twice");
    assertInOrderPerSourceDay(server.events());
    List<String> fusedEvents = sentEvents(server.events());
    assertEquals(counts, report(tmp.resolve("checkpoints")).section("rules"));
    assertEquals(0, report(tmp.resolve("checkpoints")).total(RunReport.DEAD_LETTERS, "records"));
    long in = source.size();
    long kept = expected.size();
    assertTrue(
        a.out()
            .contains(
                String.format(
                    "  rules:     %,d event(s) seen, %,d kept, %,d filtered out%n",
                    in, kept, in - kept)),
        a.out());
    assertTrue(
        a.out()
            .contains(
                "             rename $autocapture=click: "
                    + counts.get("rename $autocapture=click").get("renamed")
                    + " renamed\n"),
        a.out());
    // The printed cursor is in the time of the events as sent: the range's end, shifted.
    assertTrue(
        a.out()
            .contains(
                "cursor:    hb:2024-03-03T21:59:59.999999Z/ffffffff-ffff-ffff-ffff-ffffffffffff"),
        a.out());

    // Shuffle path, the same rules from a file.
    server.reset();
    Path rules = tmp.resolve("rules.json");
    Files.writeString(rules, RULES_FILE);
    List<String> shuffled = new ArrayList<>();
    for (String s : args(db, "--shuffle=groupByKey", "--rulesFile=" + rules)) {
      shuffled.add(
          s.startsWith("--checkpointDir=") ? "--checkpointDir=" + tmp.resolve("shuffled") : s);
    }
    Run b = run(array(shuffled));
    assertEquals(ExitCodes.OK, b.exitCode(), b.out() + b.err());
    assertTrue(b.out().contains("(--shuffle=groupByKey)"), b.out());
    assertDelivered(expected, server.events());
    assertEquals(fusedEvents, sentEvents(server.events()), "both paths send the same events");
    assertEquals(counts, report(tmp.resolve("shuffled")).section("rules"));
  }

  @Test
  void aResumeWithOtherRulesIsRefusedWithTheSameRulesItResumes() throws Exception {
    String db = load(Layout.GEN2, 60);
    server = FakeCaptureServer.start();
    Run first = run(array(args(db, "--excludeEvents=$pageview")));
    assertEquals(ExitCodes.OK, first.exitCode(), first.out() + first.err());
    long sent = server.acceptedEventCount();

    Run other = run(array(args(db, "--excludeEvents=$pageview,$autocapture")));
    assertEquals(ExitCodes.USAGE, other.exitCode(), other.out() + other.err());
    assertTrue(
        other
            .err()
            .contains(
                "holds the checkpoints of a migration with other filters and renames (then:"
                    + " excludeEvents=$pageview; now: excludeEvents=$pageview,$autocapture)"),
        other.err());
    Run none = run(array(args(db)));
    assertEquals(ExitCodes.USAGE, none.exitCode(), none.out() + none.err());
    assertTrue(none.err().contains("(then: excludeEvents=$pageview; now: none)"), none.err());

    Run same = run(array(args(db, "--excludeEvents=$pageview")));
    assertEquals(ExitCodes.OK, same.exitCode(), same.out() + same.err());
    assertEquals(sent, server.acceptedEventCount(), "every group was done: nothing sent again");
  }

  @Test
  void badRulesAreRefusedNamingTheFlag() throws Exception {
    String db = load(Layout.GEN2, 10);
    server = FakeCaptureServer.start();
    Path both = tmp.resolve("both.json");
    Files.writeString(both, "{\"includeEvents\": [\"a*\"]}");
    Path unknown = tmp.resolve("unknown.json");
    Files.writeString(unknown, "{\"renames\": {\"a\": \"b\"}}");
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("--includeEvents=a,,b", "--includeEvents has an empty glob (item 2)");
    cases.put("--excludeEvents=", "--excludeEvents has an empty glob (item 1)");
    cases.put("--renameEvents=a=", "--renameEvents: 'a=' has an empty new name");
    cases.put("--renameEvents==b", "--renameEvents: '=b' has an empty old name");
    cases.put("--renameEvents=a", "--renameEvents: 'a' is not an old=new pair");
    cases.put(
        "--renameEvents=a=b,b=c",
        "--renameEvents renames a to b, which is renamed again (to c): a chain or cycle");
    cases.put(
        "--renameEvents=a=b,b=a",
        "--renameEvents renames a to b, which is renamed again (to a): a chain or cycle");
    cases.put(
        "--shiftTimestamps=2h",
        "--shiftTimestamps=2h is not an ISO-8601 duration (e.g. PT2H, -PT30M, P1D)");
    cases.put(
        "--rulesFile=" + unknown,
        "--rulesFile=" + unknown + ": unknown key \"renames\"; the keys are dropProperties,");
    cases.put(
        "--rulesFile=" + tmp.resolve("missing.json"),
        "--rulesFile=" + tmp.resolve("missing.json") + " cannot be read");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Run r = run(array(args(db, c.getKey())));
      assertEquals(ExitCodes.USAGE, r.exitCode(), c.getKey() + ": " + r.err());
      assertTrue(r.err().contains(c.getValue()), c.getKey() + ": " + r.err());
    }
    Run twice = run(array(args(db, "--rulesFile=" + both, "--includeEvents=b*")));
    assertEquals(ExitCodes.USAGE, twice.exitCode(), twice.err());
    assertTrue(
        twice
            .err()
            .contains(
                "--includeEvents and \"includeEvents\" in --rulesFile="
                    + both
                    + " both give the same rule; give it once"),
        twice.err());
    Run cursor =
        run(
            array(
                args(
                    db,
                    "--shiftTimestamps=PT1H",
                    "--cursor=hb:2024-03-01T10:00:00Z/00000000-0000-0000-0000-000000000000")));
    assertEquals(ExitCodes.USAGE, cursor.exitCode(), cursor.err());
    assertTrue(
        cursor.err().contains("--cursor cannot be combined with --shiftTimestamps"), cursor.err());
    assertEquals(0, server.requestCount());
  }

  @Test
  void sampleShowsTheFirstRecordsBesideTheirEventsOrWhyNotAndSendsNothing() throws Exception {
    String db = load(Layout.GEN3, 60);
    PostHogDataGenerator table = PostHogDataGenerator.existingTable(ch, db, "events", Layout.GEN3);
    String bad = "0190a000-0000-7000-8000-000000000009";
    table.insert(
        EventRow.builder()
            .uuid(bad)
            .teamId(2)
            .timestamp(Instant.parse("2024-03-01T00:00:00.000001Z"))
            .event("")
            .distinctId("u1")
            .properties("{\"long\": \"" + "x".repeat(500) + "\"}")
            .build());
    server = FakeCaptureServer.start();
    List<String> a = new ArrayList<>();
    for (String s : args(db, "--sample=20", "--excludeEvents=$autocapture")) {
      if (!s.startsWith("--posthogUrl=") && !s.startsWith("--posthogApiKey=")) {
        a.add(s);
      }
    }
    Run r = run(array(a));

    assertEquals(ExitCodes.OK, r.exitCode(), r.out() + r.err());
    List<String> entries = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^#(\\d+)  (\\S+)$").matcher(r.out());
    while (m.find()) {
      entries.add(m.group(1));
      assertEquals("team2-2024-03-01", m.group(2), "the plan's first shard first");
    }
    assertEquals(20, entries.size(), r.out());
    assertEquals("1", entries.get(0));
    assertEquals("20", entries.get(19));
    int refused = count(r.out(), "  refused: ");
    int filtered = count(r.out(), "  filtered: exclude $autocapture\n");
    int events = count(r.out(), "  event:   {");
    assertEquals(1, refused, r.out());
    assertTrue(r.out().contains("  refused: event name is empty"), r.out());
    assertTrue(r.out().contains("\"" + bad + "\""), "the refused row is shown: " + r.out());
    // The row's properties (a 512-character string) are cut at 120 characters, with a marker.
    assertTrue(r.out().contains("x".repeat(110) + "…[392 more chars]\""), r.out());
    assertFalse(r.out().contains("x".repeat(111)), r.out());
    assertEquals(20, refused + filtered + events, r.out());
    assertTrue(filtered > 0 && events > 0, r.out());
    assertTrue(
        r.out()
            .contains(
                String.format(
                    "20 record(s): %d would be sent, 1 refused (dead letters), %d filtered out by"
                        + " the rules, 0 dropped by the source's mapping",
                    events, filtered)),
        r.out());
    assertEquals(0, server.requestCount(), "nothing is sent");
    assertFalse(Files.exists(tmp.resolve("checkpoints")), "nothing is written");
  }

  /**
   * The groups stay the source's days (shifted events of a source day may fall on the day before):
   * each source day's events arrive in time order, and no request mixes source days.
   */
  private static void assertInOrderPerSourceDay(List<ReceivedEvent> received) {
    Map<String, Long> last = new TreeMap<>();
    Map<Integer, String> dayOfRequest = new TreeMap<>();
    for (ReceivedEvent r : received) {
      long t = micros(r.timestamp());
      String day = Instant.ofEpochSecond((t + TWO_HOURS) / 1_000_000).toString().substring(0, 10);
      String earlier = dayOfRequest.putIfAbsent(r.requestNumber(), day);
      assertTrue(earlier == null || earlier.equals(day), "request " + r.requestNumber());
      Long before = last.put(day, t);
      assertTrue(before == null || before <= t, "in time order within " + day);
    }
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  /** The events as sent, sorted: uuid, name, distinct id, timestamp, properties. */
  private static List<String> sentEvents(List<ReceivedEvent> received) {
    List<String> out = new ArrayList<>();
    for (ReceivedEvent e : received) {
      out.add(
          e.uuid()
              + " "
              + e.event()
              + " "
              + e.distinctId()
              + " "
              + e.timestamp()
              + " "
              + e.properties());
    }
    out.sort(null);
    return out;
  }

  /** The rules of {@link #RULE_FLAGS}, worked out by hand; their counts into {@code counts}. */
  private static Map<String, Expected> applyByHand(
      Map<String, Expected> source, Map<String, Map<String, Long>> counts) {
    for (String entry :
        List.of(
            "all events/in",
            "all events/kept",
            "all events/filtered",
            "include $*/kept",
            "include purchase/kept",
            "include Checkout*/kept",
            "include: no pattern matched/dropped",
            "exclude $rageclick/dropped",
            "exclude $page?eave/dropped",
            "rename Checkout Completed=checkout completed/renamed",
            "rename $autocapture=click/renamed",
            "dropProperties $current_url/propertiesDropped",
            "dropProperties $browser*/propertiesDropped",
            "shiftTimestamps PT-2H/shifted")) {
      String[] p = entry.split("/");
      counts.computeIfAbsent(p[0], k -> new TreeMap<>()).put(p[1], 0L);
    }
    Map<String, Expected> out = new TreeMap<>();
    for (Expected e : source.values()) {
      add(counts, "all events", "in");
      String name = e.event();
      if (name.startsWith("$")) {
        add(counts, "include $*", "kept");
      } else if (name.equals("purchase")) {
        add(counts, "include purchase", "kept");
      } else if (name.startsWith("Checkout")) {
        add(counts, "include Checkout*", "kept");
      } else {
        add(counts, "include: no pattern matched", "dropped");
        add(counts, "all events", "filtered");
        continue;
      }
      if (name.equals("$rageclick") || name.equals("$pageleave")) {
        add(
            counts,
            name.equals("$rageclick") ? "exclude $rageclick" : "exclude $page?eave",
            "dropped");
        add(counts, "all events", "filtered");
        continue;
      }
      add(counts, "all events", "kept");
      if (name.equals("Checkout Completed")) {
        name = "checkout completed";
        add(counts, "rename Checkout Completed=checkout completed", "renamed");
      } else if (name.equals("$autocapture")) {
        name = "click";
        add(counts, "rename $autocapture=click", "renamed");
      }
      ObjectNode props = e.properties().deepCopy();
      for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
        String field = it.next();
        if (field.equals("$current_url")) {
          it.remove();
          add(counts, "dropProperties $current_url", "propertiesDropped");
        } else if (field.startsWith("$browser")) {
          it.remove();
          add(counts, "dropProperties $browser*", "propertiesDropped");
        }
      }
      add(counts, "shiftTimestamps PT-2H", "shifted");
      out.put(
          e.uuid(),
          new Expected(e.uuid(), name, e.distinctId(), e.timestampMicros() - TWO_HOURS, props));
    }
    return out;
  }

  private static void add(Map<String, Map<String, Long>> counts, String entry, String counter) {
    counts.get(entry).merge(counter, 1L, Long::sum);
  }
}
