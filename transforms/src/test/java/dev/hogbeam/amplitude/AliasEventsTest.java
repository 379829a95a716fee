package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.order.OrderingKey;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class AliasEventsTest {
  @TempDir Path dir;

  private static long t(String iso) {
    return Timestamps.toMicros(Instant.parse(iso));
  }

  private static int n;

  private static MappedAmplitudeEvent seen(String device, String user, long ts) {
    String uuid = String.format("00000000-0000-4000-8000-%012d", ++n);
    CaptureEvent e = CaptureEvent.of(uuid, "x", user != null ? user : device, ts, "{}");
    return new MappedAmplitudeEvent(e, device, user, null, 0, List.of());
  }

  @Test
  void createAliasEventIsExact() {
    CaptureEvent a = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "dev-1", "user-1", 1234L);
    assertEquals("$create_alias", a.event());
    assertEquals("dev-1", a.distinctId());
    assertEquals(1234L, a.timestampMicros());
    assertEquals(NameUuids.v5("amplitude-alias\n$create_alias\n[\"dev-1\",\"user-1\"]"), a.uuid());
    assertEquals(
        "{\"alias\":\"user-1\",\"$lib\":\"amplitude-import\",\"$geoip_disable\":true}",
        a.propertiesJson());
  }

  @Test
  void identifyEventIsExact() {
    CaptureEvent a = AliasEvents.aliasEvent(AliasMode.IDENTIFY, "dev-1", "user-1", 1234L);
    assertEquals("$identify", a.event());
    assertEquals("user-1", a.distinctId());
    assertEquals(NameUuids.v5("amplitude-alias\n$identify\n[\"dev-1\",\"user-1\"]"), a.uuid());
    assertEquals(
        "{\"$anon_distinct_id\":\"dev-1\",\"$lib\":\"amplitude-import\",\"$geoip_disable\":true}",
        a.propertiesJson());
    assertThrows(
        IllegalArgumentException.class,
        () -> AliasEvents.aliasEvent(AliasMode.NONE, "dev-1", "user-1", 1234L));
  }

  private PCollectionTuple aliases(
      TestPipeline p, OrderingKey key, PCollection<String> recorded, MappedAmplitudeEvent... in) {
    return p.apply(Create.of(List.of(in)))
        .apply("FirstSightings", AliasEvents.firstSightings())
        .apply("NewOnly", AliasEvents.newOnly(AliasMode.CREATE_ALIAS, key, recorded));
  }

  @Test
  void oncePerPairAtItsFirstEventSkippingRefusedIds(TestPipeline p) {
    long t1 = t("2024-05-01T08:00:00.000001Z");
    long t2 = t("2024-05-02T09:00:00Z");
    PCollectionTuple out =
        aliases(
            p,
            OrderingKey.day(),
            null,
            seen("d1", "u1", t("2024-05-03T00:00:00Z")),
            seen("d1", "u1", t1),
            seen("d1", "u1", t2),
            seen("d2", "u1", t2),
            seen("d1", null, t("2024-04-01T00:00:00Z")),
            seen("d3", "null", t1),
            seen("anonymous", "u4", t1),
            seen("same", "same", t1));

    CaptureEvent a1 = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d1", "u1", t1);
    CaptureEvent a2 = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d2", "u1", t2);
    PAssert.that(out.get(AliasEvents.EVENTS))
        .containsInAnyOrder(List.of(KV.of("2024-05-01", a1), KV.of("2024-05-02", a2)));
    PAssert.that(out.get(AliasEvents.NEW_PAIRS))
        .containsInAnyOrder(
            new NewAliasPair(AliasPairs.pairKey("d1", "u1"), "2024-05-01", t1, a1.uuid()),
            new NewAliasPair(AliasPairs.pairKey("d2", "u1"), "2024-05-02", t2, a2.uuid()));
    PAssert.that(out.get(AliasEvents.COUNTS).apply(Sum.longsPerKey()))
        .containsInAnyOrder(
            List.of(
                KV.of(AmplitudeCounts.ALIAS_PAIRS_NEW, 2L),
                KV.of(AmplitudeCounts.ALIAS_PAIRS_REFUSED, 2L)));
    p.run().waitUntilFinish();
    assertEquals(
        EventCursor.of(t1, a1.uuid()),
        new NewAliasPair(AliasPairs.pairKey("d1", "u1"), "2024-05-01", t1, a1.uuid()).cursor());
  }

  @Test
  void aliasEventIsInTheGroupOfItsUser(TestPipeline p) {
    OrderingKey person = OrderingKey.person(64);
    long t1 = t("2024-05-01T08:00:00Z");
    PCollectionTuple out = aliases(p, person, null, seen("d1", "u1", t1));
    PAssert.that(out.get(AliasEvents.EVENTS))
        .containsInAnyOrder(
            List.of(
                KV.of(
                    person.keyFor("u1", 0),
                    AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d1", "u1", t1))));
    p.run().waitUntilFinish();
  }

  @Test
  void pairsInTheStoreAreNotAliasedAgain(TestPipeline p) throws Exception {
    String store = dir.resolve("pairs").toString();
    AliasPairStore.writeFile(store, List.of(AliasPairs.pairKey("d1", "u1")));
    AliasPairStore.writeFile(
        store, List.of(AliasPairs.pairKey("d1", "u1"), AliasPairs.pairKey("d7", "u7")));
    long t1 = t("2024-05-01T08:00:00Z");

    PCollectionTuple out =
        aliases(
            p,
            OrderingKey.day(),
            p.apply("ReadStore", AliasPairStore.read(store)),
            seen("d1", "u1", t1),
            seen("d2", "u2", t1));

    PAssert.that(out.get(AliasEvents.EVENTS))
        .containsInAnyOrder(
            List.of(
                KV.of(
                    "2024-05-01", AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, "d2", "u2", t1))));
    PAssert.that(out.get(AliasEvents.COUNTS).apply(Sum.longsPerKey()))
        .containsInAnyOrder(
            List.of(
                KV.of(AmplitudeCounts.ALIAS_PAIRS_NEW, 1L),
                KV.of(AmplitudeCounts.ALIAS_PAIRS_ALREADY_SENT, 1L)));
    p.run().waitUntilFinish();
  }
}
