package dev.hogbeam.pipeline.options;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * hogbeam's S3 clients: Beam's ({@link DefaultS3ClientBuilderFactory}: region, endpoint,
 * credentials, HTTP settings from the options) with two changes for S3-compatible servers.
 *
 * <ul>
 *   <li>{@code --s3PathStyleAccess}: buckets addressed by path, which MinIO and most self-hosted
 *       servers need;
 *   <li>Beam sends {@code x-amz-server-side-encryption-bucket-key-enabled: false} with every upload
 *       (its {@code --bucketKeyEnabled} default); {@code false} is also S3's default, so the header
 *       is left out, and servers that answer 501 to it (S3Proxy, others) accept the upload. With
 *       {@code --bucketKeyEnabled=true} it is sent.
 * </ul>
 *
 * <p>{@link ObjectStorage#configure} names this class as {@code --s3ClientFactoryClass}; Beam
 * builds the clients on every worker from the class named in the options.
 */
public final class S3Clients implements S3ClientBuilderFactory {
  static final String BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled";

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    S3ClientBuilder b = new DefaultS3ClientBuilderFactory().createBuilder(options);
    ClientOverrideConfiguration current = b.overrideConfiguration();
    ClientOverrideConfiguration.Builder c =
        current == null ? ClientOverrideConfiguration.builder() : current.toBuilder();
    b.overrideConfiguration(c.addExecutionInterceptor(new NoDefaultBucketKeyHeader()).build());
    if (options.as(StorageOptions.class).getS3PathStyleAccess()) {
      b.forcePathStyle(true);
    }
    return b;
  }

  /** Leaves out the bucket-key header when it says what S3 does anyway ({@code false}). */
  static final class NoDefaultBucketKeyHeader implements ExecutionInterceptor {
    @Override
    public SdkHttpRequest modifyHttpRequest(
        Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      SdkHttpRequest r = context.httpRequest();
      boolean isDefault =
          r.firstMatchingHeader(BUCKET_KEY_HEADER).map("false"::equalsIgnoreCase).orElse(false);
      return isDefault ? r.toBuilder().removeHeader(BUCKET_KEY_HEADER).build() : r;
    }
  }
}
