package dev.hogbeam.amplitude;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An Amplitude project's API key and secret key. They only ever leave this class as the HTTP basic
 * {@code Authorization} header; {@link #toString()} and display data never show them.
 */
final class ExportCredentials implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Where a person sets the keys, for error messages. */
  static final String FLAGS =
      "--amplitudeApiKey / --amplitudeSecretKey (or AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY)";

  private final String apiKey;
  private final String secretKey;

  ExportCredentials(String apiKey, String secretKey) {
    checkArgument(
        apiKey != null && !apiKey.isBlank(), "the Amplitude API key is empty: set %s", FLAGS);
    checkArgument(
        secretKey != null && !secretKey.isBlank(),
        "the Amplitude secret key is empty: set %s",
        FLAGS);
    this.apiKey = apiKey.trim();
    this.secretKey = secretKey.trim();
  }

  String authorizationHeader() {
    String pair = apiKey + ":" + secretKey;
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "ExportCredentials{redacted}";
  }
}
