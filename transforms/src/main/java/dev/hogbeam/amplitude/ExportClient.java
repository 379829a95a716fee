package dev.hogbeam.amplitude;

import dev.hogbeam.download.HttpDownload;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Downloads one hour of Amplitude's Export API into a local file: Amplitude's side of a shared
 * {@link HttpDownload} (streaming, retries, Retry-After, credentials to the configured host only).
 *
 * <ul>
 *   <li>200: a zip (checked by its first bytes); an empty body is retried.
 *   <li>404: the hour has no data (not an error).
 *   <li>400 (the hour is over Amplitude's 4 GB limit), 401/403 (keys), other 4xx: {@link
 *       AmplitudeExportException} at once, naming the hour, never the keys.
 * </ul>
 */
final class ExportClient implements HttpDownload.Api {
  private final String exportUrl;
  private final ExportCredentials credentials;
  private final HttpDownload http;

  /**
   * @param baseUrl scheme and host, e.g. {@code https://amplitude.com} (no trailing slash)
   */
  ExportClient(
      String baseUrl,
      ExportCredentials credentials,
      HttpDownload.Policy policy,
      HttpDownload.Sleeper sleeper) {
    this.exportUrl = baseUrl + "/api/2/export";
    this.credentials = credentials;
    this.http = new HttpDownload(this, policy, sleeper, HttpDownload.Gate.NONE);
  }

  /**
   * Downloads {@code hour} ({@code yyyyMMddTHH}) into {@code target}, replacing it.
   *
   * @return true when the hour has data (a zip is in {@code target}), false when it is empty (404)
   */
  boolean download(String hour, Path target) throws IOException, InterruptedException {
    return http.download(hour, exportUrl + "?start=" + hour + "&end=" + hour, Map.of(), target);
  }

  @Override
  public String authorization() {
    return credentials.authorizationHeader();
  }

  @Override
  public boolean checkBody(String hour, Path body, HttpURLConnection c) throws IOException {
    if (Files.size(body) == 0) {
      throw new IOException("empty body");
    }
    byte[] head = new byte[2];
    try (InputStream in = Files.newInputStream(body)) {
      if (in.readNBytes(head, 0, 2) < 2 || head[0] != 'P' || head[1] != 'K') {
        throw new AmplitudeExportException(
            "Amplitude Export API answered 200 for hour "
                + label(hour)
                + " but the body is not a zip archive (Content-Type: "
                + c.getContentType()
                + ")",
            200);
      }
    }
    return true;
  }

  @Override
  public RuntimeException refusal(String hour, int status, String errorText) {
    return new AmplitudeExportException(refusal(hour, status), status);
  }

  @Override
  public RuntimeException gaveUp(String hour, int attempts, String problem, int status) {
    return new AmplitudeExportException(
        "Amplitude Export API: gave up on hour "
            + label(hour)
            + " after "
            + attempts
            + " attempts; last problem: "
            + problem,
        status);
  }

  /** The message for a status retrying cannot fix. */
  static String refusal(String hour, int status) {
    switch (status) {
      case 400:
        return "Amplitude Export API answered 400 for hour "
            + label(hour)
            + ": the export of that hour is over Amplitude's 4 GB limit (an hour is the smallest"
            + " range the API serves). Export that hour in smaller pieces from Amplitude"
            + " (or ask Amplitude support), put the files next to the others and read them with"
            + " --inputFiles; run the API import on the remaining hours.";
      case 401:
      case 403:
        return "Amplitude Export API refused the keys (HTTP "
            + status
            + ") for hour "
            + label(hour)
            + ": check "
            + ExportCredentials.FLAGS
            + ", and that the keys are the project's API key and secret key with export access.";
      default:
        return "Amplitude Export API answered HTTP " + status + " for hour " + label(hour) + ".";
    }
  }

  private static String label(String hour) {
    return ExportHours.source(hour).substring("export hour ".length());
  }
}
