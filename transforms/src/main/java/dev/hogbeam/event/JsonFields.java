package dev.hogbeam.event;

import com.fasterxml.jackson.databind.JsonNode;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Fields of JSON records read back from files (dead letters, their payloads), checked. */
public final class JsonFields {
  private JsonFields() {}

  /**
   * The string {@code field} of {@code n}; IllegalArgumentException naming it when it is not one.
   */
  public static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
    }
    return v.asText();
  }

  /** The field {@code field} of {@code n} as text, or null when it is absent or null. */
  public static @Nullable String optionalText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
