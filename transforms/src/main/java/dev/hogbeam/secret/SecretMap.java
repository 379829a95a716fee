package dev.hogbeam.secret;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Several secrets in one: a JSON object of names to secret strings ({@code {"2": "phc_...", "5":
 * "phc_..."}}), as one file, one environment variable or one Secret Manager version holds them (one
 * destination key per project of a run, say). {@link SecretRef#entry} reads one entry of it.
 *
 * <p>Parsed with Jackson's streaming parser with the source left out of error locations; messages
 * name the entries and the line and column of a syntax error, never a value nor Jackson's own
 * message (which can quote the text).
 */
public final class SecretMap {
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  private SecretMap() {}

  /**
   * The entries of {@code text}, in their order.
   *
   * @param where names the text in messages ({@code the file gs://b/keys.json})
   * @throws IllegalArgumentException naming {@code where}, and the entry or the position at fault
   */
  public static Map<String, String> parse(String text, String where) {
    Map<String, String> out = new LinkedHashMap<>();
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException(
            where + " is not a JSON object of names to secrets ({\"name\": \"secret\", ...})");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException(
              where + ": the entry \"" + name + "\" is not a string (give it in double quotes)");
        }
        out.put(name, p.getText().strip());
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new IllegalArgumentException(
            where + " has more after its JSON object; give exactly one object");
      }
    } catch (JsonProcessingException e) {
      // Jackson's message can quote the text (a key); only the position is passed on.
      throw new IllegalArgumentException(
          where
              + " is not valid JSON"
              + (e.getLocation() == null
                  ? ""
                  : " (line "
                      + e.getLocation().getLineNr()
                      + ", column "
                      + e.getLocation().getColumnNr()
                      + ")")
              + duplicate(e),
          null);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " cannot be read as JSON", null);
    }
    return out;
  }

  /** Jackson's duplicate-name message quotes the name only, which is not secret. */
  private static String duplicate(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    return m != null && m.startsWith("Duplicate field ") ? ": " + m + " given twice" : "";
  }
}
