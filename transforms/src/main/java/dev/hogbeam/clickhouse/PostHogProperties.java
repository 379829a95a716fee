package dev.hogbeam.clickhouse;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Adds what a migrated event needs to its stored properties, without turning the JSON into a tree
 * and back: one streaming pass validates that the text is exactly one JSON object, then the new
 * keys go in before its closing brace. Everything else stays byte for byte as stored (including
 * {@code $lib} and {@code $lib_version}, number formats and key order).
 *
 * <p>Added: {@code "$geoip_disable": true} always, and {@code "$elements_chain"} with the row's
 * chain whenever the chain is not empty (every event type, not only {@code $autocapture}).
 *
 * <p>Our keys must win over same-named keys already in the properties. PostHog's capture service
 * deserialises {@code properties} into a {@code HashMap<String, serde_json::Value>} ({@code
 * RawEvent} in rust/common/types/src/event.rs), and serde inserts map entries in document order, so
 * the last duplicate would win; to not depend on any parser's duplicate handling, a top-level key
 * we add is removed from the stored text first (the object is then rebuilt from the raw text of its
 * other members, still without parsing values into a tree).
 */
public final class PostHogProperties {
  private PostHogProperties() {}

  private static final JsonFactory JSON =
      JsonFactory.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();
  private static final Pattern SOURCE_LOCATION =
      Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]");
  static final String GEOIP_DISABLE = "$geoip_disable";
  static final String ELEMENTS_CHAIN = "$elements_chain";

  /** The properties cannot be used: not JSON, or not an object. The message says why. */
  public static final class InvalidPropertiesException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPropertiesException(String message) {
      super(message);
    }
  }

  /** What {@link #rewrite} did besides adding keys, for counters. */
  public enum Change {
    APPENDED,
    REPLACED_EXISTING_KEYS
  }

  /** The rewritten properties (UTF-8 bytes of a JSON object) and what was done. */
  public record Result(byte[] utf8, Change change) {
    /** The rewritten properties as text. */
    public String json() {
      return new String(utf8, UTF_8);
    }
  }

  /**
   * Returns {@code properties} with {@code $geoip_disable: true} and, when {@code elementsChain} is
   * not empty, {@code $elements_chain}.
   *
   * @throws InvalidPropertiesException if {@code properties} is not exactly one JSON object
   */
  public static Result rewrite(String properties, String elementsChain)
      throws InvalidPropertiesException {
    return rewrite(properties.getBytes(UTF_8), elementsChain);
  }

  /**
   * {@link #rewrite(String, String)} on the UTF-8 bytes of the properties, as {@link EventRow}
   * holds them: the stored bytes are copied into the result as they are, never decoded (only the
   * top-level keys are read). Positions in error messages are byte offsets.
   *
   * @throws InvalidPropertiesException if {@code properties} is not exactly one JSON object
   */
  public static Result rewrite(byte[] properties, String elementsChain)
      throws InvalidPropertiesException {
    boolean addChain = elementsChain != null && !elementsChain.isEmpty();
    int[] starts = new int[16];
    int[] ends = new int[16];
    String[] names = new String[16];
    int members = 0;
    boolean conflict = false;
    int openBrace;
    int closeBrace;
    try (JsonParser p = JSON.createParser(properties)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new InvalidPropertiesException(
            first == null
                ? "properties is empty, not a JSON object"
                : "properties is not a JSON object (it is " + describe(first) + ")");
      }
      openBrace = (int) p.getTokenLocation().getByteOffset();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        int keyStart = (int) p.getTokenLocation().getByteOffset();
        String name = p.getCurrentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren();
        } else {
          p.finishToken();
        }
        if (members == starts.length) {
          starts = Arrays.copyOf(starts, members * 2);
          ends = Arrays.copyOf(ends, members * 2);
          names = Arrays.copyOf(names, members * 2);
        }
        starts[members] = keyStart;
        ends[members] = (int) p.getCurrentLocation().getByteOffset();
        names[members] = name;
        members++;
        if (name.equals(GEOIP_DISABLE) || (addChain && name.equals(ELEMENTS_CHAIN))) {
          conflict = true;
        }
      }
      if (t != JsonToken.END_OBJECT) {
        throw new InvalidPropertiesException("properties is not valid JSON");
      }
      closeBrace = (int) p.getTokenLocation().getByteOffset();
      JsonToken after = p.nextToken();
      if (after != null) {
        throw new InvalidPropertiesException(
            "properties has more JSON after the object (" + describe(after) + ")");
      }
    } catch (JsonProcessingException e) {
      throw new InvalidPropertiesException(
          "properties is not valid JSON: "
              + SOURCE_LOCATION.matcher(e.getOriginalMessage()).replaceAll("line $1, column $2")
              + " at byte "
              + (e.getLocation() == null ? "?" : e.getLocation().getByteOffset()));
    } catch (IOException e) {
      throw new InvalidPropertiesException("properties could not be read: " + e.getMessage());
    }

    StringBuilder added = new StringBuilder(elementsChain.length() + 64);
    added.append("\"" + GEOIP_DISABLE + "\":true");
    if (addChain) {
      added.append(",\"" + ELEMENTS_CHAIN + "\":\"");
      JsonStringEncoder.getInstance().quoteAsString(elementsChain, added);
      added.append('"');
    }
    added.append('}');
    byte[] tail = added.toString().getBytes(UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(properties.length + tail.length + 1);
    int kept = members;
    if (!conflict) {
      out.write(properties, openBrace, closeBrace - openBrace);
    } else {
      out.write('{');
      kept = 0;
      for (int i = 0; i < members; i++) {
        String name = names[i];
        if (name.equals(GEOIP_DISABLE) || (addChain && name.equals(ELEMENTS_CHAIN))) {
          continue;
        }
        if (kept++ > 0) {
          out.write(',');
        }
        out.write(properties, starts[i], ends[i] - starts[i]);
      }
    }
    if (kept > 0) {
      out.write(',');
    }
    out.writeBytes(tail);
    return new Result(
        out.toByteArray(), conflict ? Change.REPLACED_EXISTING_KEYS : Change.APPENDED);
  }

  private static String describe(JsonToken t) {
    switch (t) {
      case START_ARRAY:
        return "an array";
      case VALUE_STRING:
        return "a string";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a number";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      default:
        return t.asString() == null ? t.name() : t.asString();
    }
  }
}
