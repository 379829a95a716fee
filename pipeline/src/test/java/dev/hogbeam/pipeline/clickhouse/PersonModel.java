package dev.hogbeam.pipeline.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A test-side model of PostHog's person and group processing, applied to events in arrival order:
 * {@code $identify} merges {@code $anon_distinct_id}, {@code $create_alias} and {@code
 * $merge_dangerously} merge {@code alias}; the first two refuse when the merged-in person is
 * already identified, the last never does; a merge keeps the union of properties with the target's
 * values winning; {@code $set} is last-write-wins and {@code $set_once} first-write-wins in arrival
 * order; {@code $groupidentify} applies {@code $group_set} to its group.
 */
final class PersonModel {
  /** A person of the destination. */
  static final class Person {
    final TreeSet<String> distinctIds = new TreeSet<>();
    final TreeMap<String, String> properties = new TreeMap<>();
    boolean identified;
  }

  final Map<String, Person> byDistinctId = new HashMap<>();
  final Map<String, TreeMap<String, String>> groups = new TreeMap<>();

  static PersonModel of(List<ReceivedEvent> events) {
    PersonModel m = new PersonModel();
    for (ReceivedEvent e : events) {
      m.apply(e.json());
    }
    return m;
  }

  private Person person(String distinctId) {
    return byDistinctId.computeIfAbsent(
        distinctId,
        d -> {
          Person p = new Person();
          p.distinctIds.add(d);
          return p;
        });
  }

  void apply(JsonNode e) {
    String event = e.path("event").asText();
    String distinctId = e.path("distinct_id").asText();
    JsonNode props = e.path("properties");
    if (event.equals("$groupidentify")) {
      String key = props.path("$group_type").asText() + "/" + props.path("$group_key").asText();
      TreeMap<String, String> g = groups.computeIfAbsent(key, k -> new TreeMap<>());
      props
          .path("$group_set")
          .fields()
          .forEachRemaining(f -> g.put(f.getKey(), f.getValue().asText()));
      return;
    }
    switch (event) {
      case "$identify" -> {
        if (props.hasNonNull("$anon_distinct_id")) {
          merge(distinctId, props.path("$anon_distinct_id").asText(), false);
        }
        person(distinctId).identified = true;
      }
      case "$create_alias" -> merge(distinctId, props.path("alias").asText(), false);
      case "$merge_dangerously" -> merge(distinctId, props.path("alias").asText(), true);
      default -> {}
    }
    Person p = person(distinctId);
    props
        .path("$set")
        .fields()
        .forEachRemaining(f -> p.properties.put(f.getKey(), f.getValue().asText()));
    props
        .path("$set_once")
        .fields()
        .forEachRemaining(f -> p.properties.putIfAbsent(f.getKey(), f.getValue().asText()));
  }

  private void merge(String target, String other, boolean dangerously) {
    if (target.equals(other)) {
      return;
    }
    Person t = byDistinctId.get(target);
    Person o = byDistinctId.get(other);
    if (t == null && o == null) {
      t = person(target);
      t.distinctIds.add(other);
      byDistinctId.put(other, t);
    } else if (t == null) {
      o.distinctIds.add(target);
      byDistinctId.put(target, o);
    } else if (o == null) {
      t.distinctIds.add(other);
      byDistinctId.put(other, t);
    } else if (t != o) {
      if (!dangerously && o.identified) {
        return; // cannot_merge_already_identified
      }
      TreeMap<String, String> merged = new TreeMap<>(o.properties);
      merged.putAll(t.properties);
      t.properties.clear();
      t.properties.putAll(merged);
      for (String d : o.distinctIds) {
        t.distinctIds.add(d);
        byDistinctId.put(d, t);
      }
    }
    byDistinctId.get(target).identified = true;
  }
}
