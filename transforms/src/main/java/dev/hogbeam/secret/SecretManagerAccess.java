package dev.hogbeam.secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads a Google Cloud Secret Manager secret version through its REST API ({@code GET
 * https://secretmanager.googleapis.com/v1/{name}:access}), without the Secret Manager client
 * library (see README, "Security", for why). The access token is the process's application-default
 * credentials: Google's auth library when it is on the classpath (the Dataflow build has it), else
 * the metadata server of the VM (every Dataflow worker, every GCE / GKE machine).
 */
final class SecretManagerAccess {
  private SecretManagerAccess() {}

  private static final String API = "https://secretmanager.googleapis.com/v1/";
  private static final String METADATA_TOKEN =
      "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The secret version's payload as UTF-8 text. */
  static String access(String version) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    try {
      String token = accessToken(http);
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(API + version + ":access"))
                  .timeout(TIMEOUT)
                  .header("Authorization", "Bearer " + token)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "Secret Manager answered HTTP "
                + r.statusCode()
                + " for "
                + version
                + " (the worker's service account needs roles/secretmanager.secretAccessor)");
      }
      JsonNode data = JSON.readTree(r.body()).path("payload").path("data");
      if (!data.isTextual()) {
        throw new IllegalStateException("Secret Manager returned no payload for " + version);
      }
      return new String(Base64.getDecoder().decode(data.asText()), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read " + version + " from Secret Manager: " + e.getClass().getSimpleName(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading " + version, e);
    }
  }

  private static String accessToken(HttpClient http) throws IOException, InterruptedException {
    String fromLibrary = tokenFromAuthLibrary();
    if (fromLibrary != null) {
      return fromLibrary;
    }
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(METADATA_TOKEN))
                .timeout(TIMEOUT)
                .header("Metadata-Flavor", "Google")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200) {
      throw new IOException("the metadata server answered HTTP " + r.statusCode());
    }
    JsonNode token = JSON.readTree(r.body()).path("access_token");
    if (!token.isTextual()) {
      throw new IOException("the metadata server returned no access token");
    }
    return token.asText();
  }

  /** Application-default credentials through google-auth-library, when it is present. */
  private static @Nullable String tokenFromAuthLibrary() {
    try {
      Class<?> credentials = Class.forName("com.google.auth.oauth2.GoogleCredentials");
      Object adc = credentials.getMethod("getApplicationDefault").invoke(null);
      Object scoped =
          credentials
              .getMethod("createScoped", String[].class)
              .invoke(
                  adc, (Object) new String[] {"https://www.googleapis.com/auth/cloud-platform"});
      Method refresh = credentials.getMethod("refreshAccessToken");
      Object token = refresh.invoke(scoped);
      return (String) token.getClass().getMethod("getTokenValue").invoke(token);
    } catch (ClassNotFoundException e) {
      return null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // no application-default credentials here: try the metadata server
    }
  }
}
