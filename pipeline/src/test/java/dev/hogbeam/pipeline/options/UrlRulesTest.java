package dev.hogbeam.pipeline.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UrlRulesTest {

  @Test
  void credentialsInAUrlAreRefusedWithAPointerToTheSecretFlags() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UrlRules.checkNoCredentials(
                    "clickhouseUrl",
                    "http://ch:8123/?password=hunter2",
                    "--clickhousePasswordFile (or CLICKHOUSE_PASSWORD)"));
    assertEquals(
        "--clickhouseUrl has a 'password' query parameter: credentials never go in a URL (it is"
            + " shown in logs and runner UIs); use --clickhousePasswordFile (or"
            + " CLICKHOUSE_PASSWORD) instead",
        e.getMessage());
    IllegalArgumentException userInfo =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UrlRules.checkNoCredentials(
                    "posthogUrl", "https://u:phc_x@eu.posthog.com", "POSTHOG_API_KEY"));
    assertEquals(
        "--posthogUrl has a user or password before the host: credentials never go in a URL (it"
            + " is shown in logs and runner UIs); use POSTHOG_API_KEY instead",
        userInfo.getMessage());
  }

  @Test
  void plainHttpToAnotherHostIsRefusedUnlessAllowed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UrlRules.checkEncrypted(
                    "posthogUrl", "http://posthog.internal", false, "the PostHog project API key"));
    assertEquals(
        "--posthogUrl=http://posthog.internal would send the PostHog project API key in clear text"
            + " to another machine; use https:// (or, for ClickHouse, ssl=true), or pass"
            + " --allowInsecureHttp if the network between here and that host is trusted",
        e.getMessage());
    UrlRules.checkEncrypted("posthogUrl", "http://posthog.internal", true, "the key");
    UrlRules.checkEncrypted("posthogUrl", "http://127.0.0.1:8000", false, "the key");
    UrlRules.checkEncrypted("clickhouseUrl", "https://ch.internal:8443", false, "the password");
  }
}
