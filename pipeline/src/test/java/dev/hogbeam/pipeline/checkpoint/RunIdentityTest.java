package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunIdentityTest {

  @Test
  void roundTripsAndNamesEachDifference() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("destination", "PostHog project 1a2b");
    a.put("orderBy", "day");
    assertEquals(a, RunIdentity.fromJson(RunIdentity.toJson(a)));

    Map<String, String> b =
        Map.of("destination", "dry run", "orderBy", "person", "personBuckets", "8");
    assertEquals(
        "destination PostHog project 1a2b (now dry run), orderBy day (now person),"
            + " personBuckets unset (now 8)",
        RunIdentity.differences(a, b));
    assertEquals("", RunIdentity.differences(a, Map.copyOf(a)));
  }
}
