package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class HostsTest {
  @Test
  void rewritesPostHogCloudAppHostsToIngestionHosts() {
    assertEquals("https://us.i.posthog.com", Hosts.ingestionHost("https://app.posthog.com"));
    assertEquals("https://us.i.posthog.com", Hosts.ingestionHost("https://us.posthog.com"));
    assertEquals("https://us.i.posthog.com", Hosts.ingestionHost("https://us.posthog.com/"));
    assertEquals("https://us.i.posthog.com", Hosts.ingestionHost(" HTTPS://App.PostHog.com// "));
    assertEquals("https://eu.i.posthog.com", Hosts.ingestionHost("https://eu.posthog.com"));
    assertEquals("https://eu.i.posthog.com", Hosts.ingestionHost("https://eu.posthog.com/"));
  }

  @Test
  void usesAnyOtherHostAsGivenWithoutTrailingSlashes() {
    assertEquals("https://us.i.posthog.com", Hosts.ingestionHost("https://us.i.posthog.com/"));
    assertEquals(
        "https://posthog.example.com", Hosts.ingestionHost("https://posthog.example.com///"));
    assertEquals("http://127.0.0.1:8000", Hosts.ingestionHost("http://127.0.0.1:8000"));
    assertEquals(
        "https://proxy.example.com/ph", Hosts.ingestionHost("https://proxy.example.com/ph/"));
    assertEquals("http://app.posthog.com", Hosts.ingestionHost("http://app.posthog.com"));
  }

  @Test
  void batchUriAppendsTheBatchPath() {
    assertEquals(
        "https://eu.i.posthog.com/batch/", Hosts.batchUri("https://eu.posthog.com/").toString());
    assertEquals(
        "https://proxy.example.com/ph/batch/",
        Hosts.batchUri("https://proxy.example.com/ph").toString());
  }

  @Test
  void refusesWhatIsNotAnHttpUrl() {
    assertNull(Hosts.problem("https://us.posthog.com/"));
    assertNull(Hosts.problem("http://localhost:8000"));
    assertNotNull(Hosts.problem("us.posthog.com"));
    assertNotNull(Hosts.problem("ftp://us.posthog.com"));
    assertNotNull(Hosts.problem("https://"));
    assertNotNull(Hosts.problem("https://host/?a=b"));
    assertNotNull(Hosts.problem("not a url at all"));
  }
}
