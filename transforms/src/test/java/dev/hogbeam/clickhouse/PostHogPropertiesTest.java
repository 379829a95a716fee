package dev.hogbeam.clickhouse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.clickhouse.PostHogProperties.Change;
import dev.hogbeam.clickhouse.PostHogProperties.InvalidPropertiesException;
import dev.hogbeam.clickhouse.PostHogProperties.Result;
import org.junit.jupiter.api.Test;

class PostHogPropertiesTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Result rewrite(String props, String chain) throws InvalidPropertiesException {
    return PostHogProperties.rewrite(props, chain);
  }

  @Test
  void appendsOurKeysAndKeepsEverythingElseByteForByte() throws Exception {
    Result r =
        rewrite("{\"a\":1,\"$lib\":\"web\",\"$lib_version\":\"1.2.3\"}", "a:nth-child=\"1\"");
    assertEquals(
        "{\"a\":1,\"$lib\":\"web\",\"$lib_version\":\"1.2.3\",\"$geoip_disable\":true,"
            + "\"$elements_chain\":\"a:nth-child=\\\"1\\\"\"}",
        r.json());
    assertEquals(Change.APPENDED, r.change());
  }

  @Test
  void multibyteTextIsSplicedAtByteOffsetsNotCharacterOffsets() throws Exception {
    // Every key before and after the replaced one holds text of 2-, 3- and 4-byte UTF-8 sequences,
    // so a character offset used as a byte offset would cut a sequence or a member.
    String props =
        "{\"名前\":\"東京 😀\",\"$geoip_disable\":false,\"ø\":[\"Æ\",{\"深\":\"𝄞\"}],\"x\":\"é\"}";
    Result r = rewrite(props, "a.Köpa");
    assertEquals(Change.REPLACED_EXISTING_KEYS, r.change());
    assertEquals(
        "{\"名前\":\"東京 😀\",\"ø\":[\"Æ\",{\"深\":\"𝄞\"}],\"x\":\"é\",\"$geoip_disable\":true,"
            + "\"$elements_chain\":\"a.Köpa\"}",
        r.json());
    assertArrayEquals(r.json().getBytes(UTF_8), r.utf8());
    Result appended = rewrite("{\"名前\":\"😀\"}", "");
    assertEquals("{\"名前\":\"😀\",\"$geoip_disable\":true}", appended.json());
    assertArrayEquals(
        appended.utf8(), PostHogProperties.rewrite("{\"名前\":\"😀\"}".getBytes(UTF_8), "").utf8());
  }

  @Test
  void noChainNoChainKey() throws Exception {
    assertEquals("{\"$geoip_disable\":true}", rewrite("{}", "").json());
    assertEquals(
        "{ \"a\" : [1, {\"b\": \"}\"}] ,\"$geoip_disable\":true}",
        rewrite(" { \"a\" : [1, {\"b\": \"}\"}] } \n", "").json());
  }

  @Test
  void numbersUnicodeAndNestingSurviveUntouched() throws Exception {
    String props =
        "{\"n\":12345678901234567890123,\"f\":1.50,\"e\":-0.0e+5,\"u\":\"😀 é \\u00e9\",\"o\":{\"$geoip_disable\":false,\"x\":[null,true]}}";
    Result r = rewrite(props, "");
    assertEquals(props.substring(0, props.length() - 1) + ",\"$geoip_disable\":true}", r.json());
    assertEquals(Change.APPENDED, r.change());
  }

  @Test
  void ourKeysReplaceExistingTopLevelOnes() throws Exception {
    Result r =
        rewrite(
            "{\"$geoip_disable\":false,\"x\":\"y\",\"$elements_chain\":\"old\",\"z\":{\"k\":1}}",
            "new");
    assertEquals(
        "{\"x\":\"y\",\"z\":{\"k\":1},\"$geoip_disable\":true,\"$elements_chain\":\"new\"}",
        r.json());
    assertEquals(Change.REPLACED_EXISTING_KEYS, r.change());

    // An escaped spelling of the same key is the same key.
    r = rewrite("{\"\\u0024geoip_disable\":0, \"a\" : \"b\" }", "");
    assertEquals("{\"a\" : \"b\",\"$geoip_disable\":true}", r.json());

    // Only key present, and it is ours.
    assertEquals("{\"$geoip_disable\":true}", rewrite("{\"$geoip_disable\":\"no\"}", "").json());
  }

  @Test
  void anExistingChainStaysWhenTheRowHasNone() throws Exception {
    Result r = rewrite("{\"$elements_chain\":\"kept\"}", "");
    assertEquals("{\"$elements_chain\":\"kept\",\"$geoip_disable\":true}", r.json());
    assertEquals(Change.APPENDED, r.change());
  }

  @Test
  void chainsWithAnyCharactersComeOutAsTheSameString() throws Exception {
    String chain = "button.btn:text=\"Say \\\"hi\\\"\"\n\ttab\u0001;a:href=\"/x?y=1&z=2\"";
    JsonNode n = JSON.readTree(rewrite("{\"k\":1}", chain).json());
    assertEquals(chain, n.get("$elements_chain").asText());
    assertTrue(n.get("$geoip_disable").asBoolean());
    assertEquals(1, n.get("k").asInt());
  }

  @Test
  void refusesWhatIsNotExactlyOneJsonObject() {
    assertMessage("", "properties is empty, not a JSON object");
    assertMessage("   ", "properties is empty, not a JSON object");
    assertMessage("[1]", "properties is not a JSON object (it is an array)");
    assertMessage("\"s\"", "properties is not a JSON object (it is a string)");
    assertMessage("null", "properties is not a JSON object (it is null)");
    assertMessage("{\"a\":1} {}", "properties has more JSON after the object ({)");
    for (String bad :
        new String[] {"{", "{\"a\":1,}", "{'a':1}", "{\"a\":NaN}", "{\"a\":1]", "{\"a\" 1}"}) {
      InvalidPropertiesException e =
          assertThrows(InvalidPropertiesException.class, () -> rewrite(bad, "x"), bad);
      assertTrue(e.getMessage().startsWith("properties is not valid JSON"), e.getMessage());
    }
  }

  @Test
  void reasonsNeverQuoteTheProperties() {
    String[] broken = {
      "{\"secret-value\":",
      "{\"secret-value\":[1,",
      "{\"a\":{\"secret-value\":1",
      "{\"secret-value\""
    };
    for (String b : broken) {
      InvalidPropertiesException e =
          assertThrows(InvalidPropertiesException.class, () -> rewrite(b, ""));
      assertTrue(
          !e.getMessage().contains("secret") && !e.getMessage().contains("REDACTED"),
          e.getMessage());
    }
    InvalidPropertiesException e =
        assertThrows(InvalidPropertiesException.class, () -> rewrite("{\"a\":[1", ""));
    assertEquals(
        "properties is not valid JSON: Unexpected end-of-input: expected close marker for Array"
            + " (start marker at line 1, column 6) at byte 7",
        e.getMessage());
  }

  static void assertMessage(String props, String message) {
    InvalidPropertiesException e =
        assertThrows(InvalidPropertiesException.class, () -> rewrite(props, ""), props);
    assertEquals(message, e.getMessage());
  }
}
