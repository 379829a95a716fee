package dev.hogbeam.capture;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Writes exactly what would be sent, instead of sending it: one JSON-lines file per batch (one
 * event's JSON per line, as it would appear in the request's {@code batch} array), under a
 * directory per group, on any Beam FileSystem:
 *
 * <pre>
 * {@code <directory>/<url-encoded group key>/<first event's timestamp micros, 20 digits>-<its uuid>.jsonl}
 * </pre>
 *
 * Files are named after their first event, so they list in send order and a re-run (or a resumed
 * run) writes the same names for the same batches instead of clobbering others. The API key and the
 * request envelope are not written.
 */
final class FilesTransport implements CaptureTransport {
  private final String directory;

  FilesTransport(String directory) {
    this.directory = directory;
  }

  @Override
  public Encoded encode(List<PreparedEvent> events) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    for (PreparedEvent e : events) {
      text.writeBytes(e.json);
      text.write('\n');
    }
    return new Lines(events, text.toByteArray());
  }

  @Override
  public Response send(String groupKey, Encoded request) throws IOException {
    Lines lines = (Lines) request;
    PreparedEvent first = lines.events.get(0);
    String fileName =
        String.format("%020d-%s.jsonl", first.event.timestampMicros(), first.event.uuid());
    ResourceId file =
        FileSystems.matchNewResource(directory, true)
            .resolve(groupDirectory(groupKey), StandardResolveOptions.RESOLVE_DIRECTORY)
            .resolve(fileName, StandardResolveOptions.RESOLVE_FILE);
    try (WritableByteChannel out = FileSystems.create(file, MimeTypes.TEXT)) {
      ByteBuffer buf = ByteBuffer.wrap(lines.text);
      while (buf.hasRemaining()) {
        out.write(buf);
      }
    }
    return Response.ok();
  }

  /** The group key made safe as one path segment. */
  static String groupDirectory(String groupKey) {
    String encoded = URLEncoder.encode(groupKey, UTF_8);
    return encoded.isEmpty() ? "_" : encoded.replace("*", "%2A");
  }

  private static final class Lines implements Encoded {
    final List<PreparedEvent> events;
    final byte[] text;

    Lines(List<PreparedEvent> events, byte[] text) {
      this.events = events;
      this.text = text;
    }

    @Override
    public List<PreparedEvent> events() {
      return events;
    }

    @Override
    public long jsonBytes() {
      return text.length;
    }

    @Override
    public long wireBytes() {
      return text.length;
    }
  }
}
