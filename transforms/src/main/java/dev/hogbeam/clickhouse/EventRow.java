package dev.hogbeam.clickhouse;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.event.JsonFields;
import dev.hogbeam.event.Timestamps;
import java.io.IOException;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One row of PostHog's events table as read, before mapping: the fields an event needs, and the
 * person and group columns when the table has them (kept for later use, not sent by default).
 *
 * <p>{@code elementsChain} is empty when the row has none or the table lacks the column. The
 * optional fields are null when the table lacks the column (older schemas); rows older than
 * PostHog's person-on-events backfill hold zero UUIDs and empty strings there, as stored.
 */
@DefaultCoder(EventRowCoder.class)
public final class EventRow implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final JsonFactory JSON = new JsonFactory();

  /** PostHog's group slots: group0 .. group4. */
  public static final int GROUPS = 5;

  private final String uuid;
  private final String event;
  private final String distinctId;
  private final long timestampMicros;

  /** UTF-8 text of the properties column; never modified, never handed out. */
  private final byte[] properties;

  private final String elementsChain;
  private final @Nullable String personId;
  private final @Nullable String personProperties;
  private final @Nullable Long personCreatedAtMicros;
  private final @Nullable String[] groupProperties;
  private final @Nullable Long[] groupCreatedAtMicros;
  private final @Nullable String personMode;

  private EventRow(Builder b) {
    this.uuid = checkNotNull(b.uuid, "uuid");
    this.event = checkNotNull(b.event, "event");
    this.distinctId = checkNotNull(b.distinctId, "distinctId");
    this.timestampMicros = b.timestampMicros;
    this.properties = checkNotNull(b.properties, "properties");
    this.elementsChain = b.elementsChain == null ? "" : b.elementsChain;
    this.personId = b.personId;
    this.personProperties = b.personProperties;
    this.personCreatedAtMicros = b.personCreatedAtMicros;
    this.groupProperties = b.groupProperties.clone();
    this.groupCreatedAtMicros = b.groupCreatedAtMicros.clone();
    this.personMode = b.personMode;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The row's uuid as ClickHouse prints it (canonical lower-case text). */
  public String uuid() {
    return uuid;
  }

  public String event() {
    return event;
  }

  public String distinctId() {
    return distinctId;
  }

  /** Epoch microseconds, UTC, exactly as stored. */
  public long timestampMicros() {
    return timestampMicros;
  }

  /**
   * The properties column as stored (normally a JSON object's text), decoded on each call: the row
   * keeps the UTF-8 bytes, which {@link EventRowCoder} copies and {@link MapPostHogEvents} rewrites
   * without decoding them.
   */
  public String properties() {
    return new String(properties, UTF_8);
  }

  /** The properties' UTF-8 bytes, for this package's coder and mapping. Do not modify. */
  byte[] propertiesUtf8() {
    return properties;
  }

  /** The autocapture chain; empty when none. */
  public String elementsChain() {
    return elementsChain;
  }

  public @Nullable String personId() {
    return personId;
  }

  public @Nullable String personProperties() {
    return personProperties;
  }

  public @Nullable Long personCreatedAtMicros() {
    return personCreatedAtMicros;
  }

  /** {@code group{slot}_properties}, null when the table lacks it. */
  public @Nullable String groupProperties(int slot) {
    return groupProperties[slot];
  }

  /** {@code group{slot}_created_at} in epoch microseconds, null when the table lacks it. */
  public @Nullable Long groupCreatedAtMicros(int slot) {
    return groupCreatedAtMicros[slot];
  }

  /** {@code person_mode} by name ({@code full}, {@code propertyless}, ...), or null. */
  public @Nullable String personMode() {
    return personMode;
  }

  public Builder toBuilder() {
    Builder b =
        new Builder()
            .uuid(uuid)
            .event(event)
            .distinctId(distinctId)
            .timestampMicros(timestampMicros)
            .propertiesUtf8(properties)
            .elementsChain(elementsChain)
            .personId(personId)
            .personProperties(personProperties)
            .personCreatedAtMicros(personCreatedAtMicros)
            .personMode(personMode);
    for (int i = 0; i < GROUPS; i++) {
      b.groupProperties(i, groupProperties[i]).groupCreatedAtMicros(i, groupCreatedAtMicros[i]);
    }
    return b;
  }

  /**
   * The row as a JSON object (every present field; properties as a string, exactly as stored), used
   * as the payload of dead letters.
   */
  public String toJson() {
    StringWriter w = new StringWriter(properties.length + elementsChain.length() + 256);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("uuid", uuid);
      g.writeStringField("event", event);
      g.writeStringField("distinct_id", distinctId);
      g.writeStringField("timestamp", Timestamps.toIso(timestampMicros));
      g.writeStringField("properties", properties());
      g.writeStringField("elements_chain", elementsChain);
      writeIfSet(g, "person_id", personId);
      writeIfSet(g, "person_properties", personProperties);
      writeMicrosIfSet(g, "person_created_at", personCreatedAtMicros);
      for (int i = 0; i < GROUPS; i++) {
        writeIfSet(g, "group" + i + "_properties", groupProperties[i]);
      }
      for (int i = 0; i < GROUPS; i++) {
        writeMicrosIfSet(g, "group" + i + "_created_at", groupCreatedAtMicros[i]);
      }
      writeIfSet(g, "person_mode", personMode);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  /**
   * Reads a row written by {@link #toJson()} (a dead letter's payload, possibly corrected by hand),
   * for {@code --retryDeadLetters}. Throws IllegalArgumentException naming what is wrong.
   */
  public static EventRow fromJson(String json) {
    try {
      JsonNode n = new ObjectMapper().readTree(json);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Builder b =
          builder()
              .uuid(JsonFields.text(n, "uuid"))
              .event(JsonFields.text(n, "event"))
              .distinctId(JsonFields.text(n, "distinct_id"))
              .timestampMicros(Timestamps.toMicros(Instant.parse(JsonFields.text(n, "timestamp"))))
              .properties(JsonFields.text(n, "properties"))
              .elementsChain(JsonFields.optionalText(n, "elements_chain"))
              .personId(JsonFields.optionalText(n, "person_id"))
              .personProperties(JsonFields.optionalText(n, "person_properties"))
              .personCreatedAtMicros(optionalMicros(n, "person_created_at"))
              .personMode(JsonFields.optionalText(n, "person_mode"));
      for (int i = 0; i < GROUPS; i++) {
        b.groupProperties(i, JsonFields.optionalText(n, "group" + i + "_properties"))
            .groupCreatedAtMicros(i, optionalMicros(n, "group" + i + "_created_at"));
      }
      return b.build();
    } catch (IOException | DateTimeParseException e) {
      throw new IllegalArgumentException("not a row of the events table: " + e.getMessage(), e);
    }
  }

  private static @Nullable Long optionalMicros(JsonNode n, String field) {
    String v = JsonFields.optionalText(n, field);
    return v == null ? null : Timestamps.toMicros(Instant.parse(v));
  }

  private static void writeIfSet(JsonGenerator g, String name, @Nullable String value)
      throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static void writeMicrosIfSet(JsonGenerator g, String name, @Nullable Long value)
      throws IOException {
    if (value != null) {
      g.writeStringField(name, Timestamps.toIso(value));
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof EventRow)) {
      return false;
    }
    EventRow r = (EventRow) o;
    return timestampMicros == r.timestampMicros
        && uuid.equals(r.uuid)
        && event.equals(r.event)
        && distinctId.equals(r.distinctId)
        && Arrays.equals(properties, r.properties)
        && elementsChain.equals(r.elementsChain)
        && Objects.equals(personId, r.personId)
        && Objects.equals(personProperties, r.personProperties)
        && Objects.equals(personCreatedAtMicros, r.personCreatedAtMicros)
        && Arrays.equals(groupProperties, r.groupProperties)
        && Arrays.equals(groupCreatedAtMicros, r.groupCreatedAtMicros)
        && Objects.equals(personMode, r.personMode);
  }

  @Override
  public int hashCode() {
    return Objects.hash(uuid, event, distinctId, timestampMicros, properties.length);
  }

  /** Identifies the row without its properties (which may hold personal data). */
  @Override
  public String toString() {
    return "EventRow{uuid="
        + uuid
        + ", event="
        + event
        + ", timestamp="
        + Timestamps.toIso(timestampMicros)
        + "}";
  }

  /** Builds an {@link EventRow}; uuid, event, distinctId and properties are required. */
  public static final class Builder {
    private @Nullable String uuid;
    private @Nullable String event;
    private @Nullable String distinctId;
    private long timestampMicros;
    private byte @Nullable [] properties;
    private @Nullable String elementsChain;
    private @Nullable String personId;
    private @Nullable String personProperties;
    private @Nullable Long personCreatedAtMicros;
    private final @Nullable String[] groupProperties = new String[GROUPS];
    private final @Nullable Long[] groupCreatedAtMicros = new Long[GROUPS];
    private @Nullable String personMode;

    private Builder() {}

    public Builder uuid(String v) {
      uuid = v;
      return this;
    }

    public Builder event(String v) {
      event = v;
      return this;
    }

    public Builder distinctId(String v) {
      distinctId = v;
      return this;
    }

    public Builder timestampMicros(long v) {
      timestampMicros = v;
      return this;
    }

    public Builder properties(String v) {
      properties = v == null ? null : v.getBytes(UTF_8);
      return this;
    }

    /** The properties as UTF-8 bytes, which the row then owns (the caller must not change them). */
    Builder propertiesUtf8(byte[] v) {
      properties = v;
      return this;
    }

    public Builder elementsChain(@Nullable String v) {
      elementsChain = v;
      return this;
    }

    public Builder personId(@Nullable String v) {
      personId = v;
      return this;
    }

    public Builder personProperties(@Nullable String v) {
      personProperties = v;
      return this;
    }

    public Builder personCreatedAtMicros(@Nullable Long v) {
      personCreatedAtMicros = v;
      return this;
    }

    public Builder groupProperties(int slot, @Nullable String v) {
      checkArgument(slot >= 0 && slot < GROUPS, "group slot must be 0..4, but was %s", slot);
      groupProperties[slot] = v;
      return this;
    }

    public Builder groupCreatedAtMicros(int slot, @Nullable Long v) {
      checkArgument(slot >= 0 && slot < GROUPS, "group slot must be 0..4, but was %s", slot);
      groupCreatedAtMicros[slot] = v;
      return this;
    }

    public Builder personMode(@Nullable String v) {
      personMode = v;
      return this;
    }

    public EventRow build() {
      return new EventRow(this);
    }
  }
}
