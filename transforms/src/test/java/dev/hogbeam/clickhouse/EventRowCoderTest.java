package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class EventRowCoderTest {
  static EventRow minimal() {
    return EventRow.builder()
        .uuid("0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5b")
        .event("$pageview")
        .distinctId("user-1")
        .timestampMicros(1714521610123456L)
        .properties("{\"$lib\":\"web\"}")
        .build();
  }

  static EventRow full() {
    EventRow.Builder b =
        minimal().toBuilder()
            .elementsChain("a:href=\"/\"")
            .personId("00000000-0000-0000-0000-000000000000")
            .personProperties("{\"email\":\"x@y\"}")
            .personCreatedAtMicros(-5L)
            .personMode("propertyless");
    for (int i = 0; i < EventRow.GROUPS; i++) {
      b.groupProperties(i, i == 3 ? null : "{\"g\":" + i + "}")
          .groupCreatedAtMicros(i, i == 1 ? null : (long) i);
    }
    return b.build();
  }

  @Test
  void theRegistryUsesItForEventRows() throws Exception {
    assertSame(EventRowCoder.of(), CoderRegistry.createDefault().getCoder(EventRow.class));
  }

  @Test
  void theRegistryUsesTheStatsCoderForShardReadStats() throws Exception {
    assertSame(
        ShardReadStats.Coder.of(), CoderRegistry.createDefault().getCoder(ShardReadStats.class));
    CoderProperties.coderDecodeEncodeEqual(
        ShardReadStats.Coder.of(),
        new ShardReadStats("team2-2024-03-01", 10, 12, 3000, 2, 3, 1, 45));
  }

  @Test
  void roundTripsWithAndWithoutOptionalFields() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(EventRowCoder.of(), minimal());
    CoderProperties.coderDecodeEncodeEqual(EventRowCoder.of(), full());
    CoderProperties.coderDeterministic(EventRowCoder.of(), full(), full());
    assertEquals("", minimal().elementsChain());
  }

  @Test
  void jsonPayloadHasEveryPresentFieldAndToStringNoProperties() throws Exception {
    JsonNode n = new ObjectMapper().readTree(full().toJson());
    assertEquals("2024-05-01T00:00:10.123456Z", n.get("timestamp").asText());
    assertEquals("{\"$lib\":\"web\"}", n.get("properties").asText());
    assertEquals("propertyless", n.get("person_mode").asText());
    assertFalse(n.has("group3_properties"));
    assertEquals("{\"g\":4}", n.get("group4_properties").asText());
    assertFalse(n.has("group1_created_at"));
    assertFalse(new ObjectMapper().readTree(minimal().toJson()).has("person_id"));
    assertFalse(full().toString().contains("email"));
  }

  @Test
  void aRowReadsBackFromItsDeadLetterPayload() {
    assertEquals(full(), EventRow.fromJson(full().toJson()));
    assertEquals(minimal(), EventRow.fromJson(minimal().toJson()));
  }

  @Test
  void propertiesTravelAsTheSameBytesAStringCoderWrites() throws Exception {
    EventRow row = minimal().toBuilder().properties("{\"t\":\"東京 😀 Ærø\"}").build();
    byte[] encoded = CoderUtils.encodeToByteArray(EventRowCoder.of(), row);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    StringUtf8Coder.of().encode(row.uuid(), expected);
    StringUtf8Coder.of().encode(row.event(), expected);
    StringUtf8Coder.of().encode(row.distinctId(), expected);
    VarLongCoder.of().encode(row.timestampMicros(), expected);
    StringUtf8Coder.of().encode("{\"t\":\"東京 😀 Ærø\"}", expected);
    byte[] prefix = expected.toByteArray();
    assertArrayEquals(prefix, Arrays.copyOf(encoded, prefix.length));
    EventRow copy = CoderUtils.decodeFromByteArray(EventRowCoder.of(), encoded);
    assertEquals(row, copy);
    assertEquals("{\"t\":\"東京 😀 Ærø\"}", copy.properties());
  }
}
