package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * The resume cursor printed by PostHog's own migration script ({@code migrate.py} in
 * PostHog/posthog-migration-tools): {@code Cursor: <base64 of {"timestamp": <epoch seconds>,
 * "uuid": <uuid as a 128-bit integer>}>}.
 *
 * <p>What it means, read from the script's query: the script selects {@code toInt64(timestamp) AS
 * timestamp}, and because that alias shadows the column inside the same query, its WHERE and ORDER
 * BY see whole seconds, not the stored microseconds. It pages with {@code ORDER BY timestamp, uuid}
 * and resumes with {@code (timestamp, uuid) > (cursor)}, all evaluated by ClickHouse, which orders
 * UUIDs by their last 8 bytes first, then their first 8 bytes. So the rows it had sent when it
 * printed a cursor are exactly those with {@code (toInt64(timestamp), uuid) <= (cursor seconds,
 * cursor uuid)} in ClickHouse's tuple order (within its date range). Several rows can share the
 * cursor's second with any uuid order relative to their sub-second timestamps, which is why Java
 * must not evaluate this itself: {@link #PREDICATE} hands the comparison to ClickHouse.
 */
public final class ReferenceCursor implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
  private static final BigInteger MAX_UUID = BigInteger.ONE.shiftLeft(128);
  private static final BigInteger LOW_64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  /**
   * Keeps exactly the rows the reference script had not yet sent; binds {@link #epochSeconds()}
   * then {@link #uuid()}.
   */
  public static final String PREDICATE = "(toInt64(timestamp), uuid) > (toInt64(?), toUUID(?))";

  private final long epochSeconds;
  private final String uuid;

  private ReferenceCursor(long epochSeconds, String uuid) {
    this.epochSeconds = epochSeconds;
    this.uuid = uuid;
  }

  public static ReferenceCursor of(long epochSeconds, UUID uuid) {
    checkArgument(uuid != null, "uuid must be set");
    return new ReferenceCursor(epochSeconds, uuid.toString());
  }

  /**
   * Decodes the script's cursor text. Accepts the bare base64 text or the whole printed line
   * ({@code Cursor: eyJ0...}). The error names what is wrong, never echoes more than the text.
   */
  public static ReferenceCursor decode(String text) {
    checkArgument(text != null && !text.isBlank(), "reference cursor must not be empty");
    String t = text.trim();
    if (t.regionMatches(true, 0, "Cursor:", 0, 7)) {
      t = t.substring(7).trim();
    }
    byte[] json;
    try {
      json = Base64.getDecoder().decode(t);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "reference cursor is not base64 (expected the text after 'Cursor:' that migrate.py"
              + " printed): "
              + e.getMessage(),
          e);
    }
    JsonNode node;
    try {
      node = JSON.readTree(new String(json, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException("reference cursor does not decode to JSON", e);
    }
    checkArgument(
        node != null && node.isObject(),
        "reference cursor must decode to a JSON object with timestamp and uuid");
    JsonNode ts = node.get("timestamp");
    JsonNode id = node.get("uuid");
    checkArgument(
        ts != null && ts.isIntegralNumber() && ts.canConvertToLong(),
        "reference cursor: timestamp must be an integer number of epoch seconds, but was %s",
        ts);
    checkArgument(
        id != null && id.isIntegralNumber(),
        "reference cursor: uuid must be the uuid as a 128-bit integer, but was %s",
        id);
    BigInteger v = id.bigIntegerValue();
    checkArgument(
        v.signum() >= 0 && v.compareTo(MAX_UUID) < 0,
        "reference cursor: uuid %s is outside the 128-bit range",
        v);
    UUID u = new UUID(v.shiftRight(64).longValue(), v.and(LOW_64).longValue());
    return of(ts.longValue(), u);
  }

  /** The cursor text as the script prints it (without the {@code Cursor:} prefix). */
  public String encode() {
    BigInteger v = new BigInteger(1, toBytes(UUID.fromString(uuid)));
    String json = "{\"timestamp\": " + epochSeconds + ", \"uuid\": " + v + "}";
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] toBytes(UUID u) {
    byte[] b = new byte[16];
    long hi = u.getMostSignificantBits();
    long lo = u.getLeastSignificantBits();
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (hi >>> (56 - 8 * i));
      b[8 + i] = (byte) (lo >>> (56 - 8 * i));
    }
    return b;
  }

  /** Whole epoch seconds of the last row sent ({@code toInt64(timestamp)} of that row). */
  public long epochSeconds() {
    return epochSeconds;
  }

  /** The last row's uuid, canonical lower-case text. */
  public String uuid() {
    return uuid;
  }

  /**
   * The earliest instant a row still to send can have: every row before {@code epochSeconds} was
   * sent. Used to drop whole days from the plan; the exact cut is {@link #PREDICATE}. Only applied
   * for positive seconds ({@code toInt64} truncates toward zero, so before 1970 a fraction of a
   * second below the cursor can still compare equal).
   */
  public Instant earliestUnsent(Instant start) {
    if (epochSeconds <= 0) {
      return start;
    }
    Instant c = Instant.ofEpochSecond(epochSeconds);
    return c.isAfter(start) ? c : start;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReferenceCursor
        && ((ReferenceCursor) o).epochSeconds == epochSeconds
        && ((ReferenceCursor) o).uuid.equals(uuid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(epochSeconds, uuid);
  }

  @Override
  public String toString() {
    return "ReferenceCursor{" + Instant.ofEpochSecond(epochSeconds) + ", " + uuid + "}";
  }
}
