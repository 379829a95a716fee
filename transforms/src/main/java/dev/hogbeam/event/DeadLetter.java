package dev.hogbeam.event;

import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Something hogbeam could not deliver, kept as data with everything needed to act on it: which
 * stage gave up, where the record came from, the record itself, and why.
 *
 * <p>Stages: {@code read} (a row or line that could not be decoded), {@code map} (a record that
 * does not make a valid event), {@code capture} (an event PostHog refused or that could never be
 * accepted).
 */
@DefaultCoder(SerializableCoder.class)
public final class DeadLetter implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String stage;
  private final String source;
  private final @Nullable String uuid;
  private final String payload;
  private final int status;
  private final String reason;
  private final int attempts;

  private DeadLetter(
      String stage,
      String source,
      @Nullable String uuid,
      String payload,
      int status,
      String reason,
      int attempts) {
    this.stage = checkNotNull(stage, "stage");
    this.source = checkNotNull(source, "source");
    this.uuid = uuid;
    this.payload = checkNotNull(payload, "payload");
    this.status = status;
    this.reason = checkNotNull(reason, "reason");
    this.attempts = attempts;
  }

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
    return new DeadLetter(stage, source, uuid, payload, status, reason, attempts);
  }

  public String stage() {
    return stage;
  }

  public String source() {
    return source;
  }

  public @Nullable String uuid() {
    return uuid;
  }

  public String payload() {
    return payload;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }

  public int attempts() {
    return attempts;
  }

  /** One line of a dead-letter file: a JSON object with every field, payload as a string. */
  public String toJsonLine() {
    ObjectNode n = JSON.createObjectNode();
    n.put("stage", stage);
    n.put("source", source);
    if (uuid != null) {
      n.put("uuid", uuid);
    }
    n.put("status", status);
    n.put("reason", reason);
    n.put("attempts", attempts);
    n.put("payload", payload);
    return n.toString();
  }

  /** Reads a line written by {@link #toJsonLine()}. */
  public static DeadLetter fromJsonLine(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      JsonNode uuid = n.get("uuid");
      return of(
          n.get("stage").asText(),
          n.get("source").asText(),
          uuid == null ? null : uuid.asText(),
          n.get("payload").asText(),
          n.get("status").asInt(),
          n.get("reason").asText(),
          n.get("attempts").asInt());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a dead-letter line: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DeadLetter)) {
      return false;
    }
    DeadLetter d = (DeadLetter) o;
    return status == d.status
        && attempts == d.attempts
        && stage.equals(d.stage)
        && source.equals(d.source)
        && Objects.equals(uuid, d.uuid)
        && payload.equals(d.payload)
        && reason.equals(d.reason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stage, source, uuid, payload, status, reason, attempts);
  }

  @Override
  public String toString() {
    return "DeadLetter{stage="
        + stage
        + ", source="
        + source
        + ", uuid="
        + uuid
        + ", status="
        + status
        + ", reason="
        + reason
        + ", attempts="
        + attempts
        + "}";
  }
}
