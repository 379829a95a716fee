package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReferenceCursorTest {

  /**
   * What migrate.py prints: base64 of json.dumps({"timestamp": ts, "uuid": int(uuid)}), where
   * Python's json.dumps separates with ", " and ": " and int(UUID) is the 128-bit big-endian value.
   */
  static String likeTheScript(long ts, String uuidAsPythonInt) {
    String json = "{\"timestamp\": " + ts + ", \"uuid\": " + uuidAsPythonInt + "}";
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void decodesTheScriptsCursor() {
    // int(UUID("0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5b")) in Python:
    String pyInt = new BigInteger("0189c5e27b3a7d419a2f4c1d2e3f4a5b", 16).toString();
    ReferenceCursor c = ReferenceCursor.decode(likeTheScript(1714521610L, pyInt));
    assertEquals(1714521610L, c.epochSeconds());
    assertEquals("0189c5e2-7b3a-7d41-9a2f-4c1d2e3f4a5b", c.uuid());
  }

  @Test
  void handlesTheExtremesOf128Bits() {
    assertEquals(
        "00000000-0000-0000-0000-000000000000",
        ReferenceCursor.decode(likeTheScript(0, "0")).uuid());
    assertEquals(
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        ReferenceCursor.decode(
                likeTheScript(1, BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE).toString()))
            .uuid());
    assertEquals(
        "80000000-0000-0000-8000-000000000000",
        ReferenceCursor.decode(
                likeTheScript(
                    1, BigInteger.ONE.shiftLeft(127).add(BigInteger.ONE.shiftLeft(63)).toString()))
            .uuid());
  }

  @Test
  void acceptsThePrintedLineAndRoundTrips() {
    ReferenceCursor c =
        ReferenceCursor.of(1714521610L, UUID.fromString("ffffffff-0000-0000-0000-000000000001"));
    assertEquals(c, ReferenceCursor.decode("Cursor:  " + c.encode()));
    assertEquals(c, ReferenceCursor.decode(c.encode() + "\n"));
    assertEquals(
        new String(Base64.getDecoder().decode(c.encode()), StandardCharsets.UTF_8),
        "{\"timestamp\": 1714521610, \"uuid\": "
            + new BigInteger("ffffffff000000000000000000000001", 16)
            + "}");
  }

  @Test
  void refusesWhatTheScriptNeverPrints() {
    assertThrows(IllegalArgumentException.class, () -> ReferenceCursor.decode(""));
    assertThrows(IllegalArgumentException.class, () -> ReferenceCursor.decode("not base64!"));
    assertThrows(
        IllegalArgumentException.class,
        () -> ReferenceCursor.decode(Base64.getEncoder().encodeToString("[1,2]".getBytes())));
    assertThrows(
        IllegalArgumentException.class, () -> ReferenceCursor.decode(likeTheScript(1, "-1")));
    assertThrows(
        IllegalArgumentException.class,
        () -> ReferenceCursor.decode(likeTheScript(1, BigInteger.ONE.shiftLeft(128).toString())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ReferenceCursor.decode(
                Base64.getEncoder()
                    .encodeToString("{\"timestamp\": 1.5, \"uuid\": 3}".getBytes())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ReferenceCursor.decode(
                Base64.getEncoder()
                    .encodeToString("{\"timestamp\": 1, \"uuid\": \"x\"}".getBytes())));
  }

  @Test
  void daysBeforeTheCursorSecondAreAllSent() {
    ReferenceCursor c = ReferenceCursor.of(1714521610L, new UUID(0, 0));
    assertEquals(
        Instant.ofEpochSecond(1714521610L),
        c.earliestUnsent(Instant.parse("2024-04-01T00:00:00Z")));
    assertEquals(
        Instant.parse("2024-06-01T00:00:00Z"),
        c.earliestUnsent(Instant.parse("2024-06-01T00:00:00Z")));
    ReferenceCursor zero = ReferenceCursor.of(0, new UUID(0, 0));
    assertEquals(
        Instant.parse("1969-12-31T00:00:00Z"),
        zero.earliestUnsent(Instant.parse("1969-12-31T00:00:00Z")));
  }
}
