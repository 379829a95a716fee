package dev.hogbeam.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import com.google.auto.value.extension.memoized.Memoized;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Something hogbeam could not deliver, kept as data with everything needed to act on it: which
 * stage gave up, where the record came from, the record itself, and why.
 *
 * <p>Stages: {@code read} (a row or line that could not be decoded), {@code map} (a record that
 * does not make a valid event), {@code capture} (an event PostHog refused or that could never be
 * accepted).
 *
 * <p>{@link #id()} names the record, not the attempt: the same record refused by the same stage (by
 * a retried bundle, or by a resumed run reading it again) has the same id, so the dead-letter
 * record counts it once.
 */
@AutoValue
@DefaultCoder(DeadLetterCoder.class)
public abstract class DeadLetter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code read}, {@code map} or {@code capture}. */
  public abstract String stage();

  /** Where the record came from: a shard id, {@code file:line}, a group key. */
  public abstract String source();

  /** The event's uuid when known. */
  public abstract @Nullable String uuid();

  /** The record as text: a source row as JSON, a source line, or the event as sent. */
  public abstract String payload();

  /** The HTTP status that refused it, or 0 when no request was made. */
  public abstract int status();

  /** A sentence a person can act on. */
  public abstract String reason();

  /** Requests made for it (0 when refused before sending). */
  public abstract int attempts();

  /**
   * @param stage {@code read}, {@code map} or {@code capture}
   * @param source where the record came from: a shard id, {@code file:line}, a group key
   * @param uuid the event's uuid when known
   * @param payload the record as text (a source row as JSON, or the event as sent)
   * @param status the HTTP status that refused it, or 0 when no request was made
   * @param reason a sentence a person can act on
   * @param attempts requests made for it (0 when refused before sending)
   */
  public static DeadLetter of(
      String stage,
      String source,
      @Nullable String uuid,
      String payload,
      int status,
      String reason,
      int attempts) {
    return new AutoValue_DeadLetter(stage, source, uuid, payload, status, reason, attempts);
  }

  /**
   * A stable name of the record: a hash of the stage, source, uuid and payload (not of the status,
   * reason or attempts, which can differ between two attempts at the same record).
   */
  @Memoized
  public String id() {
    Hasher h = Hashing.murmur3_128().newHasher();
    for (String part : new String[] {stage(), source(), uuid() == null ? "" : uuid(), payload()}) {
      h.putInt(part.length()).putString(part, StandardCharsets.UTF_8);
    }
    return h.hash().toString();
  }

  /** One line of a dead-letter file: a JSON object with every field, payload as a string. */
  public String toJsonLine() {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", id());
    n.put("stage", stage());
    n.put("source", source());
    if (uuid() != null) {
      n.put("uuid", uuid());
    }
    n.put("status", status());
    n.put("reason", reason());
    n.put("attempts", attempts());
    n.put("payload", payload());
    return n.toString();
  }

  /** Reads a line written by {@link #toJsonLine()}. */
  public static DeadLetter fromJsonLine(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      JsonNode uuid = n.get("uuid");
      return of(
          JsonFields.text(n, "stage"),
          JsonFields.text(n, "source"),
          uuid == null || uuid.isNull() ? null : uuid.asText(),
          JsonFields.text(n, "payload"),
          n.path("status").asInt(),
          JsonFields.text(n, "reason"),
          n.path("attempts").asInt());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a dead-letter line: " + e.getMessage(), e);
    }
  }
}
