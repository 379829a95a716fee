package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.values.ValueCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A mapped Amplitude event: the PostHog event plus what the later Amplitude stages need and the
 * event itself does not say plainly: the identities (for aliases and ordering keys), the
 * de-duplication key and tie-breaker, and the group property snapshots (for {@code
 * $groupidentify}).
 */
@DefaultCoder(MappedAmplitudeEvent.Coder.class)
public final class MappedAmplitudeEvent implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Sorts after every real upload time: copies without one lose de-duplication ties. */
  static final long NO_UPLOAD_TIME = Long.MAX_VALUE;

  private final CaptureEvent event;
  private final @Nullable String deviceId;
  private final @Nullable String userId;
  private final @Nullable String insertId;
  private final long serverUploadMicros;
  private final List<GroupSnapshot> groupSnapshots;

  MappedAmplitudeEvent(
      CaptureEvent event,
      @Nullable String deviceId,
      @Nullable String userId,
      @Nullable String insertId,
      long serverUploadMicros,
      List<GroupSnapshot> groupSnapshots) {
    this.event = checkNotNull(event, "event");
    this.deviceId = deviceId;
    this.userId = userId;
    this.insertId = insertId;
    this.serverUploadMicros = serverUploadMicros;
    this.groupSnapshots = List.copyOf(groupSnapshots);
  }

  /** The event as it will be sent. */
  public CaptureEvent event() {
    return event;
  }

  /** Amplitude's device_id, when usable (present, not blank, not "EMPTY"). */
  public @Nullable String deviceId() {
    return deviceId;
  }

  /** Amplitude's user_id, when usable. */
  public @Nullable String userId() {
    return userId;
  }

  /** The person this event belongs to: the user id if any, else the device id. */
  public String personId() {
    return userId != null ? userId : checkNotNull(deviceId, "an event has a user or device id");
  }

  /** Amplitude's {@code $insert_id}, when usable. */
  public @Nullable String insertId() {
    return insertId;
  }

  /** server_upload_time in epoch micros, or {@link #NO_UPLOAD_TIME}. */
  public long serverUploadMicros() {
    return serverUploadMicros;
  }

  /** The group properties this event carried (only collected when group identify is on). */
  public List<GroupSnapshot> groupSnapshots() {
    return groupSnapshots;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MappedAmplitudeEvent)) {
      return false;
    }
    MappedAmplitudeEvent m = (MappedAmplitudeEvent) o;
    return serverUploadMicros == m.serverUploadMicros
        && event.equals(m.event)
        && Objects.equals(deviceId, m.deviceId)
        && Objects.equals(userId, m.userId)
        && Objects.equals(insertId, m.insertId)
        && groupSnapshots.equals(m.groupSnapshots);
  }

  @Override
  public int hashCode() {
    return Objects.hash(event, deviceId, userId, insertId, serverUploadMicros, groupSnapshots);
  }

  @Override
  public String toString() {
    return "MappedAmplitudeEvent{" + event + "}";
  }

  /** The properties of one group (type, key) as an event carried them, as JSON object text. */
  public static final class GroupSnapshot implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String type;
    private final String key;
    private final String propertiesJson;

    GroupSnapshot(String type, String key, String propertiesJson) {
      this.type = type;
      this.key = key;
      this.propertiesJson = propertiesJson;
    }

    public String type() {
      return type;
    }

    public String key() {
      return key;
    }

    public String propertiesJson() {
      return propertiesJson;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof GroupSnapshot
          && ((GroupSnapshot) o).type.equals(type)
          && ((GroupSnapshot) o).key.equals(key)
          && ((GroupSnapshot) o).propertiesJson.equals(propertiesJson);
    }

    @Override
    public int hashCode() {
      return Objects.hash(type, key, propertiesJson);
    }

    @Override
    public String toString() {
      return "GroupSnapshot{" + type + "/" + key + "}";
    }
  }

  /** A compact deterministic coder; these events cross the de-duplication shuffle. */
  public static final class Coder extends ValueCoder<MappedAmplitudeEvent> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<String> NULLABLE = NullableCoder.of(STRING);

    public static Coder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} calls: without it, Beam would infer a SerializableCoder. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(MappedAmplitudeEvent.class), INSTANCE);
    }

    @Override
    public void encode(MappedAmplitudeEvent v, OutputStream out) throws IOException {
      CaptureEventCoder.of().encode(v.event, out);
      NULLABLE.encode(v.deviceId, out);
      NULLABLE.encode(v.userId, out);
      NULLABLE.encode(v.insertId, out);
      VarLongCoder.of().encode(v.serverUploadMicros, out);
      VarIntCoder.of().encode(v.groupSnapshots.size(), out);
      for (GroupSnapshot g : v.groupSnapshots) {
        STRING.encode(g.type, out);
        STRING.encode(g.key, out);
        STRING.encode(g.propertiesJson, out);
      }
    }

    @Override
    public MappedAmplitudeEvent decode(InputStream in) throws IOException {
      CaptureEvent event = CaptureEventCoder.of().decode(in);
      String deviceId = NULLABLE.decode(in);
      String userId = NULLABLE.decode(in);
      String insertId = NULLABLE.decode(in);
      long upload = VarLongCoder.of().decode(in);
      int n = VarIntCoder.of().decode(in);
      List<GroupSnapshot> groups = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        groups.add(new GroupSnapshot(STRING.decode(in), STRING.decode(in), STRING.decode(in)));
      }
      return new MappedAmplitudeEvent(event, deviceId, userId, insertId, upload, groups);
    }
  }
}
