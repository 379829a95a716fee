package dev.hogbeam.amplitude;

import static dev.hogbeam.testing.AmplitudeExportZipBuilder.webEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Export files in, keyed PostHog events, dead letters and counts out. */
@ExtendWith(TestPipelineExtension.class)
class ConvertAmplitudeEventsTest {
  private static final String U1 = "11111111-1111-4111-8111-111111111111";
  private static final String U2 = "22222222-2222-4222-8222-222222222222";
  private static final String U3 = "33333333-3333-4333-8333-333333333333";
  private static final String U4 = "44444444-4444-4444-8444-444444444444";
  private static final String T_E1 = "2024-05-01 09:00:00.5";
  private static final String T_E2 = "2024-05-01 09:10:00";
  private static final String T_E4 = "2024-05-02 10:00:00";
  private static final String T_E5 = "2024-05-01 23:59:59.999999";
  private static final String U6 = "66666666-6666-4666-8666-666666666666";
  private static final String T_E6 = "2024-05-02 11:00:00.000001";
  private static final String BLOB = AmplitudeExportZipBuilder.hugeValue(1_200_000);

  @TempDir Path dir;
  private String zipA;
  private String plain;
  private String e5Line;
  private final List<String> badLines = new ArrayList<>();

  private static ObjectNode event(
      String uuid, String type, String user, String device, String time, String insertId) {
    ObjectNode e = webEvent(uuid, type, user, device, time).put("$insert_id", insertId);
    e.put("server_upload_time", time);
    return e;
  }

  @BeforeEach
  void writeExport() {
    ObjectNode e1 = event(U1, "Viewed Home", null, "d1", T_E1, "i1");
    ObjectNode session = event(U1.replace('1', '5'), "session_start", null, "d1", T_E1, "i0");
    ObjectNode e2 = event(U2, "[Amplitude] Page Viewed", "u1", "d1", T_E2, "i2");
    ObjectNode e2Copy = event(U3, "[Amplitude] Page Viewed", "u1", "d1", T_E2, "i2");
    e2Copy.put("server_upload_time", "2024-05-01 09:10:05");
    ObjectNode noIds = event(U3.replace('3', '6'), "Orphan", "EMPTY", "EMPTY", T_E2, "i3");
    ObjectNode e4 = event(U4, "Purchase", "u1", "d1", T_E4, "i4");
    ObjectNode badTime = event(U4.replace('4', '7'), "Late", "u2", "d2", T_E2, "i6");
    badTime.put("event_time", "yesterday");
    ObjectNode e5 = event("abc", "Other", "u2", "d2", T_E5, "i5");
    badLines.add("not json {");
    badLines.add(noIds.toString());
    badLines.add(badTime.toString());
    e5Line = e5.toString();

    zipA =
        new AmplitudeExportZipBuilder("123")
            .file(
                "20240501T09",
                0,
                List.of(e1.toString(), "not json {", session.toString(), e2.toString()))
            .file("20240501T09", 1, List.of(e2Copy.toString(), "", noIds.toString(), e4.toString()))
            .writeTo(dir.resolve("export.zip"))
            .toString();
    // A gzipped file with one huge event, with unicode in its name.
    ObjectNode e6 = event(U6, "Uploaded Photo 📷", "u1", "d1", T_E6, "i7");
    ((ObjectNode) e6.get("event_properties")).put("blob", BLOB).put("caption", "Olá, 世界");
    AmplitudeExportZipBuilder.write(
        dir.resolve("big.json.gz"), AmplitudeExportZipBuilder.gzip(List.of(e6.toString())));
    plain =
        AmplitudeExportZipBuilder.write(
                dir.resolve("extra.json"),
                (badTime + "\n" + e5Line + "\n").getBytes(StandardCharsets.UTF_8))
            .toString();
  }

  private static long micros(String amplitudeTime) {
    return AmplitudeTimes.parseMicros(amplitudeTime);
  }

  /** key|uuid|event|distinct_id|timestamp: what identifies a keyed event. */
  private static PCollection<String> summary(PCollection<KV<String, CaptureEvent>> events) {
    return events.apply(
        "Summarise",
        MapElements.into(TypeDescriptors.strings())
            .via(
                kv ->
                    kv.getKey()
                        + "|"
                        + kv.getValue().uuid()
                        + "|"
                        + kv.getValue().event()
                        + "|"
                        + kv.getValue().distinctId()
                        + "|"
                        + Timestamps.toIso(kv.getValue().timestampMicros())));
  }

  private static String row(String key, String uuid, String event, String distinct, String time) {
    return key + "|" + uuid + "|" + event + "|" + distinct + "|" + Timestamps.toIso(micros(time));
  }

  /** Every count, in the order of {@link AmplitudeCounts#ALL}. */
  private static List<KV<String, Long>> counts(long... values) {
    List<KV<String, Long>> out = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      out.add(KV.of(AmplitudeCounts.ALL.get(i), values[i]));
    }
    return out;
  }

  private ConvertAmplitudeEvents.Result convert(Pipeline p, ConvertAmplitudeEvents convert) {
    return p.apply("Read", AmplitudeIO.readFiles().from(dir + "/*"))
        .getLines()
        .apply("Convert", convert);
  }

  @Test
  void exportFilesBecomeExactlyTheseEventsDeadLettersAndCounts(TestPipeline p) {
    ConvertAmplitudeEvents.Result r = convert(p, ConvertAmplitudeEvents.create());

    String e5Uuid = AmplitudeEventMapper.madeUpUuid("d2", "i5", micros(T_E5), e5Line);
    CaptureEvent alias1 = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d1", "u1", micros(T_E2));
    CaptureEvent alias2 = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d2", "u2", micros(T_E5));
    PAssert.that(summary(r.getEvents()))
        .containsInAnyOrder(
            row("2024-05-01", U1, "Viewed Home", "d1", T_E1),
            row("2024-05-01", U2, "$pageview", "u1", T_E2),
            row("2024-05-02", U4, "Purchase", "u1", T_E4),
            row("2024-05-02", U6, "Uploaded Photo 📷", "u1", T_E6),
            row("2024-05-01", e5Uuid, "Other", "u2", T_E5),
            row("2024-05-01", alias1.uuid(), "$create_alias", "d1", T_E2),
            row("2024-05-01", alias2.uuid(), "$create_alias", "d2", T_E5));

    String entry0 = "file " + zipA + ", entry 123/123_2024-05-01_9#0.json.gz, line ";
    String entry1 = "file " + zipA + ", entry 123/123_2024-05-01_9#1.json.gz, line ";
    PAssert.that(r.getDeadLetters())
        .containsInAnyOrder(
            DeadLetter.of(
                "map",
                entry0 + "2",
                null,
                badLines.get(0),
                0,
                "not valid JSON: Unrecognized token 'not': was expecting (JSON String, Number,"
                    + " Array, Object or token 'null', 'true' or 'false')",
                0),
            DeadLetter.of(
                "map",
                entry1 + "3",
                U3.replace('3', '6'),
                badLines.get(1),
                0,
                "neither user_id nor device_id",
                0),
            DeadLetter.of(
                "map",
                "file " + plain + ", line 1",
                U4.replace('4', '7'),
                badLines.get(2),
                0,
                "event_time 'yesterday' is not a time of the form YYYY-MM-DD HH:MM:SS[.ffffff]",
                0));
    PAssert.that(r.getCounts()).containsInAnyOrder(counts(1, 1, 2, 0, 0, 0));
    PAssert.that(r.getEvents())
        .satisfies(
            all -> {
              for (KV<String, CaptureEvent> kv : all) {
                if (kv.getValue().uuid().equals(U6)) {
                  String json = kv.getValue().propertiesJson();
                  assertTrue(json.contains("\"blob\":\"" + BLOB + "\""), "blob whole");
                  assertTrue(json.contains("\"caption\":\"Olá, 世界\""), json.substring(0, 200));
                  return null;
                }
              }
              throw new AssertionError("the huge event is missing");
            });
    PAssert.that(r.getNewAliasPairs())
        .containsInAnyOrder(
            new NewAliasPair(
                AliasPairs.pairKey("d1", "u1"), "2024-05-01", micros(T_E2), alias1.uuid()),
            new NewAliasPair(
                AliasPairs.pairKey("d2", "u2"), "2024-05-01", micros(T_E5), alias2.uuid()));
    p.run().waitUntilFinish();
  }

  @Test
  void personOrderingPutsTheAliasWithItsUsersEvents(TestPipeline p) {
    OrderingKey person = OrderingKey.person(16);
    ConvertAmplitudeEvents.Result r =
        convert(
            p,
            ConvertAmplitudeEvents.create()
                .withOrderingKey(person)
                .withAliasMode(AliasMode.IDENTIFY));
    String u1 = person.keyFor("u1", 0);
    String u2 = person.keyFor("u2", 0);
    String e5Uuid = AmplitudeEventMapper.madeUpUuid("d2", "i5", micros(T_E5), e5Line);
    CaptureEvent alias1 = AliasEvents.aliasEvent(AliasMode.IDENTIFY, "d1", "u1", micros(T_E2));
    CaptureEvent alias2 = AliasEvents.aliasEvent(AliasMode.IDENTIFY, "d2", "u2", micros(T_E5));
    PAssert.that(summary(r.getEvents()))
        .containsInAnyOrder(
            row(person.keyFor("d1", 0), U1, "Viewed Home", "d1", T_E1),
            row(u1, U2, "$pageview", "u1", T_E2),
            row(u1, U4, "Purchase", "u1", T_E4),
            row(u1, U6, "Uploaded Photo 📷", "u1", T_E6),
            row(u2, e5Uuid, "Other", "u2", T_E5),
            row(u1, alias1.uuid(), "$identify", "u1", T_E2),
            row(u2, alias2.uuid(), "$identify", "u2", T_E5));
    p.run().waitUntilFinish();
  }

  @Test
  void aSecondRunDoesNotAliasThePairsTheFirstRecorded(TestPipeline first) {
    String store = dir.resolve("alias-pairs").toString();
    ConvertAmplitudeEvents.Result run1 = convert(first, ConvertAmplitudeEvents.create());
    run1.getNewAliasPairs()
        .apply("PairKeys", MapElements.into(TypeDescriptors.strings()).via(NewAliasPair::pairKey))
        .apply("Record", AliasPairStore.write(store));
    first.run().waitUntilFinish();

    Pipeline second = Pipeline.create();
    ConvertAmplitudeEvents.Result run2 =
        convert(
            second,
            ConvertAmplitudeEvents.create()
                .withRecordedAliasPairs(second.apply("Recorded", AliasPairStore.read(store))));
    PAssert.that(
            summary(run2.getEvents())
                .apply(
                    "EventNames",
                    MapElements.into(TypeDescriptors.strings()).via(s -> s.split("\\|")[2])))
        .containsInAnyOrder("Viewed Home", "$pageview", "Purchase", "Uploaded Photo 📷", "Other");
    PAssert.that(run2.getNewAliasPairs()).empty();
    PAssert.that(run2.getCounts()).containsInAnyOrder(counts(1, 1, 0, 2, 0, 0));
    second.run().waitUntilFinish();
  }

  @Test
  void groupIdentifyCarriesEachGroupsLatestProperties(TestPipeline p) throws Exception {
    ObjectNode a = event("aaaaaaaa-0000-4000-8000-000000000001", "A", "u1", "d1", T_E1, "g1");
    a.putObject("group_properties").putObject("company").putObject("acme").put("plan", "free");
    a.putObject("groups").putArray("company").add("acme");
    ObjectNode b = event("aaaaaaaa-0000-4000-8000-000000000002", "B", "u1", "d1", T_E4, "g2");
    ObjectNode gp = b.putObject("group_properties");
    gp.putObject("company").putObject("acme").put("plan", "paid").put("seats", 12);
    ObjectNode c = event("aaaaaaaa-0000-4000-8000-000000000003", "C", "u2", "d2", T_E2, "g3");
    c.putObject("group_properties")
        .putObject("team")
        .putObject("blue")
        .put("size", "EMPTY")
        .put("lead", "ana");
    Path only = dir.resolve("groups");
    AmplitudeExportZipBuilder.write(
        only.resolve("g.json"), (a + "\n" + c + "\n" + b + "\n").getBytes(StandardCharsets.UTF_8));

    ConvertAmplitudeEvents.Result r =
        p.apply("Read", AmplitudeIO.readFiles().from(only + "/*"))
            .getLines()
            .apply(
                "Convert",
                ConvertAmplitudeEvents.create()
                    .withAliasMode(AliasMode.NONE)
                    .withGroupIdentify(true));

    CaptureEvent acme =
        GroupIdentifyEvents.groupIdentifyEvent(
            "company", "acme", "{\"plan\":\"paid\",\"seats\":12}", micros(T_E4));
    CaptureEvent blue =
        GroupIdentifyEvents.groupIdentifyEvent("team", "blue", "{\"lead\":\"ana\"}", micros(T_E2));
    PAssert.that(r.getEvents())
        .satisfies(
            all -> {
              List<KV<String, CaptureEvent>> groups = new ArrayList<>();
              for (KV<String, CaptureEvent> kv : all) {
                if (kv.getValue().event().equals("$groupidentify")) {
                  groups.add(kv);
                }
              }
              assertEquals(2, groups.size(), groups.toString());
              assertTrue(groups.contains(KV.of("2024-05-02", acme)));
              assertTrue(groups.contains(KV.of("2024-05-01", blue)));
              return null;
            });
    PAssert.that(r.getCounts()).containsInAnyOrder(counts(0, 0, 0, 0, 0, 2));
    PAssert.that(r.getNewAliasPairs()).empty();
    p.run().waitUntilFinish();

    assertEquals("$company_acme", acme.distinctId());
    assertEquals(
        "{\"$group_type\":\"company\",\"$group_key\":\"acme\",\"$group_set\":{\"plan\":\"paid\","
            + "\"seats\":12},\"$lib\":\"amplitude-import\",\"$geoip_disable\":true}",
        acme.propertiesJson());
    assertEquals(
        NameUuids.v5("amplitude-groupidentify\ncompany\nacme\n{\"plan\":\"paid\",\"seats\":12}"),
        acme.uuid());
    assertEquals(Instant.parse("2024-05-02T10:00:00Z"), acme.timestamp());
  }
}
