package dev.hogbeam.pipeline.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.pipeline.options.MigrationOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;

/** {@link EventRules} on single events: globs, order of the steps, what is kept, the tally. */
class EventRulesTest {
  private static final String UUID = "0190a000-0000-7000-8000-000000000001";

  private static CaptureEvent event(String name, String props) {
    return CaptureEvent.of(UUID, name, "u1", 1_000_000L, props);
  }

  private static EventRules rules(String... flags) {
    return RuleFlags.from(PipelineOptionsFactory.fromArgs(flags).as(MigrationOptions.class));
  }

  @Test
  void globsMatchWholeNamesWithStarAndQuestionMarkAndNothingElseIsSpecial() {
    EventRules r = rules("--includeEvents=$page?iew,a.*,x+y");
    assertEquals("$pageview", r.sentName("$pageview"));
    assertNull(r.sentName("$pageviews"), "the whole name");
    assertNull(r.sentName("$page_view_"));
    assertEquals("a.b", r.sentName("a.b"));
    assertNull(r.sentName("ab"), ". is no wildcard");
    assertEquals("x+y", r.sentName("x+y"));
    assertNull(r.sentName("xxy"), "+ is no wildcard");
  }

  @Test
  void includeAndExcludeSeeTheSourceNameThenRenameDropAndShift() {
    EventRules r =
        rules(
            "--includeEvents=Signed*",
            "--excludeEvents=*Test",
            "--renameEvents=Signed Up=user signed up",
            "--dropProperties=$ip,email*",
            "--shiftTimestamps=-PT1S");
    EventRules.Tally t = r.zeroTally();
    CaptureEvent out =
        r.apply(event("Signed Up", "{\"$ip\":\"1.2.3.4\",\"email_x\":1,\"keep\":{\"$ip\":2}}"), t);
    assertEquals(UUID, out.uuid());
    assertEquals("user signed up", out.event());
    assertEquals("u1", out.distinctId());
    assertEquals(0L, out.timestampMicros());
    assertEquals("{\"keep\":{\"$ip\":2}}", out.propertiesJson(), "only top-level properties");
    assertNull(r.apply(event("Signed Up Test", "{}"), t));
    assertNull(r.apply(event("Other", "{}"), t));
    assertEquals(
        Map.of(
            "all events", Map.of("in", 3L, "kept", 1L, "filtered", 2L),
            "include Signed*", Map.of("kept", 2L),
            "include: no pattern matched", Map.of("dropped", 1L),
            "exclude *Test", Map.of("dropped", 1L),
            "rename Signed Up=user signed up", Map.of("renamed", 1L),
            "dropProperties $ip", Map.of("propertiesDropped", 1L),
            "dropProperties email*", Map.of("propertiesDropped", 1L),
            "shiftTimestamps PT-1S", Map.of("shifted", 1L)),
        t.byEntry());
  }

  @Test
  void anEventNoRuleChangesIsTheSameObjectAndTheRulesSurviveSerialisation() {
    EventRules r = SerializableUtils.ensureSerializable(rules("--excludeEvents=x"));
    CaptureEvent e = event("y", "{\"a\":1}");
    assertSame(e, r.apply(e, new EventRules.Tally()));
    assertEquals("excludeEvents=x", r.describe());
    assertEquals(
        "none", EventRules.of(List.of(), List.of(), Map.of(), List.of(), Duration.ZERO).describe());
  }
}
