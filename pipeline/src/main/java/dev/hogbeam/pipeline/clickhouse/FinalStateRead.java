package dev.hogbeam.pipeline.clickhouse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.pipeline.clickhouse.FinalState.Settings;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.FinalStateScope;
import dev.hogbeam.progress.ReadProgress;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads the final state of a ClickHouse migration's persons and groups: one JSON record per person
 * (id, version, final properties, live distinct ids) or group, keyed by its send group.
 *
 * <p>Three reads, each along its own table's order and each row read once, joined by the runner
 * (two {@link CoGroupByKey}s, which Flink and Dataflow sort and spill, so no worker holds a table):
 *
 * <ol>
 *   <li>persons of the unfinished send groups {@code persons-NN} ({@code cityHash64(id) % shards}),
 *       live versions only, keyed by person id;
 *   <li>every live distinct id with the person its latest version points to, in hash shards of
 *       {@code distinct_id};
 *   <li>with {@code --persons=seen}, the distinct ids of the range's events, one query per UTC day.
 * </ol>
 *
 * The first join marks each distinct id seen or not and keys it by its person; the second gathers a
 * person's ids. A person without a live distinct id, or (with {@code seen}) none in the range, is
 * counted and not sent. Each send group's counts go to the ledger once its persons are joined.
 * Groups ({@code groups}) are read page by page by one worker and, with {@code --groups=seen},
 * joined with the groups of the range's events (one {@code DISTINCT} query per UTC day).
 */
final class FinalStateRead extends PTransform<PBegin, SourceRead<KV<String, String>>> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long DAY_MICROS = 86_400_000_000L;

  private final Settings settings;
  private final List<String> todo;
  private final ReadProgress progress;

  FinalStateRead(Settings settings, List<String> todo, ReadProgress progress) {
    this.settings = settings;
    this.todo = todo;
    this.progress = progress;
  }

  @Override
  public SourceRead<KV<String, String>> expand(PBegin input) {
    KvCoder<String, String> strings = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    KvCoder<String, Map<String, Long>> countsCoder =
        KvCoder.of(StringUtf8Coder.of(), MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    List<PCollection<KV<String, String>>> records = new ArrayList<>();
    List<PCollection<KV<String, Map<String, Long>>>> counts = new ArrayList<>();

    List<Integer> personShards = new ArrayList<>();
    for (String id : todo) {
      if (!id.equals(FinalState.GROUPS)) {
        personShards.add(Integer.parseInt(id.substring("persons-".length())));
      }
    }
    if (!personShards.isEmpty()) {
      TupleTag<KV<String, String>> personsTag = new TupleTag<>() {};
      TupleTag<KV<String, Map<String, Long>>> readTag = new TupleTag<>() {};
      PCollectionTuple persons =
          shards(input, "Person shards", personShards)
              .apply(
                  "Read persons",
                  ParDo.of(new ReadPersons(settings, progress, personsTag, readTag))
                      .withOutputTags(personsTag, TupleTagList.of(readTag)));
      persons.get(personsTag).setCoder(strings);
      persons.get(readTag).setCoder(countsCoder);
      counts.add(persons.get(readTag));

      List<Integer> idShards = new ArrayList<>();
      for (int s = 0; s < settings.shards(); s++) {
        idShards.add(s);
      }
      PCollection<KV<String, String>> ids =
          shards(input, "Distinct id shards", idShards)
              .apply("Read distinct ids", ParDo.of(new ReadDistinctIds(settings)))
              .setCoder(strings);
      PCollection<KV<String, String>> idsByPerson;
      if (settings.persons() == FinalStateScope.seen) {
        PCollection<KV<String, String>> seen =
            shards(input, "Range days", days())
                .apply("Read distinct ids of the range", ParDo.of(new ReadSeen(settings, false)))
                .setCoder(strings);
        TupleTag<String> personOf = new TupleTag<>() {};
        TupleTag<String> seenTag = new TupleTag<>() {};
        idsByPerson =
            KeyedPCollectionTuple.of(personOf, ids)
                .and(seenTag, seen)
                .apply("Join distinct ids with the range", CoGroupByKey.create())
                .apply("Key distinct ids by person", ParDo.of(new MarkSeen(personOf, seenTag)))
                .setCoder(strings);
      } else {
        idsByPerson =
            ids.apply(
                    "Key distinct ids by person",
                    ParDo.of(
                        new DoFn<KV<String, String>, KV<String, String>>() {
                          @ProcessElement
                          public void process(
                              @Element KV<String, String> id,
                              OutputReceiver<KV<String, String>> out) {
                            out.output(KV.of(id.getValue(), SEEN + id.getKey()));
                          }
                        }))
                .setCoder(strings);
      }
      TupleTag<String> personTag = new TupleTag<>() {};
      TupleTag<String> idTag = new TupleTag<>() {};
      TupleTag<KV<String, String>> recordTag = new TupleTag<>() {};
      TupleTag<KV<String, Map<String, Long>>> joinedTag = new TupleTag<>() {};
      PCollectionTuple joined =
          KeyedPCollectionTuple.of(personTag, persons.get(personsTag))
              .and(idTag, idsByPerson)
              .apply("Join persons with their distinct ids", CoGroupByKey.create())
              .apply(
                  "Person records",
                  ParDo.of(
                          new PersonRecords(
                              settings.persons() == FinalStateScope.seen,
                              personTag,
                              idTag,
                              recordTag,
                              joinedTag))
                      .withOutputTags(recordTag, TupleTagList.of(joinedTag)));
      records.add(joined.get(recordTag).setCoder(strings));
      counts.add(joined.get(joinedTag).setCoder(countsCoder));
    }
    if (todo.contains(FinalState.GROUPS)) {
      boolean seenOnly = settings.groups() == FinalStateScope.seen;
      TupleTag<KV<String, String>> groupsTag = new TupleTag<>() {};
      TupleTag<KV<String, Map<String, Long>>> readTag = new TupleTag<>() {};
      PCollectionTuple groups =
          input
              .apply("Groups shard", Create.of(0).withCoder(VarIntCoder.of()))
              .apply(
                  "Read groups",
                  ParDo.of(new ReadGroups(settings, seenOnly, progress, groupsTag, readTag))
                      .withOutputTags(groupsTag, TupleTagList.of(readTag)));
      groups.get(groupsTag).setCoder(strings);
      counts.add(groups.get(readTag).setCoder(countsCoder));
      if (seenOnly) {
        PCollection<KV<String, String>> seen =
            shards(input, "Range days of groups", days())
                .apply("Read groups of the range", ParDo.of(new ReadSeen(settings, true)))
                .setCoder(strings);
        TupleTag<String> groupTag = new TupleTag<>() {};
        TupleTag<String> seenTag = new TupleTag<>() {};
        TupleTag<KV<String, String>> recordTag = new TupleTag<>() {};
        TupleTag<KV<String, Map<String, Long>>> joinedTag = new TupleTag<>() {};
        PCollectionTuple joined =
            KeyedPCollectionTuple.of(groupTag, groups.get(groupsTag))
                .and(seenTag, seen)
                .apply("Join groups with the range", CoGroupByKey.create())
                .apply(
                    "Group records",
                    ParDo.of(new SeenGroupRecords(groupTag, seenTag, recordTag, joinedTag))
                        .withOutputTags(recordTag, TupleTagList.of(joinedTag)));
        records.add(joined.get(recordTag).setCoder(strings));
        counts.add(joined.get(joinedTag).setCoder(countsCoder));
      } else {
        records.add(groups.get(groupsTag));
      }
    }
    if (records.isEmpty()) {
      records.add(input.apply("No final state", Create.empty(strings)));
    }
    if (!counts.isEmpty()) {
      PCollectionList.of(counts)
          .apply("All counts", Flatten.pCollections())
          .apply("Counts per send group", Combine.perKey(new SumCounts()))
          .apply("Record the counts", ParDo.of(new RecordCounts(progress)));
    }
    return SourceRead.of(
        PCollectionList.of(records).apply("Final-state records", Flatten.pCollections()),
        input.apply("No read dead letters", Create.empty(DeadLetterCoder.of())));
  }

  private static PCollection<Integer> shards(PBegin input, String name, List<Integer> shards) {
    return input
        .apply(name, Create.of(shards).withCoder(VarIntCoder.of()))
        .apply("Spread " + name.toLowerCase(java.util.Locale.ROOT), Reshuffle.viaRandomKey());
  }

  /** The range's UTC days, as offsets from its start. */
  private List<Integer> days() {
    List<Integer> days = new ArrayList<>();
    long start = settings.queries().startMicros();
    for (long t = start; t < settings.queries().endMicros(); t += DAY_MICROS) {
      days.add((int) ((t - start) / DAY_MICROS));
    }
    return days;
  }

  /** A distinct id's mark in the joins: seen in the range or not. */
  private static final String SEEN = "1";

  private static final String NOT_SEEN = "0";

  private static Map<String, Long> count(String key, long value) {
    Map<String, Long> m = new TreeMap<>();
    m.put(key, value);
    return m;
  }

  /** Pages through one person shard: KV(person id, {shard, version, properties}). */
  static final class ReadPersons extends DoFn<Integer, KV<String, String>> {
    private final Settings settings;
    private final ReadProgress progress;
    private final TupleTag<KV<String, String>> personsTag;
    private final TupleTag<KV<String, Map<String, Long>>> readTag;

    ReadPersons(
        Settings settings,
        ReadProgress progress,
        TupleTag<KV<String, String>> personsTag,
        TupleTag<KV<String, Map<String, Long>>> readTag) {
      this.settings = settings;
      this.progress = progress;
      this.personsTag = personsTag;
      this.readTag = readTag;
    }

    @ProcessElement
    public void process(@Element Integer shardIndex, MultiOutputReceiver out) throws Exception {
      String shard = FinalState.personShard(shardIndex);
      Map<String, Long> counts = count(FinalState.ROWS_READ, 0L);
      String after = null;
      try (Connection c = settings.connection().open()) {
        while (true) {
          List<String[]> page = new ArrayList<>();
          FinalState.query(
              c,
              settings
                  .queries()
                  .personPage(shardIndex, settings.shards(), after, settings.pageSize()),
              rs ->
                  page.add(
                      new String[] {
                        rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)
                      }));
          if (page.isEmpty()) {
            break;
          }
          for (String[] p : page) {
            if (!"0".equals(p[3])) {
              continue; // deleted: counted by the stage's driver (personsDeleted)
            }
            ObjectNode r = JSON.createObjectNode();
            r.put("shard", shard);
            r.put("version", p[2]);
            r.put("properties", p[1]);
            out.get(personsTag).output(KV.of(p[0], r.toString()));
          }
          after = page.get(page.size() - 1)[0];
          counts.merge(FinalState.ROWS_READ, (long) page.size(), Long::sum);
          progress.shardRead(shard, counts, false);
        }
      }
      out.get(readTag).output(KV.of(shard, counts));
    }
  }

  /** Pages through one hash shard of live distinct ids: KV(distinct id, person id). */
  static final class ReadDistinctIds extends DoFn<Integer, KV<String, String>> {
    private final Settings settings;

    ReadDistinctIds(Settings settings) {
      this.settings = settings;
    }

    @ProcessElement
    public void process(@Element Integer shard, OutputReceiver<KV<String, String>> out)
        throws Exception {
      String after = null;
      try (Connection c = settings.connection().open()) {
        while (true) {
          List<String> last = new ArrayList<>(1);
          int[] rows = {0};
          FinalState.query(
              c,
              settings
                  .queries()
                  .distinctIdPage(shard, settings.shards(), after, settings.pageSize()),
              rs -> {
                String id = rs.getString(1);
                if ("0".equals(rs.getString(3))) {
                  out.output(KV.of(id, rs.getString(2)));
                }
                rows[0]++;
                last.clear();
                last.add(id);
              });
          if (rows[0] == 0) {
            return;
          }
          after = last.get(0);
        }
      }
    }
  }

  /**
   * What one UTC day of the range's events name, each once: their distinct ids (KV(distinct id,
   * "")) or, for {@code groups}, their groups (KV({@code index<TAB>key}, "")).
   */
  static final class ReadSeen extends DoFn<Integer, KV<String, String>> {
    private final Settings settings;
    private final boolean groups;

    ReadSeen(Settings settings, boolean groups) {
      this.settings = settings;
      this.groups = groups;
    }

    @ProcessElement
    public void process(@Element Integer day, OutputReceiver<KV<String, String>> out)
        throws Exception {
      long from = settings.queries().startMicros() + day * DAY_MICROS;
      long to = from + DAY_MICROS;
      try (Connection c = settings.connection().open()) {
        if (groups) {
          FinalState.query(
              c,
              settings.queries().seenGroups(from, to),
              rs -> out.output(KV.of(rs.getString(1) + "\t" + rs.getString(2), "")));
        } else {
          FinalState.query(
              c,
              settings.queries().seenDistinctIds(from, to),
              rs -> out.output(KV.of(rs.getString(1), "")));
        }
      }
    }
  }

  /** A live distinct id, keyed by its person, marked seen in the range or not. */
  static final class MarkSeen extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> personOf;
    private final TupleTag<String> seen;

    MarkSeen(TupleTag<String> personOf, TupleTag<String> seen) {
      this.personOf = personOf;
      this.seen = seen;
    }

    @ProcessElement
    public void process(
        @Element KV<String, CoGbkResult> id, OutputReceiver<KV<String, String>> out) {
      String person = id.getValue().getOnly(personOf, null);
      if (person != null) {
        boolean inRange = id.getValue().getAll(seen).iterator().hasNext();
        out.output(KV.of(person, (inRange ? SEEN : NOT_SEEN) + id.getKey()));
      }
    }
  }

  /**
   * A person with its distinct ids as one record for its send group, or counted as not sent: no
   * live distinct id, or (seen only) none in the range. Distinct ids that point to no live person
   * are left out.
   */
  static final class PersonRecords extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final boolean seenOnly;
    private final TupleTag<String> personTag;
    private final TupleTag<String> idTag;
    private final TupleTag<KV<String, String>> recordTag;
    private final TupleTag<KV<String, Map<String, Long>>> countsTag;

    PersonRecords(
        boolean seenOnly,
        TupleTag<String> personTag,
        TupleTag<String> idTag,
        TupleTag<KV<String, String>> recordTag,
        TupleTag<KV<String, Map<String, Long>>> countsTag) {
      this.seenOnly = seenOnly;
      this.personTag = personTag;
      this.idTag = idTag;
      this.recordTag = recordTag;
      this.countsTag = countsTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined, MultiOutputReceiver out)
        throws Exception {
      String person = joined.getValue().getOnly(personTag, null);
      if (person == null) {
        return;
      }
      ObjectNode p = (ObjectNode) JSON.readTree(person);
      String shard = p.path("shard").asText();
      TreeSet<String> ids = new TreeSet<>();
      boolean seen = false;
      for (String id : joined.getValue().getAll(idTag)) {
        ids.add(id.substring(1));
        seen |= id.startsWith(SEEN);
      }
      Map<String, Long> counts = new TreeMap<>();
      if (ids.isEmpty()) {
        counts.put("personsWithoutDistinctIds", 1L);
      } else if (seenOnly && !seen) {
        counts.put("personsNotSeen", 1L);
      } else {
        ObjectNode r = JSON.createObjectNode();
        r.put("kind", "person");
        r.put("id", joined.getKey());
        r.put("version", p.path("version").asText());
        r.put("properties", p.path("properties").asText());
        ArrayNode list = r.putArray("distinctIds");
        ids.forEach(list::add);
        counts.put("persons", 1L);
        counts.put("links", (long) ids.size() - 1);
        out.get(recordTag).output(KV.of(shard, r.toString()));
      }
      out.get(countsTag).output(KV.of(shard, counts));
    }
  }

  /**
   * Reads the groups page by page (one worker: groups are few): records for the send group, or with
   * {@code seen} keyed by {@code index<TAB>key} for the join with the range's groups.
   */
  static final class ReadGroups extends DoFn<Integer, KV<String, String>> {
    private final Settings settings;
    private final boolean seenOnly;
    private final ReadProgress progress;
    private final TupleTag<KV<String, String>> groupsTag;
    private final TupleTag<KV<String, Map<String, Long>>> readTag;

    ReadGroups(
        Settings settings,
        boolean seenOnly,
        ReadProgress progress,
        TupleTag<KV<String, String>> groupsTag,
        TupleTag<KV<String, Map<String, Long>>> readTag) {
      this.settings = settings;
      this.seenOnly = seenOnly;
      this.progress = progress;
      this.groupsTag = groupsTag;
      this.readTag = readTag;
    }

    @ProcessElement
    public void process(MultiOutputReceiver out) throws Exception {
      Map<String, Long> counts = count("groups", 0L);
      counts.put(FinalState.ROWS_READ, 0L);
      int afterIndex = 0;
      String afterKey = null;
      try (Connection c = settings.connection().open()) {
        while (true) {
          List<String[]> page = new ArrayList<>();
          FinalState.query(
              c,
              settings.queries().groupPage(afterIndex, afterKey, settings.pageSize()),
              rs -> page.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}));
          if (page.isEmpty()) {
            break;
          }
          for (String[] g : page) {
            ObjectNode r = JSON.createObjectNode();
            r.put("kind", "group");
            r.put("index", Integer.parseInt(g[0]));
            r.put("key", g[1]);
            r.put("properties", g[2]);
            String key = seenOnly ? g[0] + "\t" + g[1] : FinalState.GROUPS;
            out.get(groupsTag).output(KV.of(key, r.toString()));
          }
          if (!seenOnly) {
            counts.merge("groups", (long) page.size(), Long::sum);
          }
          counts.merge(FinalState.ROWS_READ, (long) page.size(), Long::sum);
          progress.shardRead(FinalState.GROUPS, counts, false);
          String[] last = page.get(page.size() - 1);
          afterIndex = Integer.parseInt(last[0]);
          afterKey = last[1];
        }
      }
      out.get(readTag).output(KV.of(FinalState.GROUPS, counts));
    }
  }

  /** A group some event of the range belongs to, as a record for the send group. */
  static final class SeenGroupRecords extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> groupTag;
    private final TupleTag<String> seenTag;
    private final TupleTag<KV<String, String>> recordTag;
    private final TupleTag<KV<String, Map<String, Long>>> countsTag;

    SeenGroupRecords(
        TupleTag<String> groupTag,
        TupleTag<String> seenTag,
        TupleTag<KV<String, String>> recordTag,
        TupleTag<KV<String, Map<String, Long>>> countsTag) {
      this.groupTag = groupTag;
      this.seenTag = seenTag;
      this.recordTag = recordTag;
      this.countsTag = countsTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined, MultiOutputReceiver out) {
      String group = joined.getValue().getOnly(groupTag, null);
      if (group != null && joined.getValue().getAll(seenTag).iterator().hasNext()) {
        out.get(recordTag).output(KV.of(FinalState.GROUPS, group));
        out.get(countsTag).output(KV.of(FinalState.GROUPS, count("groups", 1L)));
      }
    }
  }

  /** Sums counters by name. */
  static final class SumCounts
      implements SerializableFunction<Iterable<Map<String, Long>>, Map<String, Long>> {
    @Override
    public Map<String, Long> apply(Iterable<Map<String, Long>> parts) {
      Map<String, Long> sum = new TreeMap<>();
      for (Map<String, Long> part : parts) {
        part.forEach((k, v) -> sum.merge(k, v, Long::sum));
      }
      return sum;
    }
  }

  /** A send group's counts, once all of its persons (or groups) are read and joined. */
  static final class RecordCounts extends DoFn<KV<String, Map<String, Long>>, Void> {
    private final ReadProgress progress;

    RecordCounts(ReadProgress progress) {
      this.progress = progress;
    }

    @ProcessElement
    public void process(@Element KV<String, Map<String, Long>> counts) throws Exception {
      Map<String, Long> all = new TreeMap<>();
      for (String k : List.of("persons", "links", "personsNotSeen", "personsWithoutDistinctIds")) {
        if (!counts.getKey().equals(FinalState.GROUPS)) {
          all.put(k, 0L);
        }
      }
      all.putAll(counts.getValue());
      progress.shardRead(counts.getKey(), all, true);
    }
  }
}
