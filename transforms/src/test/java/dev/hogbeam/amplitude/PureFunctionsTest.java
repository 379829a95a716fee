package dev.hogbeam.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.download.HttpDownload;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.order.OrderingKey;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The small pure functions of the Amplitude path, each on its own. */
class PureFunctionsTest {
  private static long micros(String iso) {
    return Timestamps.toMicros(Instant.parse(iso));
  }

  @Test
  void amplitudeTimesKeepMicrosecondsAndTruncateBeyond() {
    assertEquals(micros("2024-05-01T00:00:00Z"), AmplitudeTimes.parseMicros("2024-05-01 00:00:00"));
    assertEquals(
        micros("2024-05-01T23:59:59.000001Z"),
        AmplitudeTimes.parseMicros("2024-05-01 23:59:59.000001"));
    assertEquals(
        micros("2024-05-01T23:59:59.123456Z"),
        AmplitudeTimes.parseMicros("2024-05-01 23:59:59.123456789"));
    assertEquals(
        micros("2024-05-01T23:59:59.500Z"), AmplitudeTimes.parseMicros("2024-05-01 23:59:59.5"));
    assertEquals(
        micros("2024-02-29T12:00:00.250Z"), AmplitudeTimes.parseMicros("2024-02-29T12:00:00.25Z"));
    assertEquals(micros("1969-12-31T23:59:59Z"), AmplitudeTimes.parseMicros("1969-12-31 23:59:59"));
    for (String bad :
        List.of(
            "",
            "2024-05-01",
            "2024-05-01 24:00:00",
            "2023-02-29 00:00:00",
            "2024-05-01 12:00:00.",
            "2024-05-01 12:00:00.1234567890",
            "2024-05-01 12:00:0x",
            "2024/05/01 12:00:00",
            "1714557600000")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> AmplitudeTimes.parseMicros(bad));
      assertEquals(
          "'" + bad + "' is not a time of the form YYYY-MM-DD HH:MM:SS[.ffffff]", e.getMessage());
    }
  }

  @Test
  void nameUuidsAreVersion5AndStable() {
    String a = NameUuids.v5("x");
    assertEquals(a, NameUuids.v5("x"));
    assertNotEquals(a, NameUuids.v5("y"));
    UUID u = UUID.fromString(a);
    assertEquals(5, u.version());
    assertEquals(2, u.variant());
    assertEquals(a, a.toLowerCase());
    // Pinned: changing the namespace or the hashing would make a re-run send new uuids, which
    // PostHog would not recognise as the ones it already has.
    assertEquals("6de69f91-44a5-5991-8159-3eed9504b962", a);
    assertEquals("018f3398-c100-7f25-86be-5b347f4e7cb0", NameUuids.v7(1714557600000L, "d"));
  }

  @Test
  void sessionUuidsAreVersion7AtTheSessionStart() {
    UUID u = UUID.fromString(NameUuids.v7(1714557600000L, "d"));
    assertEquals(7, u.version());
    assertEquals(2, u.variant());
    assertEquals(1714557600000L, u.getMostSignificantBits() >>> 16);
    assertNotEquals(NameUuids.v7(1714557600000L, "d"), NameUuids.v7(1714557600000L, "e"));
    assertThrows(IllegalArgumentException.class, () -> NameUuids.v7(-1, "d"));
    assertThrows(IllegalArgumentException.class, () -> NameUuids.v7(1L << 48, "d"));
  }

  @Test
  void dayKeysAreTheUtcDay() {
    OrderingKey day = OrderingKey.day();
    assertEquals("2024-05-01", day.keyFor("anyone", micros("2024-05-01T00:00:00Z")));
    assertEquals("2024-05-01", day.keyFor("anyone", micros("2024-05-01T23:59:59.999999Z")));
    assertEquals("2024-05-02", day.keyFor("anyone", micros("2024-05-02T00:00:00Z")));
    assertEquals("1969-12-31", day.keyFor("anyone", -1));
  }

  @Test
  void personKeysAreStableBucketsOfThePerson() {
    OrderingKey person = OrderingKey.person(100);
    String k = person.keyFor("user-1", 0);
    assertTrue(k.matches("person-\\d{4}"), k);
    assertEquals(k, person.keyFor("user-1", micros("2030-01-01T00:00:00Z")), "time plays no part");
    assertEquals(k, OrderingKey.person(100).keyFor("user-1", 0), "stable across instances");
    Set<String> buckets = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      buckets.add(person.keyFor("user-" + i, 0));
    }
    assertEquals(100, buckets.size(), "spread over all buckets");
    assertEquals("person-00000", OrderingKey.person(20000).keyFor("x", 0).replaceAll("\\d", "0"));
    assertEquals("person-0000", OrderingKey.person(1).keyFor("x", 0));
    assertThrows(IllegalArgumentException.class, () -> OrderingKey.person(0));
  }

  @Test
  void pairKeysRoundTripWhateverTheIdsHold() {
    for (String[] ids :
        new String[][] {
          {"device-1", "user-1"}, {"d\"\\", "u\nv"}, {"", ""}, {"ünï", "コード"}, {"[\"a\",", "\"]"}
        }) {
      String key = AliasPairs.pairKey(ids[0], ids[1]);
      assertFalse(key.contains("\n"), key);
      assertTrue(AliasPairs.isPairKey(key));
      assertEquals(ids[0], AliasPairs.deviceId(key));
      assertEquals(ids[1], AliasPairs.userId(key));
    }
    assertEquals("[\"device-1\",\"user-1\"]", AliasPairs.pairKey("device-1", "user-1"));
    assertFalse(AliasPairs.isPairKey("not json"));
    assertFalse(AliasPairs.isPairKey("[\"only one\"]"));
    assertFalse(AliasPairs.isPairKey("[1,2]"));
  }

  @Test
  void refusedIdsAreThoseThatPostHogWillNotMerge() {
    for (String id :
        List.of(
            "",
            "  ",
            "anonymous",
            "Anonymous",
            "GUEST",
            "distinctid",
            "distinct_id",
            "id",
            "not_authenticated",
            "email",
            "undefined",
            "UNDEFINED",
            "true",
            "False",
            "[object Object]",
            "NaN",
            "None",
            "none",
            "null",
            "0",
            "'null'",
            "\"anonymous\"",
            "'GUEST'")) {
      assertTrue(AliasPairs.isRefusedId(id), id);
    }
    for (String id : List.of("nan", "NULL", "Null", "00", "user-1", "[object object]", "0.0")) {
      assertFalse(AliasPairs.isRefusedId(id), id);
    }
  }

  @Test
  void exportHoursCoverTheRangeOnceEach() {
    List<String> hours =
        ExportHours.plan(
            Instant.parse("2024-02-28T22:00:00Z"), Instant.parse("2024-03-01T01:00:00Z"));
    assertEquals(27, hours.size());
    assertEquals("20240228T22", hours.get(0));
    assertEquals("20240229T00", hours.get(2));
    assertEquals("20240301T00", hours.get(26));
    assertEquals(new HashSet<>(hours).size(), hours.size());
    assertEquals(Instant.parse("2024-03-01T00:00:00Z"), ExportHours.parse("20240301T00"));
    assertEquals("export hour 2024-03-01T07", ExportHours.source("20240301T07"));
    assertEquals("20240301T07", ExportHours.query(Instant.parse("2024-03-01T07:00:00Z")));

    IllegalArgumentException notWhole =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ExportHours.plan(
                    Instant.parse("2024-03-01T00:30:00Z"), Instant.parse("2024-03-02T00:00:00Z")));
    assertEquals(
        "start must be a whole UTC hour, but was 2024-03-01T00:30:00Z", notWhole.getMessage());
    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ExportHours.plan(
                    Instant.parse("2024-03-01T00:00:00Z"), Instant.parse("2024-03-01T00:00:00Z")));
    assertEquals(
        "end (2024-03-01T00:00:00Z) must be after start (2024-03-01T00:00:00Z)",
        empty.getMessage());
  }

  @Test
  void backoffDoublesUpToTheCapAndHonoursRetryAfter() {
    HttpDownload.Policy p =
        new HttpDownload.Policy(
            8,
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1));
    Instant now = Instant.parse("2024-05-01T00:00:00Z");
    assertEquals(1000, HttpDownload.backoffMillis(1, null, p, now));
    assertEquals(2000, HttpDownload.backoffMillis(2, null, p, now));
    assertEquals(8000, HttpDownload.backoffMillis(4, null, p, now));
    assertEquals(10000, HttpDownload.backoffMillis(5, null, p, now));
    assertEquals(10000, HttpDownload.backoffMillis(60, null, p, now));
    assertEquals(3000, HttpDownload.backoffMillis(1, "3", p, now));
    assertEquals(0, HttpDownload.backoffMillis(4, "0", p, now));
    assertEquals(10000, HttpDownload.backoffMillis(1, "3600", p, now), "capped");
    assertEquals(
        7000, HttpDownload.backoffMillis(1, "Wed, 01 May 2024 00:00:07 GMT", p, now), "a date");
    assertEquals(
        0, HttpDownload.backoffMillis(1, "Tue, 30 Apr 2024 23:00:00 GMT", p, now), "a past date");
    assertEquals(1000, HttpDownload.backoffMillis(1, "soon", p, now), "unreadable: backoff");
  }

  @Test
  void refusalsNameTheHourAndTheFlagsButNotTheKeys() {
    String tooBig = ExportClient.refusal("20240501T13", 400);
    assertTrue(
        tooBig.startsWith("Amplitude Export API answered 400 for hour 2024-05-01T13: "), tooBig);
    assertTrue(tooBig.contains("4 GB"), tooBig);
    String keys = ExportClient.refusal("20240501T13", 401);
    assertTrue(keys.contains("--amplitudeApiKey / --amplitudeSecretKey"), keys);
    assertTrue(keys.contains("AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY"), keys);
    assertEquals(
        "Amplitude Export API answered HTTP 422 for hour 2024-05-01T13.",
        ExportClient.refusal("20240501T13", 422));
  }

  @Test
  void credentialsNeverShowThemselves() {
    ExportCredentials c = new ExportCredentials("api-123", "secret-456");
    assertEquals(
        "ExportCredentials{API key from a value held in the launching JVM, secret key from a value"
            + " held in the launching JVM}",
        c.toString());
    assertFalse(c.toString().contains("api-123") || c.toString().contains("secret-456"));
    assertEquals(
        "Basic " + java.util.Base64.getEncoder().encodeToString("api-123:secret-456".getBytes()),
        c.authorizationHeader());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new ExportCredentials(" ", "secret-456"));
    assertEquals(
        "the Amplitude API key is empty: set --amplitudeApiKey / --amplitudeSecretKey (or"
            + " AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY)",
        e.getMessage());
    assertFalse(
        assertThrows(IllegalArgumentException.class, () -> new ExportCredentials("api-123", ""))
            .getMessage()
            .contains("api-123"));
  }
}
