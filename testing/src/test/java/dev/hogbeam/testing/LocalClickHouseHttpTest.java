package dev.hogbeam.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.clickhouse.client.api.internal.CompressedBlockInputStream;
import com.clickhouse.client.api.internal.CompressedBlockOutputStream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The front end's HTTP interface at the protocol level: ClickHouse's compressed-block framing
 * checked with the driver's own reader and writer, streamed formats stitched correctly, headers,
 * query parameters, inline INSERT data, and loud refusals of what it does not support.
 */
class LocalClickHouseHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static LocalClickHouse clickHouse;
  private static String database;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    clickHouse = LocalClickHouse.shared();
    assumeFalse(
        clickHouse.isExternal(), "front-end protocol tests run against the local engine only");
    database = clickHouse.createDatabase("http_test");
    http = HttpClient.newHttpClient();
  }

  @AfterAll
  static void dropDatabase() {
    if (database != null) {
      clickHouse.dropDatabase(database);
    }
  }

  private static HttpResponse<byte[]> post(String params, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(clickHouse.httpUrl() + "/?" + params))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpResponse<byte[]> post(String params, String body, String... headers)
      throws Exception {
    return post(params, body.getBytes(StandardCharsets.UTF_8), headers);
  }

  private static HttpResponse<byte[]> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(clickHouse.httpUrl() + pathAndQuery)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Decodes with the driver's own reader, which verifies every block's CityHash128 checksum. */
  private static byte[] decompressWithDriver(byte[] framed) throws IOException {
    try (InputStream in =
        new CompressedBlockInputStream(
            new ByteArrayInputStream(framed),
            LZ4Factory.safeInstance().fastDecompressor(),
            65536)) {
      return in.readAllBytes();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Compression

  @Test
  void compressedResponsesOfAnySizeDecodeWithTheDriversReader() throws Exception {
    for (int rows : new int[] {1, 3_000, 400_000}) {
      String query =
          "SELECT number, toString(cityHash64(number)), 'ünïcödé', repeat('posthog ', number % 8)"
              + " FROM numbers("
              + rows
              + ") FORMAT TSV";
      byte[] plain = post("", query).body();
      HttpResponse<byte[]> compressed = post("compress=1", query);
      assertEquals(200, compressed.statusCode());
      assertFalse(Arrays.equals(plain, compressed.body()), "framed, not plain");
      assertArrayEquals(plain, decompressWithDriver(compressed.body()), rows + " rows");
      assertEquals(rows, text(post("", query)).split("\n").length);
      if (rows == 400_000) {
        assertTrue(plain.length > 2 * (1 << 20), "several 1 MiB blocks: " + plain.length);
        assertTrue(
            compressed.body().length < plain.length / 2,
            "LZ4 actually compresses: " + compressed.body().length);
      }
    }
  }

  @Test
  void errorsAreCompressedToo() throws Exception {
    HttpResponse<byte[]> response = post("compress=1", "SELECT * FROM no_such_table");
    assertEquals(404, response.statusCode());
    assertEquals("60", response.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    String message = new String(decompressWithDriver(response.body()), StandardCharsets.UTF_8);
    assertTrue(message.startsWith("Code: 60. DB::Exception: "), message);
    assertTrue(message.contains("(UNKNOWN_TABLE)"), message);
  }

  @Test
  void compressedRequestBodiesAreVerifiedAndDecompressed() throws Exception {
    String table = database + ".decompress";
    post("", "CREATE TABLE " + table + " (a UInt32, s String) ENGINE = MergeTree ORDER BY a");
    StringBuilder tsv = new StringBuilder();
    for (int i = 0; i < 50_000; i++) {
      tsv.append(i).append('\t').append("value ").append(i % 97).append(" ü\n");
    }
    ByteArrayOutputStream framed = new ByteArrayOutputStream();
    try (CompressedBlockOutputStream out =
        new CompressedBlockOutputStream.LZ4OutputStream(
            framed, LZ4Factory.safeInstance().fastCompressor(), 64 * 1024)) {
      out.write(tsv.toString().getBytes(StandardCharsets.UTF_8));
    }
    byte[] body = framed.toByteArray();
    HttpResponse<byte[]> inserted =
        post("decompress=1&query=" + encode("INSERT INTO " + table + " FORMAT TSV"), body);
    assertEquals(200, inserted.statusCode(), text(inserted));
    assertEquals("50000\n", text(post("", "SELECT count() FROM " + table)));

    byte[] corrupted = body.clone();
    corrupted[body.length / 2] ^= 0x40;
    HttpResponse<byte[]> bad =
        post("decompress=1&query=" + encode("INSERT INTO " + table + " FORMAT TSV"), corrupted);
    assertEquals(
        "40", bad.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow(), text(bad));
    assertTrue(text(bad).contains("Checksum doesn't match"), text(bad));

    byte[] zstd = body.clone();
    zstd[16] = (byte) 0x90;
    HttpResponse<byte[]> refused =
        post("decompress=1&query=" + encode("INSERT INTO " + table + " FORMAT TSV"), zstd);
    assertEquals("48", refused.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    assertTrue(text(refused).contains("ZSTD"), text(refused));
    assertEquals(
        "50000\n",
        text(post("", "SELECT count() FROM " + table)),
        "nothing inserted by the bad requests");
  }

  @Test
  void gzipHttpCompressionWorksAndOtherEncodingsAreRefusedByName() throws Exception {
    HttpResponse<byte[]> gzip =
        post(
            "enable_http_compression=1",
            "SELECT number FROM numbers(1000)",
            "Accept-Encoding",
            "gzip");
    assertEquals("gzip", gzip.headers().firstValue("Content-Encoding").orElseThrow());
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip.body()))) {
      assertEquals(1000, new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n").length);
    }
    HttpResponse<byte[]> br =
        post("enable_http_compression=1", "SELECT 1", "Accept-Encoding", "br");
    assertEquals(501, br.statusCode());
    assertEquals("48", br.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    assertTrue(text(br).contains("'br'"), text(br));
  }

  // ---------------------------------------------------------------------------------------------
  // Streamed formats

  @Test
  void streamedWithNamesFormatsCarryTheirHeaderOnce() throws Exception {
    int rows = 300_000; // several engine blocks, so several streamed chunks
    String tsv =
        text(
            post(
                "",
                "SELECT number AS n, toString(number) AS s FROM numbers("
                    + rows
                    + ") FORMAT TSVWithNamesAndTypes"));
    String[] lines = tsv.split("\n");
    assertEquals(rows + 2, lines.length);
    assertEquals("n\ts", lines[0]);
    assertEquals("UInt64\tString", lines[1]);
    assertEquals("0\t0", lines[2]);
    assertEquals((rows - 1) + "\t" + (rows - 1), lines[lines.length - 1]);

    String csv =
        text(
            post(
                "",
                "SELECT number AS \"multi\nline\", 'x' FROM numbers("
                    + rows
                    + ") FORMAT CSVWithNames"));
    assertEquals(
        rows + 2, csv.split("\n").length, "the quoted header holds one newline, and appears once");
    assertTrue(csv.startsWith("\"multi\nline\",\"'x'\"\n0,\"x\"\n"), csv.substring(0, 40));

    String compact =
        text(
            post(
                "", "SELECT number FROM numbers(" + rows + ") FORMAT JSONCompactEachRowWithNames"));
    assertEquals(rows + 1, compact.split("\n").length);

    // Not stitchable: runs unstreamed and stays one valid document.
    JsonNode json =
        JSON.readTree(post("", "SELECT number FROM numbers(" + rows + ") FORMAT JSON").body());
    assertEquals(rows, json.path("rows").asInt());
    assertEquals(rows - 1, json.path("data").get(rows - 1).path("number").asLong());
  }

  @Test
  void rowBinaryWithNamesAndTypesOverManyChunksIsOneValidStream() throws Exception {
    byte[] body =
        post("default_format=RowBinaryWithNamesAndTypes", "SELECT number AS n FROM numbers(300000)")
            .body();
    // Header: 1 column, name "n", type "UInt64"; then 300,000 little-endian UInt64 values.
    byte[] header = {1, 1, 'n', 6, 'U', 'I', 'n', 't', '6', '4'};
    assertArrayEquals(header, Arrays.copyOf(body, header.length));
    assertEquals(header.length + 300_000 * 8, body.length);
    java.nio.ByteBuffer values =
        java.nio.ByteBuffer.wrap(body, header.length, body.length - header.length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long i = 0; i < 300_000; i++) {
      assertEquals(i, values.getLong());
    }
  }

  @Test
  void waitEndOfQueryZeroStreamsTheBodyAsItIsProduced() throws Exception {
    HttpResponse<byte[]> response =
        post("wait_end_of_query=0", "SELECT number FROM numbers(500000) FORMAT TSV");
    assertEquals(200, response.statusCode());
    assertFalse(
        response.headers().firstValue("Content-Length").isPresent(), "chunked, not buffered");
    assertEquals(500_000, text(response).split("\n").length);
    assertTrue(response.headers().firstValue("X-ClickHouse-Summary").isPresent());
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol details

  @Test
  void responseHeadersAreThoseTheDriverReads() throws Exception {
    HttpResponse<byte[]> response =
        post("query_id=my-query-1", "SELECT number FROM numbers(10) FORMAT JSONEachRow");
    assertEquals(
        "my-query-1", response.headers().firstValue("X-ClickHouse-Query-Id").orElseThrow());
    assertEquals("UTC", response.headers().firstValue("X-ClickHouse-Timezone").orElseThrow());
    assertEquals("JSONEachRow", response.headers().firstValue("X-ClickHouse-Format").orElseThrow());
    assertTrue(response.headers().firstValue("X-ClickHouse-Server-Display-Name").isPresent());
    assertTrue(
        response.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
    JsonNode summary =
        JSON.readTree(response.headers().firstValue("X-ClickHouse-Summary").orElseThrow());
    assertEquals("10", summary.path("read_rows").asText());
    assertEquals("10", summary.path("result_rows").asText());
    assertEquals("0", summary.path("written_rows").asText());
    assertTrue(summary.path("elapsed_ns").asLong() > 0);
    assertEquals(10, clickHouse.summaryOf("my-query-1").readRows());
  }

  @Test
  void queryParametersSettingsAndDatabaseComeFromTheUrl() throws Exception {
    String params =
        "param_x=41&param_s="
            + encode("tab\\there ü")
            + "&param_d="
            + encode("2024-01-02 03:04:05.123456")
            + "&max_threads=1&database="
            + database;
    String result =
        text(
            post(
                params,
                "SELECT {x:UInt8} + 1, {s:String}, {d:DateTime64(6, 'UTC')}, getSetting('max_threads'), currentDatabase()"));
    assertEquals("42\ttab\\there ü\t2024-01-02 03:04:05.123456\t1\t" + database + "\n", result);

    HttpResponse<byte[]> header =
        post("", "SELECT currentDatabase()", "X-ClickHouse-Database", database);
    assertEquals(database + "\n", text(header));
    HttpResponse<byte[]> missing = post("database=no_such_db", "SELECT 1");
    assertEquals("81", missing.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
  }

  @Test
  void insertTakesTheQueryFromTheUrlAndTheDataFromTheBody() throws Exception {
    String table = database + ".inline";
    post("", "CREATE TABLE " + table + " (a UInt8, s String) ENGINE = MergeTree ORDER BY a");
    HttpResponse<byte[]> tsv =
        post("query=" + encode("INSERT INTO " + table + " FORMAT TSV\n"), "1\tone\n2\ttwo\n");
    assertEquals(200, tsv.statusCode(), text(tsv));
    assertEquals(
        "2",
        JSON.readTree(tsv.headers().firstValue("X-ClickHouse-Summary").orElseThrow())
            .path("written_rows")
            .asText());
    // RowBinary data whose first byte is a newline (10) and holds other whitespace bytes.
    byte[] rowBinary = {10, 2, 'h', 'i', 32, 1, '\n', 13, 0};
    assertEquals(
        200,
        post("query=" + encode("INSERT INTO " + table + " FORMAT RowBinary"), rowBinary)
            .statusCode());
    assertEquals(
        200,
        post("query=" + encode("INSERT INTO " + table + " VALUES"), "(3, 'three'), (4, 'fünf')")
            .statusCode());
    assertEquals(
        "1\tone\n2\ttwo\n3\tthree\n4\tfünf\n10\thi\n13\t\n32\t\\n\n",
        text(post("", "SELECT a, s FROM " + table + " ORDER BY a")));
  }

  @Test
  void pingAndGetBehaveLikeClickHouse() throws Exception {
    assertEquals("Ok.\n", text(get("/ping")));
    assertEquals("Ok.\n", text(get("/")));
    assertEquals("2\n", text(get("/?query=" + encode("SELECT 1 + 1"))));
    HttpResponse<byte[]> write =
        get("/?query=" + encode("CREATE TABLE " + database + ".by_get (a UInt8) ENGINE = Memory"));
    assertEquals(403, write.statusCode());
    assertEquals("164", write.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
  }

  @Test
  void unsupportedFeaturesAreRefusedLoudlyByName() throws Exception {
    HttpResponse<byte[]> multi = post("", "SELECT 1; SELECT 2");
    assertEquals("62", multi.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    assertTrue(text(multi).contains("Multi-statements are not allowed"));

    HttpResponse<byte[]> session = post("session_id=abc", "SELECT 1");
    assertEquals("48", session.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    assertTrue(text(session).contains("session_id"), text(session));

    HttpResponse<byte[]> role = post("role=admin", "SELECT 1");
    assertEquals("48", role.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());

    HttpResponse<byte[]> multipart =
        post("", "--x\r\n", "Content-Type", "multipart/form-data; boundary=x");
    assertEquals("48", multipart.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());

    HttpResponse<byte[]> zstdBody =
        post("query=" + encode("SELECT 1"), "x", "Content-Encoding", "zstd");
    assertEquals("48", zstdBody.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());

    HttpResponse<byte[]> protocolVersion =
        post("client_protocol_version=54460", "SELECT 1 FORMAT Native");
    assertEquals(
        "48", protocolVersion.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());

    // Harmless ones are accepted (and ignored, with the reason in the front end's log).
    assertEquals(
        "1\n",
        text(post("send_progress_in_http_headers=1&quota_key=q&buffer_size=10", "SELECT 1")));

    HttpResponse<byte[]> path = get("/play");
    assertEquals("1002", path.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
  }

  @Test
  void wrongCredentialsAreRejected() throws Exception {
    HttpResponse<byte[]> response = post("user=default&password=wrong", "SELECT 1");
    assertEquals(401, response.statusCode());
    assertEquals("516", response.headers().firstValue("X-ClickHouse-Exception-Code").orElseThrow());
    assertFalse(text(response).contains("wrong"), "the password is not echoed");
    String basic =
        java.util.Base64.getEncoder().encodeToString("nobody:".getBytes(StandardCharsets.UTF_8));
    assertEquals(401, post("", "SELECT 1", "Authorization", "Basic " + basic).statusCode());
    assertThrows(IllegalStateException.class, () -> clickHouse.summaryOf("never-ran"));
  }
}
