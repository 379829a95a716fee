package dev.hogbeam.pipeline.options;

import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Where {@code s3://} paths live, for every flag that takes a path (input files, checkpoints,
 * secret files, dead letters): Beam's {@link S3Options} ({@code --awsRegion}, {@code --endpoint},
 * {@code --awsCredentialsProvider}, ...) plus path-style addressing for S3-compatible servers.
 * {@code gs://} paths need no option here: Google's application default credentials are used.
 *
 * <p>Credentials come from the AWS SDK's default chain (the environment variables {@code
 * AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY}, a profile, a container or instance role):
 * {@link ObjectStorage#configure} refuses keys given as a flag value, which Beam would copy into
 * the options it ships to every worker.
 */
public interface StorageOptions extends S3Options {

  @Description(
      "Address S3 buckets by path (https://endpoint/bucket/key) instead of by host name"
          + " (https://bucket.endpoint/key): needed by MinIO and most S3-compatible servers"
          + " reached through --endpoint. AWS itself takes either.")
  @Default.Boolean(false)
  boolean getS3PathStyleAccess();

  void setS3PathStyleAccess(boolean value);
}
