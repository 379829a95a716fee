package dev.hogbeam.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;

/**
 * A real S3-compatible server for tests: S3Proxy (from Maven Central) serving the S3 REST API on a
 * free loopback port, in this JVM, backed by a directory (jclouds' filesystem blob store). It
 * checks AWS signatures (V2 or V4) against {@link #ACCESS_KEY} / {@link #SECRET_KEY}, and addresses
 * buckets by path only ({@code http://127.0.0.1:port/bucket/key}), as MinIO does by default: a
 * client must be set to path-style access. Starts in about a second; gone on {@link #close()}.
 *
 * <p>Objects are put through the blob store ({@link #put}), so a test's files are in place before
 * the code under test lists or reads them through the S3 API.
 */
public final class LocalS3 implements AutoCloseable {
  public static final String ACCESS_KEY = "hogbeam-local-s3";
  public static final String SECRET_KEY = "hogbeam-local-s3-secret-key";

  /** Any region: S3Proxy ignores it, the AWS SDK needs one to sign requests. */
  public static final String REGION = "us-east-1";

  private final Path dir;
  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private LocalS3(Path dir, BlobStoreContext context, S3Proxy proxy) {
    this.dir = dir;
    this.context = context;
    this.proxy = proxy;
  }

  /** Starts a server on a free loopback port with an empty store. */
  public static LocalS3 start() throws Exception {
    Path dir = Files.createTempDirectory("hogbeam-local-s3-");
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem")
            .credentials(ACCESS_KEY, SECRET_KEY)
            .overrides(props)
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        context.close();
        throw new IOException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
      }
      Thread.sleep(5);
    }
    return new LocalS3(dir, context, proxy);
  }

  /** {@code http://127.0.0.1:PORT}: the {@code --endpoint} of this server. */
  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  /** The same server by host name, which a client reaches only with path-style access. */
  public String endpointByName() {
    return "http://localhost:" + proxy.getPort();
  }

  /** Creates {@code bucket} if it does not exist. */
  public void createBucket(String bucket) {
    blobs().createContainerInLocation(null, bucket);
  }

  /** Writes (or replaces) one object, creating its bucket. */
  public void put(String bucket, String key, byte[] content) {
    createBucket(bucket);
    BlobStore b = blobs();
    b.putBlob(bucket, b.blobBuilder(key).payload(content).contentLength(content.length).build());
  }

  /** The keys in {@code bucket}, all levels, in name order. */
  public List<String> keys(String bucket) {
    List<String> keys = new ArrayList<>();
    for (StorageMetadata m : blobs().list(bucket, ListContainerOptions.Builder.recursive())) {
      if (m.getType() == org.jclouds.blobstore.domain.StorageType.BLOB) {
        keys.add(m.getName());
      }
    }
    keys.sort(null);
    return keys;
  }

  /** The content of one object. */
  public byte[] get(String bucket, String key) throws IOException {
    try (var in = blobs().getBlob(bucket, key).getPayload().openStream()) {
      return in.readAllBytes();
    }
  }

  private BlobStore blobs() {
    return context.getBlobStore();
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
      LocalClickHouse.deleteRecursively(dir);
    }
  }
}
