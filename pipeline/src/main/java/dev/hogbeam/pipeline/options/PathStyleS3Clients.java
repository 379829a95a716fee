package dev.hogbeam.pipeline.options;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Beam's S3 clients ({@link DefaultS3ClientBuilderFactory}: region, endpoint, credentials, HTTP
 * settings from the options) with path-style addressing, which S3-compatible servers such as MinIO
 * need. Set by {@link ObjectStorage#configure} for {@code --s3PathStyleAccess}; Beam builds the
 * clients on every worker from the class named in the options.
 */
public final class PathStyleS3Clients implements S3ClientBuilderFactory {
  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    return new DefaultS3ClientBuilderFactory().createBuilder(options).forcePathStyle(true);
  }
}
