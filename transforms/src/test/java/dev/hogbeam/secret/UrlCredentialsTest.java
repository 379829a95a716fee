package dev.hogbeam.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UrlCredentialsTest {

  @Test
  void credentialsInAUrlAreFoundAndNamedWithoutTheirValue() {
    assertEquals(
        "has a user or password before the host",
        UrlCredentials.problem("https://me:s3cret@eu.posthog.com"));
    assertEquals(
        "has a user or password before the host",
        UrlCredentials.problem("jdbc:clickhouse://default:pw@ch:8123/posthog"));
    assertEquals(
        "has a 'password' query parameter",
        UrlCredentials.problem("jdbc:clickhouse:http://ch:8123/posthog?ssl=false&password=pw"));
    assertEquals(
        "has a 'api_key' query parameter", UrlCredentials.problem("https://h/x?api_key=phc_1"));
    assertEquals("has a 'token' query parameter", UrlCredentials.problem("http://h?token=t"));
    assertEquals(
        "has a 'access_token' query parameter",
        UrlCredentials.problem("http://h?a=1&access_token=t"));
    assertNull(UrlCredentials.problem("https://eu.i.posthog.com/"));
    assertNull(
        UrlCredentials.problem(
            "jdbc:clickhouse:https://ch:8443/posthog?ssl=true&socket_timeout=3"));
    assertNull(UrlCredentials.problem("https://proxy.example.com/path@with-at"));
  }

  @Test
  void redactionHidesUserInfoAndSecretParameters() {
    assertEquals(
        "https://***@eu.posthog.com/x", UrlCredentials.redact("https://me:pw@eu.posthog.com/x"));
    assertEquals(
        "jdbc:clickhouse:http://ch:8123/db?ssl=false&password=***&a=1",
        UrlCredentials.redact("jdbc:clickhouse:http://ch:8123/db?ssl=false&password=pw&a=1"));
    assertEquals("http://h/?api_key=***", UrlCredentials.redact("http://h/?api_key=phc_x"));
    assertEquals("https://h/p@q", UrlCredentials.redact("https://h/p@q"));
  }

  @Test
  void plainHttpCountsAsClearTextUnlessTheHostIsThisMachine() {
    assertTrue(UrlCredentials.cleartextToAnotherHost("http://posthog.internal:8000"));
    assertTrue(UrlCredentials.cleartextToAnotherHost("jdbc:clickhouse://ch.internal:8123"));
    assertTrue(UrlCredentials.cleartextToAnotherHost("jdbc:clickhouse:http://10.0.0.5:8123/db"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("https://eu.i.posthog.com"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("jdbc:clickhouse:https://ch:8443"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("jdbc:clickhouse://ch:8443/db?ssl=true"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("http://localhost:8000"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("http://127.0.0.1:8000/"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("http://[::1]:8000/"));
    assertFalse(UrlCredentials.cleartextToAnotherHost("jdbc:clickhouse://127.0.0.1:8123"));
    assertTrue(UrlCredentials.cleartextToAnotherHost("http://localhost.example.com"));
  }
}
