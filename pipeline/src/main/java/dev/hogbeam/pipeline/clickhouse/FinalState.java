package dev.hogbeam.pipeline.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.PageQueries;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Ledger;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.FinalStateScope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The final-state stage of {@code hogbeam clickhouse}: an {@link EventSource} that runs through the
 * normal engine after the event migration finished (its checkpoints in {@code
 * <checkpointDir>/final-state}), and sends the source's final person and group state:
 *
 * <ul>
 *   <li>per person with more than one distinct id, a {@code $merge_dangerously} per extra id
 *       ({@code distinct_id} = the person's first distinct id, {@code alias} = the other): the only
 *       merge PostHog performs when both ids already belong to identified persons;
 *   <li>per person, one {@code $set} with the final properties, on the first distinct id;
 *   <li>per group, a {@code $groupidentify} whose {@code $group_set} is the final properties.
 * </ul>
 *
 * <p>Timestamps: the range's end (links), one microsecond after it ({@code $set}) and two ({@code
 * $groupidentify}): after every event of the range, and as old as the range's end, which the
 * command checks to be at least 48 hours ago. In a send group they sort links first, then {@code
 * $set}s, then groups. Uuids are name-based on team, person id and version (groups: type, key and
 * properties), so a re-send is a duplicate PostHog drops.
 *
 * <p>Send groups: {@code persons-NN} (a hash shard of person ids; {@link FinalStateRead}) and
 * {@code groups}. Each shard records its counts in the ledger when read.
 */
final class FinalState implements EventSource<KV<String, String>>, java.io.Serializable {
  private static final long serialVersionUID = 1L;
  static final String DIRECTORY = "final-state";
  static final String GROUPS = "groups";
  static final String SECTION = "finalState";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the driver decided before any event was sent. */
  record Settings(
      ClickHouseConnectionConfig connection,
      FinalStateQueries queries,
      long teamId,
      long endMicros,
      FinalStateScope persons,
      FinalStateScope groups,
      Map<Integer, String> groupTypes,
      int pageSize,
      int shards)
      implements java.io.Serializable {}

  private final Settings settings;

  FinalState(Settings settings) {
    this.settings = settings;
  }

  static String personShard(int shard) {
    return String.format(Locale.ROOT, "persons-%02d", shard);
  }

  List<String> shardIds() {
    List<String> ids = new ArrayList<>();
    if (settings.persons() != FinalStateScope.none) {
      for (int s = 0; s < settings.shards(); s++) {
        ids.add(personShard(s));
      }
    }
    if (settings.groups() != FinalStateScope.none) {
      ids.add(GROUPS);
    }
    return ids;
  }

  @Override
  public SourcePlan plan() {
    return SourcePlan.builder()
        .description(
            "final state of team "
                + settings.teamId()
                + ": persons "
                + settings.persons()
                + ", groups "
                + settings.groups()
                + (settings.groupTypes().isEmpty() ? "" : " " + settings.groupTypes()))
        .shards(shardIds().size())
        .dayGroup("shard")
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<KV<String, String>>> read(SourceContext context) {
    List<String> todo = new ArrayList<>();
    for (String id : shardIds()) {
      if (!context.finishedGroups().contains(id)) {
        todo.add(id);
      }
    }
    return new FinalStateRead(settings, todo, context.ledger());
  }

  @Override
  public PTransform<PCollection<KV<String, String>>, SourceEvents> map(SourceContext context) {
    Settings s = settings;
    return new PTransform<>() {
      @Override
      public SourceEvents expand(PCollection<KV<String, String>> records) {
        TupleTag<KV<String, CaptureEvent>> eventsTag = new TupleTag<>() {};
        TupleTag<DeadLetter> deadTag = new TupleTag<>() {};
        PCollectionTuple out =
            records.apply(
                "Final-state events",
                ParDo.of(new ToEvents(s, eventsTag, deadTag))
                    .withOutputTags(eventsTag, TupleTagList.of(deadTag)));
        out.get(eventsTag).setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
        out.get(deadTag).setCoder(DeadLetterCoder.of());
        return SourceEvents.of(out.get(eventsTag), out.get(deadTag));
      }
    };
  }

  /** Every shard's latest counts, summed, with the skips counted by the driver. */
  static Map<String, Long> totals(Ledger ledger, Map<String, Long> skips) {
    Map<String, Long> totals = new TreeMap<>(skips);
    for (Ledger.ShardRecord r : ledger.shards().values()) {
      r.counters().forEach((k, v) -> totals.merge(k, v, Long::sum));
    }
    return totals;
  }

  // -----------------------------------------------------------------------------------------------
  // Read

  /** The persons and groups read so far, for the progress line ("read N rows"). */
  static final String ROWS_READ = "rowsRead";

  /** Handles one result row. */
  interface RowHandler {
    void accept(ResultSet rs) throws SQLException;
  }

  static void query(Connection c, FinalStateQueries.Query q, RowHandler handler)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(q.sql())) {
      PageQueries.bind(ps, q.params());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          handler.accept(rs);
        }
      }
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Map

  /** One record to its events; a record whose properties are not a JSON object is dead-lettered. */
  static final class ToEvents extends DoFn<KV<String, String>, KV<String, CaptureEvent>> {
    private final Settings settings;
    private final TupleTag<KV<String, CaptureEvent>> eventsTag;
    private final TupleTag<DeadLetter> deadTag;

    ToEvents(
        Settings settings,
        TupleTag<KV<String, CaptureEvent>> eventsTag,
        TupleTag<DeadLetter> deadTag) {
      this.settings = settings;
      this.eventsTag = eventsTag;
      this.deadTag = deadTag;
    }

    @ProcessElement
    public void process(@Element KV<String, String> in, MultiOutputReceiver out) throws Exception {
      JsonNode r = JSON.readTree(in.getValue());
      JsonNode properties;
      try {
        properties = JSON.readTree(r.path("properties").asText());
      } catch (Exception e) {
        properties = null;
      }
      if (properties == null || !properties.isObject()) {
        out.get(deadTag)
            .output(
                DeadLetter.of(
                    "map",
                    in.getKey(),
                    null,
                    in.getValue(),
                    0,
                    "the " + r.path("kind").asText() + "'s properties are not a JSON object",
                    0));
        return;
      }
      for (CaptureEvent e : events(settings, r, properties)) {
        out.get(eventsTag).output(KV.of(in.getKey(), e));
      }
    }
  }

  /** The events of one person or group record. */
  static List<CaptureEvent> events(Settings s, JsonNode r, JsonNode properties) {
    List<CaptureEvent> events = new ArrayList<>();
    String team = Long.toString(s.teamId());
    long t = s.endMicros();
    if (r.path("kind").asText().equals("group")) {
      int index = r.path("index").asInt();
      String key = r.path("key").asText();
      String type = s.groupTypes().get(index);
      ObjectNode p = JSON.createObjectNode();
      p.put("$group_type", type);
      p.put("$group_key", key);
      p.set("$group_set", properties);
      String uuid =
          NameUuids.v5(
              "final-state/" + team + "/group/" + index + "/" + key + "/" + properties.toString());
      events.add(
          CaptureEvent.of(uuid, "$groupidentify", "$" + type + "_" + key, t + 2, p.toString()));
      return events;
    }
    String person = r.path("id").asText();
    String version = r.path("version").asText();
    String prefix = "final-state/" + team + "/person/" + person + "/" + version + "/";
    TreeSet<String> ids = new TreeSet<>();
    r.path("distinctIds").forEach(d -> ids.add(d.asText()));
    String primary = ids.first();
    for (String other : ids.tailSet(primary, false)) {
      ObjectNode p = JSON.createObjectNode();
      p.put("alias", other);
      events.add(
          CaptureEvent.of(
              NameUuids.v5(prefix + "link/" + other),
              "$merge_dangerously",
              primary,
              t,
              p.toString()));
    }
    ObjectNode p = JSON.createObjectNode();
    p.set("$set", properties);
    events.add(CaptureEvent.of(NameUuids.v5(prefix + "set"), "$set", primary, t + 1, p.toString()));
    return events;
  }

  /** Parses {@code 0:company,1:project}; throws IllegalArgumentException naming the flag. */
  static Map<Integer, String> parseGroupTypes(String value) {
    Map<Integer, String> types = new LinkedHashMap<>();
    for (String part : value.split(",")) {
      String[] kv = part.trim().split(":", 2);
      int index;
      try {
        index = Integer.parseInt(kv[0].trim());
      } catch (NumberFormatException e) {
        index = -1;
      }
      if (kv.length != 2 || index < 0 || index > 4 || kv[1].trim().isEmpty()) {
        throw new IllegalArgumentException(
            "--groupTypes: \""
                + part.trim()
                + "\" is not index:name with an index from 0 to 4 (e.g. 0:company,1:project)");
      }
      if (types.put(index, kv[1].trim()) != null) {
        throw new IllegalArgumentException("--groupTypes names index " + index + " twice");
      }
    }
    if (types.values().stream().distinct().count() != types.size()) {
      throw new IllegalArgumentException("--groupTypes gives one name to two indexes: " + value);
    }
    return types;
  }
}
