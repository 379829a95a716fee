package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
  @Test
  void acceptsWellFormedProjectKeysAndTrimsThem() {
    assertNull(ApiKeys.problem("phc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"));
    assertNull(ApiKeys.problem(" phc_abc\n"));
    assertEquals("phc_abc", ApiKeys.normalize(" phc_abc\n"));
    assertNull(ApiKeys.problem("x".repeat(64)));
  }

  @Test
  void refusesWhatPostHogRefusesWithoutEchoingTheKey() {
    String[][] cases = {
      {null, "no API key was given"},
      {"", "the API key is empty"},
      {"  \t", "the API key is empty"},
      {"phx_secretpersonalkey", "the API key is a personal API key (phx_...)"},
      {"phc_" + "y".repeat(61), "the API key is longer than 64 characters"},
      {"phc_s\u00e9cret", "the API key has non-ASCII characters"},
      {"phc_se\u0000cret", "the API key contains a NUL character"},
    };
    for (String[] c : cases) {
      String problem = ApiKeys.problem(c[0]);
      assertEquals(c[1], problem, Arrays.toString(c));
      if (c[0] != null && !c[0].isBlank()) {
        assertFalse(problem.contains(c[0].strip()));
      }
    }
  }
}
