package dev.hogbeam.pipeline.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.Timestamps;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The durable state of one send group: how far it got, whether it finished, and what each run did
 * with it. Immutable; a new state is written before and after every batch.
 *
 * @param group the group key (a shard id, a UTC day or a person bucket)
 * @param acknowledged the last event PostHog acknowledged, in send order; null before the first
 * @param sent events acknowledged in total, over all runs
 * @param inFlight the batch being sent when this state was written, or null: a run killed while a
 *     batch was in flight re-sends that batch, and reports its events as possibly duplicated
 * @param done whether every event of the group was delivered or dead-lettered
 * @param runs what each run did with the group, by run id: counters named as in the account ({@code
 *     sent}, {@code batches}, {@code requests}, {@code bytes}, {@code retries}, ...)
 */
public record GroupCheckpoint(
    String group,
    @Nullable EventCursor acknowledged,
    long sent,
    @Nullable InFlight inFlight,
    boolean done,
    Map<String, Map<String, Long>> runs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A batch sent but not yet acknowledged: its first and last event and its size. */
  public record InFlight(EventCursor first, EventCursor last, int events) {}

  public GroupCheckpoint {
    Map<String, Map<String, Long>> copy = new TreeMap<>();
    runs.forEach(
        (run, counters) -> copy.put(run, Collections.unmodifiableMap(new TreeMap<>(counters))));
    runs = Collections.unmodifiableMap(copy);
  }

  /** A state without run counters. */
  public GroupCheckpoint(
      String group,
      @Nullable EventCursor acknowledged,
      long sent,
      @Nullable InFlight inFlight,
      boolean done) {
    this(group, acknowledged, sent, inFlight, done, Map.of());
  }

  public static GroupCheckpoint start(String group) {
    return new GroupCheckpoint(group, null, 0, null, false);
  }

  public GroupCheckpoint sending(EventCursor first, EventCursor last, int events) {
    return new GroupCheckpoint(
        group, acknowledged, sent, new InFlight(first, last, events), done, runs);
  }

  public GroupCheckpoint acknowledged(EventCursor last, int events) {
    return new GroupCheckpoint(group, last, sent + events, null, false, runs);
  }

  public GroupCheckpoint finished() {
    return new GroupCheckpoint(group, acknowledged, sent, null, true, runs);
  }

  /** This state with {@code counters} as what run {@code runId} did. */
  public GroupCheckpoint withRun(String runId, Map<String, Long> counters) {
    Map<String, Map<String, Long>> next = new TreeMap<>(runs);
    next.put(runId, counters);
    return new GroupCheckpoint(group, acknowledged, sent, inFlight, done, next);
  }

  /** What run {@code runId} did with the group; empty when it did not touch it. */
  public Map<String, Long> run(String runId) {
    return runs.getOrDefault(runId, Map.of());
  }

  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("group", group);
    if (acknowledged != null) {
      n.set("acknowledged", cursorJson(acknowledged));
    }
    n.put("sent", sent);
    if (inFlight != null) {
      ObjectNode f = n.putObject("inFlight");
      f.set("first", cursorJson(inFlight.first()));
      f.set("last", cursorJson(inFlight.last()));
      f.put("events", inFlight.events());
    }
    n.put("done", done);
    if (!runs.isEmpty()) {
      ObjectNode r = n.putObject("runs");
      runs.forEach(
          (run, counters) -> {
            ObjectNode c = r.putObject(run);
            counters.forEach(c::put);
          });
    }
    return n.toString();
  }

  /** Runs a checkpoint keeps counters of (far more than any migration makes). */
  static final int MAX_RUNS = 10_000;

  /** The longest event name or distinct_id in a cursor (PostHog's own are far shorter). */
  static final int MAX_CURSOR_TEXT = 8192;

  /**
   * Reads a checkpoint written by {@link #toJson()}, as untrusted input: types, uuids and lengths
   * are checked; IllegalStateException says what is wrong.
   */
  public static GroupCheckpoint fromJson(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      JsonNode f = n.get("inFlight");
      InFlight inFlight =
          f == null
              ? null
              : new InFlight(
                  cursor(f.get("first")), cursor(f.get("last")), f.get("events").asInt());
      Map<String, Map<String, Long>> runs = new TreeMap<>();
      n.path("runs")
          .fields()
          .forEachRemaining(
              r -> {
                Map<String, Long> counters = new TreeMap<>();
                r.getValue()
                    .fields()
                    .forEachRemaining(c -> counters.put(c.getKey(), c.getValue().asLong()));
                runs.put(r.getKey(), counters);
              });
      if (n.path("runs").size() > MAX_RUNS) {
        throw new IllegalArgumentException("more than " + MAX_RUNS + " runs");
      }
      if (!n.path("group").isTextual() || !n.path("sent").canConvertToLong()) {
        throw new IllegalArgumentException("group or sent is missing or of the wrong type");
      }
      return new GroupCheckpoint(
          n.get("group").asText(),
          cursor(n.get("acknowledged")),
          n.get("sent").asLong(),
          inFlight,
          n.get("done").asBoolean(),
          runs);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("unreadable checkpoint: " + e.getMessage(), e);
    }
  }

  private static ObjectNode cursorJson(EventCursor c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("timestamp", Timestamps.toIso(c.timestampMicros()));
    n.put("timestamp_us", c.timestampMicros());
    n.put("uuid", c.uuid());
    if (c.isExact()) {
      n.put("event", c.event());
      n.put("distinct_id", c.distinctId());
    }
    return n;
  }

  private static @Nullable EventCursor cursor(@Nullable JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.path("timestamp_us").canConvertToLong() || n.path("uuid").asText().length() > 36) {
      throw new IllegalArgumentException("a cursor without a timestamp or with no uuid");
    }
    if (n.path("event").asText("").length() > MAX_CURSOR_TEXT
        || n.path("distinct_id").asText("").length() > MAX_CURSOR_TEXT) {
      throw new IllegalArgumentException(
          "a cursor's event or distinct_id is longer than " + MAX_CURSOR_TEXT + " characters");
    }
    // Checkpoints written before event and distinct_id were part of the order have neither: such
    // a cursor stands for the last event of its (timestamp, uuid).
    return n.hasNonNull("event")
        ? EventCursor.of(
            n.get("timestamp_us").asLong(),
            n.get("uuid").asText(),
            n.get("event").asText(),
            n.get("distinct_id").asText())
        : EventCursor.of(n.get("timestamp_us").asLong(), n.get("uuid").asText());
  }
}
