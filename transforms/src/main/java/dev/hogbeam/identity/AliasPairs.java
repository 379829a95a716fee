package dev.hogbeam.identity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * (device id, user id) pairs: their text key, and which ids PostHog refuses to merge.
 *
 * <p>A pair key is the JSON array {@code ["<device id>","<user id>"]}: unambiguous whatever the ids
 * contain, and always one line (JSON escapes line breaks), so pair keys can be stored one per line
 * (see {@link AliasPairStore}).
 */
public final class AliasPairs {
  private static final ObjectMapper JSON = new ObjectMapper();

  // PostHog's ingestion refuses to merge persons through these ids (its isDistinctIdIllegal):
  // blank ids, these ids in any case, and these ids exactly as written; each also when wrapped in
  // single or double quotes.
  private static final Set<String> REFUSED_ANY_CASE =
      withQuotes(
          Set.of(
              "anonymous",
              "guest",
              "distinctid",
              "distinct_id",
              "id",
              "not_authenticated",
              "email",
              "undefined",
              "true",
              "false"));
  private static final Set<String> REFUSED_EXACT =
      withQuotes(Set.of("[object Object]", "NaN", "None", "none", "null", "0", "undefined"));

  private AliasPairs() {}

  /** The key of the pair (deviceId, userId). */
  public static String pairKey(String deviceId, String userId) {
    ArrayNode a = JSON.createArrayNode();
    a.add(deviceId);
    a.add(userId);
    return a.toString();
  }

  /** The device id of a pair key. */
  public static String deviceId(String pairKey) {
    return parse(pairKey)[0];
  }

  /** The user id of a pair key. */
  public static String userId(String pairKey) {
    return parse(pairKey)[1];
  }

  /** Whether {@code pairKey} is a well-formed pair key. */
  public static boolean isPairKey(String pairKey) {
    try {
      parse(pairKey);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String[] parse(String pairKey) {
    try {
      JsonNode n = JSON.readTree(pairKey);
      if (n != null
          && n.isArray()
          && n.size() == 2
          && n.get(0).isTextual()
          && n.get(1).isTextual()) {
        return new String[] {n.get(0).textValue(), n.get(1).textValue()};
      }
    } catch (JsonProcessingException e) {
      // fall through
    }
    throw new IllegalArgumentException("not an alias pair key: " + pairKey);
  }

  /**
   * Whether PostHog refuses to merge persons through {@code id} (an {@code $identify} or {@code
   * $create_alias} naming it is ignored): blank, or one of the generic ids that usually come from a
   * bug ({@code anonymous}, {@code null}, {@code 0}, {@code [object Object]}, ...).
   */
  public static boolean isRefusedId(String id) {
    return id.trim().isEmpty()
        || REFUSED_ANY_CASE.contains(id.toLowerCase(Locale.ROOT))
        || REFUSED_EXACT.contains(id);
  }

  private static Set<String> withQuotes(Set<String> ids) {
    HashSet<String> all = new HashSet<>(ids);
    for (String id : ids) {
      all.add("'" + id + "'");
      all.add("\"" + id + "\"");
    }
    return Set.copyOf(all);
  }
}
