package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.clickhouse.EventRow;
import dev.hogbeam.clickhouse.MapPostHogEvents;
import dev.hogbeam.testing.LocalClickHouse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;

/**
 * The I/O floor of a migration: what no pipeline can go under on this machine.
 *
 * <ol>
 *   <li><b>fetch</b>: every row of the range (copies included) in ONE streaming query, through the
 *       same JDBC driver and the same local engine front end as the pipeline, with every column an
 *       event needs read out of the result set ({@code wait_end_of_query=0}, so the front end
 *       streams instead of running the whole query first);
 *   <li><b>gzip</b>: the events' JSON, exactly as the writer serialises them, gzipped once at the
 *       writer's level in the writer's 500-event request bodies.
 * </ol>
 *
 * The floor is {@code fetch + gzip}, both on one thread. Mapping rows to JSON happens in between
 * but is not timed (it is pipeline work, not I/O).
 */
final class Floor {
  static final int BATCH = 500;
  static final int GZIP_LEVEL = 3;
  private static final byte[] PREFIX =
      "{\"api_key\":\"phc_hogbeam_bench\",\"historical_migration\":true,\"batch\":["
          .getBytes(UTF_8);
  private static final byte[] SUFFIX = "]}".getBytes(UTF_8);

  record Result(
      long rows,
      long jsonBytes,
      long gzipBytes,
      double fetchSeconds,
      double gzipSeconds,
      double untimedSeconds) {
    double seconds() {
      return fetchSeconds + gzipSeconds;
    }
  }

  private Floor() {}

  static String streamingUrl(String jdbcUrl) {
    return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "clickhouse_setting_wait_end_of_query=0";
  }

  static Result measure(LocalClickHouse ch, BenchData data) throws SQLException, IOException {
    String sql =
        "SELECT toString(uuid), event, distinct_id, toUnixTimestamp64Micro(timestamp), properties,"
            + " elements_chain FROM "
            + data.database()
            + ".events WHERE team_id = "
            + data.teamId()
            + " AND timestamp >= toDateTime64('"
            + data.startDate()
            + " 00:00:00', 6, 'UTC')"
            + " AND timestamp < toDateTime64('"
            + data.endDate()
            + " 00:00:00', 6, 'UTC')";
    Properties props = new Properties();
    props.setProperty("user", ch.user());
    props.setProperty("password", ch.password());
    long rows = 0;
    long jsonBytes = 0;
    long gzipBytes = 0;
    long untimed = 0;
    long gzipNanos = 0;
    List<String> batch = new ArrayList<>(BATCH);
    long t0 = System.nanoTime();
    try (Connection c =
            new com.clickhouse.jdbc.Driver().connect(streamingUrl(ch.jdbcUrl()), props);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<EventRow> rowBatch = new ArrayList<>(BATCH);
      while (true) {
        boolean more = rs.next();
        if (more) {
          rowBatch.add(
              EventRow.builder()
                  .uuid(rs.getString(1))
                  .event(rs.getString(2))
                  .distinctId(rs.getString(3))
                  .timestampMicros(rs.getLong(4))
                  .properties(rs.getString(5))
                  .elementsChain(rs.getString(6))
                  .build());
          rows++;
        }
        if (rowBatch.size() == BATCH || (!more && !rowBatch.isEmpty())) {
          long u0 = System.nanoTime();
          for (EventRow r : rowBatch) {
            MapPostHogEvents.Outcome o = MapPostHogEvents.map("floor", r);
            if (o.event() != null) {
              String json = o.event().toJson();
              jsonBytes += json.length();
              batch.add(json);
            }
          }
          rowBatch.clear();
          long g0 = System.nanoTime();
          gzipBytes += gzip(batch);
          batch.clear();
          long g1 = System.nanoTime();
          untimed += g0 - u0;
          gzipNanos += g1 - g0;
        }
        if (!more) {
          break;
        }
      }
    }
    long total = System.nanoTime() - t0;
    return new Result(
        rows,
        jsonBytes,
        gzipBytes,
        (total - untimed - gzipNanos) / 1e9,
        gzipNanos / 1e9,
        untimed / 1e9);
  }

  /** One request body as the writer builds it (see HttpTransport); returns its gzipped size. */
  private static long gzip(List<String> events) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 17);
    try (OutputStream gz = new Level3Gzip(out);
        Writer w = new OutputStreamWriter(gz, UTF_8)) {
      gz.write(PREFIX);
      for (int i = 0; i < events.size(); i++) {
        if (i > 0) {
          w.write(',');
        }
        w.write(events.get(i));
      }
      w.flush();
      gz.write(SUFFIX);
    }
    return out.size();
  }

  private static final class Level3Gzip extends GZIPOutputStream {
    Level3Gzip(OutputStream out) throws IOException {
      super(out, 65536);
      def.setLevel(GZIP_LEVEL);
    }
  }
}
