package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.secret.SecretRef;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where an Amplitude project's API key and secret key are read ({@link SecretRef}: the keys
 * themselves never travel with the pipeline). They only ever leave this class as the HTTP basic
 * {@code Authorization} header; {@link #toString()} and display data never show them.
 */
final class ExportCredentials implements Serializable {
  private static final long serialVersionUID = 2L;

  /** Where a person sets the keys, for error messages. */
  static final String FLAGS =
      "--amplitudeApiKey / --amplitudeSecretKey (or AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY)";

  private final SecretRef apiKey;
  private final SecretRef secretKey;

  ExportCredentials(String apiKey, String secretKey) {
    this(inMemory(apiKey, "API key"), inMemory(secretKey, "secret key"));
  }

  ExportCredentials(SecretRef apiKey, SecretRef secretKey) {
    this.apiKey = checkNotNull(apiKey, "apiKey");
    this.secretKey = checkNotNull(secretKey, "secretKey");
  }

  private static SecretRef inMemory(String key, String what) {
    checkArgument(key != null && !key.isBlank(), "the Amplitude %s is empty: set %s", what, FLAGS);
    return SecretRef.inMemory(key.trim(), "");
  }

  String authorizationHeader() {
    String pair = apiKey.resolve() + ":" + secretKey.resolve();
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "ExportCredentials{API key from " + apiKey + ", secret key from " + secretKey + "}";
  }
}
