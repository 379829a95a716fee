package dev.hogbeam.mixpanel;

import dev.hogbeam.download.ExportApiException;
import dev.hogbeam.download.HttpDownload;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Downloads one day of Mixpanel's raw Export API ({@code GET
 * /api/2.0/export?from_date=D&to_date=D}, both dates inclusive, so one date is one day) into a
 * local file: Mixpanel's side of a shared {@link HttpDownload} (streaming, retries, Retry-After,
 * the query limits through its gate).
 *
 * <ul>
 *   <li>200: JSON lines, gzip-compressed when Mixpanel chose to ({@code Accept-Encoding: gzip} is
 *       asked; the file keeps the bytes as sent, the readers tell gzip by its first bytes). A gzip
 *       body is read through once to be sure it is whole; a broken one is downloaded again. An
 *       empty body is an empty day, as is 404 (as PostHog's importer treats them).
 *   <li>401/403: the credentials; 400: most often a project asked at the wrong residency's host;
 *       others: {@link ExportApiException} at once, with Mixpanel's error text (capped), never the
 *       credentials.
 * </ul>
 */
final class MixpanelExportClient implements HttpDownload.Api {
  private final String exportUrl;
  private final MixpanelCredentials credentials;
  private final @Nullable String projectId;
  private final HttpDownload http;

  /**
   * @param baseUrl scheme and host, e.g. {@code https://data.mixpanel.com} (no trailing slash)
   * @param projectId required with a service account, sent with an API secret when given
   */
  MixpanelExportClient(
      String baseUrl,
      MixpanelCredentials credentials,
      @Nullable String projectId,
      HttpDownload.Policy policy,
      HttpDownload.Gate gate,
      HttpDownload.Sleeper sleeper) {
    this.exportUrl = baseUrl + "/api/2.0/export";
    this.credentials = credentials;
    this.projectId = projectId;
    this.http = new HttpDownload(this, policy, sleeper, gate);
  }

  /**
   * Downloads {@code day} ({@code yyyy-MM-dd}, a day of the project's timezone) into {@code
   * target}, replacing it.
   *
   * @return true when the day has events, false when it is empty
   */
  boolean download(String day, Path target) throws IOException, InterruptedException {
    String url =
        exportUrl
            + "?from_date="
            + day
            + "&to_date="
            + day
            + (projectId == null
                ? ""
                : "&project_id=" + URLEncoder.encode(projectId, StandardCharsets.UTF_8));
    return http.download("day " + day, url, Map.of("Accept-Encoding", "gzip"), target);
  }

  @Override
  public String authorization() {
    return credentials.authorizationHeader();
  }

  @Override
  public boolean checkBody(String label, Path body, HttpURLConnection c) throws IOException {
    if (Files.size(body) == 0) {
      return false;
    }
    if (!"gzip".equalsIgnoreCase(String.valueOf(c.getContentEncoding()).strip())) {
      return true;
    }
    long bytes = 0;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(body), 1 << 16)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        bytes += n;
      }
    } catch (EOFException e) {
      throw new IOException("the gzip body ends early", e);
    } catch (java.util.zip.ZipException e) {
      throw new IOException("the gzip body is damaged: " + e.getMessage(), e);
    }
    return bytes > 0;
  }

  @Override
  public RuntimeException refusal(String label, int status, String errorText) {
    String said = errorText.isEmpty() ? "" : " (Mixpanel said: " + errorText + ")";
    switch (status) {
      case 401:
      case 403:
        return new ExportApiException(
            "Mixpanel Export API refused the credentials (HTTP "
                + status
                + ") for "
                + label
                + said
                + ": check "
                + MixpanelCredentials.FLAGS
                + "; a service account needs access to the project (and to its classified data"
                + " if it has any).",
            status);
      case 400:
        return new ExportApiException(
            "Mixpanel Export API answered 400 for "
                + label
                + said
                + ". A project answers only at the host of its data residency: check"
                + " --mixpanelRegion (us, eu or in) and --mixpanelProjectId.",
            status);
      default:
        return new ExportApiException(
            "Mixpanel Export API answered HTTP " + status + " for " + label + said + ".", status);
    }
  }

  @Override
  public RuntimeException gaveUp(String label, int attempts, String problem, int status) {
    return new ExportApiException(
        "Mixpanel Export API: gave up on "
            + label
            + " after "
            + attempts
            + " attempts; last problem: "
            + problem,
        status);
  }
}
