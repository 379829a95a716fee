package dev.hogbeam.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.order.KeyedEvents;
import dev.hogbeam.order.OrderingKey;
import java.io.IOException;
import java.time.LocalDate;
import java.util.Iterator;
import java.util.Map;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Turns the records of a JDBC read ({@link JdbcMapping#mapRow}) into capture events keyed by their
 * ordering group, or dead letters (stage {@code map}, source {@code jdbc/DAY}, the record as
 * payload).
 *
 * <p>Properties: the JSON column's object, then the named property columns (a column wins over a
 * key of the JSON of the same name), then {@code $set} from the set columns (merged into a {@code
 * $set} object of the JSON column, if any), and {@code $geoip_disable: true} unless the row sets it
 * (the migration's own address says nothing about where a historical event happened).
 *
 * <p>Refused with a reason: an empty or NULL event name or distinct_id, a NULL or unreadable
 * timestamp, a uuid column value that is not a UUID, a JSON column that is not one JSON object.
 */
public final class MapJdbcRows extends PTransform<PCollection<String>, KeyedEvents> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OrderingKey key;

  private MapJdbcRows(OrderingKey key) {
    this.key = key;
  }

  /** Keys each event with {@code key} (by its distinct_id and timestamp). */
  public static MapJdbcRows keyedBy(OrderingKey key) {
    return new MapJdbcRows(key);
  }

  /** Maps one record. Pure. */
  public static KeyedEvents.Outcome map(String record) {
    ObjectNode r;
    try {
      JsonNode n = JSON.readTree(record);
      if (!(n instanceof ObjectNode)) {
        return refused(record, null, "jdbc", "the record is not a JSON object");
      }
      r = (ObjectNode) n;
    } catch (IOException e) {
      return refused(record, null, "jdbc", "the record is not JSON: " + e.getMessage());
    }
    JsonNode ts = r.path("timestamp");
    String source =
        ts.isIntegralNumber()
            ? "jdbc/" + LocalDate.ofEpochDay(Math.floorDiv(ts.asLong(), 86_400_000_000L))
            : "jdbc";
    String uuid = text(r, "uuid");
    String validUuid = uuid != null && CaptureEvent.isValidUuid(uuid) ? uuid : null;
    String event = text(r, "event");
    String distinctId = text(r, "distinct_id");
    if (event == null || event.isEmpty()) {
      return refused(record, validUuid, source, "event name is empty or NULL");
    }
    if (distinctId == null || distinctId.isEmpty()) {
      return refused(record, validUuid, source, "distinct_id is empty or NULL");
    }
    if (!ts.isIntegralNumber()) {
      String why = text(r, "timestamp_error");
      return refused(record, validUuid, source, why != null ? why : "timestamp is NULL");
    }
    if (validUuid == null) {
      return refused(record, null, source, "uuid is not a valid UUID");
    }
    ObjectNode props;
    String json = text(r, "properties");
    if (json == null || json.isBlank()) {
      props = JSON.createObjectNode();
    } else {
      try {
        JsonNode p = JSON.readTree(json);
        if (!(p instanceof ObjectNode)) {
          return refused(record, validUuid, source, "the properties column is not one JSON object");
        }
        props = (ObjectNode) p;
      } catch (IOException e) {
        return refused(record, validUuid, source, "the properties column is not JSON");
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = r.path("columns").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      props.set(e.getKey(), e.getValue());
    }
    JsonNode set = r.path("set");
    if (set.isObject() && !set.isEmpty()) {
      JsonNode existing = props.get("$set");
      ObjectNode target = existing instanceof ObjectNode o ? o : props.putObject("$set");
      target.setAll((ObjectNode) set);
    }
    if (!props.has("$geoip_disable")) {
      props.put("$geoip_disable", true);
    }
    return new KeyedEvents.Outcome(
        CaptureEvent.of(validUuid, event, distinctId, ts.asLong(), props.toString()), null);
  }

  private static @Nullable String text(ObjectNode r, String field) {
    JsonNode n = r.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static KeyedEvents.Outcome refused(
      String record, @Nullable String uuid, String source, String reason) {
    return new KeyedEvents.Outcome(null, DeadLetter.of("map", source, uuid, record, 0, reason, 0));
  }

  @Override
  public KeyedEvents expand(PCollection<String> records) {
    return records.apply("Map records", KeyedEvents.map("Map", MapJdbcRows::map, key));
  }
}
