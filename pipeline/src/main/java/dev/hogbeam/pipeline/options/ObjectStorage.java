package dev.hogbeam.pipeline.options;

import java.util.Arrays;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.checkerframework.checker.nullness.qual.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ProxyConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/**
 * Checks and completes the object-storage options ({@link StorageOptions}) once they are parsed,
 * before any file system is used.
 *
 * <p>Secrets stay out of the pipeline: Beam serializes every option that was set, with the options
 * shipped to workers and shown among a job's options, and its AWS module writes a {@code
 * StaticCredentialsProvider}'s secret key and a proxy's password into that form. Both are refused
 * here, with the way to give them instead.
 */
public final class ObjectStorage {
  private ObjectStorage() {}

  /**
   * Refuses secrets given as option values; uses hogbeam's S3 clients ({@link S3Clients}: {@code
   * --s3PathStyleAccess}); takes the region from the environment when {@code --awsRegion} is not
   * given.
   */
  public static void configure(StorageOptions o, String[] args) {
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--awsRegion"))) {
      // Beam's default asks the SDK's whole chain, whose last link is the EC2 instance metadata
      // service: a network call at every start, on any machine, s3:// or not. Here only the
      // environment and the profile are asked; without a region the SDK's own chain runs when an
      // S3 client is first built, i.e. only when an s3:// path is used.
      o.setAwsRegion(localRegion());
    }
    AwsCredentialsProvider credentials = o.getAwsCredentialsProvider();
    if (credentials instanceof StaticCredentialsProvider) {
      throw new IllegalArgumentException(
          "--awsCredentialsProvider: keys given as a flag value would be copied into the"
              + " pipeline's options (and so to every worker and the job's page); set the"
              + " environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a"
              + " profile ({\"@type\": \"ProfileCredentialsProvider\", \"profileName\": \"...\"})"
              + " or the machine's role (leave the flag out)");
    }
    ProxyConfiguration proxy = o.getProxyConfiguration();
    if (proxy != null && proxy.password() != null) {
      throw new IllegalArgumentException(
          "--proxyConfiguration: a proxy password given as a flag value would be copied into the"
              + " pipeline's options; give the proxy's address only, or reach S3 without it");
    }
    if (o.getS3ClientFactoryClass() == DefaultS3ClientBuilderFactory.class) {
      o.setS3ClientFactoryClass(S3Clients.class);
    } else if (o.getS3PathStyleAccess() && o.getS3ClientFactoryClass() != S3Clients.class) {
      throw new IllegalArgumentException(
          "--s3PathStyleAccess and --s3ClientFactoryClass exclude each other; give one");
    }
  }

  /** The region of AWS_REGION / aws.region or the profile file, else null. */
  private static @Nullable Region localRegion() {
    try {
      return new AwsRegionProviderChain(
              new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
          .getRegion();
    } catch (SdkClientException e) {
      return null;
    }
  }
}
