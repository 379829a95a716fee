package dev.hogbeam.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds Amplitude export archives the way the Export API and the UI deliver them: a zip holding
 * gzipped JSON-lines files named {@code <project>/<project>_<YYYY-MM-DD>_<H>#<N>.json.gz} (hour not
 * zero-padded, several numbered files per hour), plus realistic event lines to put in them.
 *
 * <p>Lines are taken as given, so tests can put malformed lines, "EMPTY" values, unicode and huge
 * properties exactly where they want them. No test framework dependency.
 */
public final class AmplitudeExportZipBuilder {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter QUERY_HOUR = DateTimeFormatter.ofPattern("yyyyMMdd'T'HH");

  private final String project;
  private final List<String> names = new ArrayList<>();
  private final List<byte[]> contents = new ArrayList<>();

  public AmplitudeExportZipBuilder(String project) {
    this.project = project;
  }

  /**
   * The entry name Amplitude gives part {@code part} of hour {@code hour} ({@code yyyyMMddTHH}).
   */
  public static String entryName(String project, String hour, int part) {
    LocalDateTime h =
        LocalDateTime.parse(hour + ":00", DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm"));
    return project
        + "/"
        + project
        + "_"
        + h.toLocalDate()
        + "_"
        + h.getHour()
        + "#"
        + part
        + ".json.gz";
  }

  /** The query-format hour ({@code yyyyMMddTHH}) of an instant. */
  public static String hour(Instant t) {
    return QUERY_HOUR.format(t.atOffset(ZoneOffset.UTC));
  }

  /** Adds part {@code part} of {@code hour}: the lines, gzipped, one per line. */
  public AmplitudeExportZipBuilder file(String hour, int part, List<String> lines) {
    return entry(entryName(project, hour, part), gzip(lines));
  }

  /** Adds an entry with exactly these bytes (e.g. a damaged gzip stream). */
  public AmplitudeExportZipBuilder entry(String name, byte[] content) {
    names.add(name);
    contents.add(content);
    return this;
  }

  /** The zip archive. */
  public byte[] build() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes, StandardCharsets.UTF_8)) {
      for (int i = 0; i < names.size(); i++) {
        zip.putNextEntry(new ZipEntry(names.get(i)));
        zip.write(contents.get(i));
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Writes the zip archive to {@code file} and returns it. */
  public Path writeTo(Path file) {
    return write(file, build());
  }

  /** Lines joined by newlines, gzipped (a {@code .json.gz} file). */
  public static byte[] gzip(List<String> lines) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Writes {@code content} to {@code file} (creating directories) and returns it. */
  public static Path write(Path file, byte[] content) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A realistic exported web event (Amplitude's browser SDK: the browser in os_name), with every
   * top-level field Amplitude exports, nulls where Amplitude writes null and "EMPTY" where it
   * writes that. Callers change what their test is about.
   *
   * @param eventTime {@code YYYY-MM-DD HH:MM:SS.ffffff}
   */
  public static ObjectNode webEvent(
      String uuid, String eventType, String userId, String deviceId, String eventTime) {
    ObjectNode e = JSON.createObjectNode();
    e.put("$insert_id", "ins-" + uuid);
    e.putNull("$insert_key");
    e.putNull("$schema");
    e.putNull("adid");
    e.putNull("amplitude_attribution_ids");
    e.put("amplitude_event_type", (String) null);
    e.put("amplitude_id", 123456789L);
    e.put("app", 654321);
    e.put("city", "São Paulo");
    e.put("client_event_time", eventTime);
    e.put("client_upload_time", eventTime);
    e.put("country", "Brazil");
    ObjectNode data = e.putObject("data");
    data.put("path", "/2/httpapi");
    data.putObject("group_first_event");
    data.putObject("group_ids");
    data.put("user_properties_updated", true);
    e.put("data_type", "event");
    e.putNull("device_brand");
    e.putNull("device_carrier");
    e.put("device_family", "Mac");
    e.put("device_id", deviceId);
    e.putNull("device_manufacturer");
    e.put("device_model", "Mac OS");
    e.put("device_type", "Mac");
    e.putNull("dma");
    e.put("event_id", 42);
    ObjectNode props = e.putObject("event_properties");
    props.put("[Amplitude] Page Domain", "example.com");
    props.put("[Amplitude] Page Location", "https://example.com/pricing?plan=pro");
    props.put("[Amplitude] Page Path", "/pricing");
    props.put("[Amplitude] Page Title", "Pricing – Example");
    props.put("[Amplitude] Page URL", "https://example.com/pricing");
    props.put("plan", "pro");
    e.put("event_time", eventTime);
    e.put("event_type", eventType);
    e.putNull("global_user_properties");
    e.putObject("group_properties");
    e.putObject("groups");
    e.putNull("idfa");
    e.put("ip_address", "203.0.113.7");
    e.putNull("is_attribution_event");
    e.put("language", "Portuguese");
    e.put("library", "amplitude-ts/2.11.1");
    e.putNull("location_lat");
    e.putNull("location_lng");
    e.put("os_name", "Chrome");
    e.put("os_version", "126");
    e.putNull("partner_id");
    e.putNull("paying");
    e.putObject("plan");
    e.put("platform", "Web");
    e.put("processed_time", eventTime);
    e.put("region", "São Paulo");
    e.putNull("sample_rate");
    e.put("server_received_time", eventTime);
    e.put("server_upload_time", eventTime);
    e.put("session_id", 1714557600000L);
    e.putNull("source_id");
    e.putNull("start_version");
    e.put("user_creation_time", eventTime);
    e.put("user_id", userId);
    ObjectNode user = e.putObject("user_properties");
    user.put("initial_referrer", "EMPTY");
    user.put("initial_referring_domain", "EMPTY");
    user.put("initial_utm_source", "newsletter");
    user.put("initial_utm_medium", "email");
    user.put("plan", "pro");
    e.put("uuid", uuid);
    e.putNull("version_name");
    return e;
  }

  /** A string of {@code length} characters, for properties near or over PostHog's size cap. */
  public static String hugeValue(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append((char) ('a' + i % 26));
    }
    return sb.toString();
  }
}
