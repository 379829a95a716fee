package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SelfTestTest {

  @Test
  void expectedCountAndSumMatchBruteForce() {
    for (long elements : new long[] {1, 2, 9, 10, 11, 1000, 1003}) {
      for (int keys : new int[] {1, 3, 10, 17}) {
        for (long key = 0; key < keys; key++) {
          long count = 0;
          long sum = 0;
          for (long i = 0; i < elements; i++) {
            if (i % keys == key) {
              count++;
              sum += i;
            }
          }
          String where = elements + " elements, " + keys + " keys, key " + key;
          assertEquals(count, SelfTest.expectedCount(elements, keys, key), where);
          assertEquals(sum, SelfTest.expectedSum(elements, keys, key), where);
        }
      }
    }
  }

  /** The pipeline itself, on the DirectRunner with its immutability and encoding checks on. */
  @Test
  void runsOnTheDirectRunner() {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exitCode;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exitCode =
          SelfTest.run(
              new String[] {
                "--runner=DirectRunner", "--elements=1003", "--keys=17", "--rateLimitShares=1"
              });
    } finally {
      System.setOut(original);
    }
    assertEquals(0, exitCode);
    assertEquals(
        "selftest OK: 1003 elements in 17 groups on DirectRunner, rateLimitShares=1\n",
        captured.toString(StandardCharsets.UTF_8));
  }
}
