package dev.hogbeam.pipeline.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings a checkpoint directory belongs to ({@code run.json}): what must be the same for a
 * later run to resume from it (the destination, the grouping). Flat string pairs.
 */
public final class RunIdentity {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RunIdentity() {}

  public static String toJson(Map<String, String> identity) {
    ObjectNode n = JSON.createObjectNode();
    identity.forEach(n::put);
    return n.toString();
  }

  public static Map<String, String> fromJson(String json) {
    try {
      Map<String, String> out = new LinkedHashMap<>();
      JsonNode n = JSON.readTree(json);
      n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("unreadable run.json: " + e.getMessage(), e);
    }
  }

  /** {@code "destination PostHog project 1a2b (now dry run), orderBy day (now person)"}. */
  public static String differences(Map<String, String> earlier, Map<String, String> now) {
    Set<String> keys = new TreeSet<>(earlier.keySet());
    keys.addAll(now.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      String a = earlier.get(k);
      String b = now.get(k);
      if (a == null ? b != null : !a.equals(b)) {
        out.add(k + " " + (a == null ? "unset" : a) + " (now " + (b == null ? "unset" : b) + ")");
      }
    }
    return String.join(", ", out);
  }
}
