package dev.hogbeam.pipeline.files;

import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.LocalS3;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Shared by the tests of {@code hogbeam files}: running the command, file shapes, S3 access. */
final class FilesTestData {
  static final String KEY = "phc_files_test_key";

  private FilesTestData() {}

  /** Runs {@code hogbeam files} in this JVM with these environment variables. */
  static CommandRun files(Map<String, String> env, List<String> args) {
    return CommandRun.of(FilesCommand::run, env, args, Clock.systemUTC());
  }

  static byte[] plain(List<String> lines) {
    return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(List<String> lines) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
      gz.write(plain(lines));
    }
    return b.toByteArray();
  }

  /** A zip with one entry of plain JSON lines. */
  static byte[] zip(String entry, List<String> lines) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry(entry));
      z.write(plain(lines));
      z.closeEntry();
    }
    return b.toByteArray();
  }

  /**
   * The flags that reach {@code s3} with path-style access. The keys are Java system properties
   * (the SDK's default chain reads them), set by {@link #useS3Keys}: flag values are refused.
   */
  static List<String> s3Flags(LocalS3 s3) {
    return List.of(
        "--endpoint=" + s3.endpointByName(),
        "--awsRegion=" + LocalS3.REGION,
        "--s3PathStyleAccess=true");
  }

  /** The local server's keys where the AWS SDK's default chain finds them in this JVM. */
  static void useS3Keys() {
    System.setProperty("aws.accessKeyId", LocalS3.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", LocalS3.SECRET_KEY);
    System.setProperty("aws.disableEc2Metadata", "true");
  }

  static void clearS3Keys() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  /** The same keys for a child JVM, as a user gives them. */
  static Map<String, String> s3KeysEnvironment() {
    return Map.of(
        "AWS_ACCESS_KEY_ID", LocalS3.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", LocalS3.SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED", "true");
  }

  static RunReport report(Path checkpointDir) throws IOException {
    return RunReport.fromJson(Files.readString(checkpointDir.resolve("report.json")));
  }

  /** Every dead letter written into {@code dir}. */
  static List<DeadLetter> deadLetters(Path dir) throws IOException {
    List<DeadLetter> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (!l.isBlank()) {
            out.add(DeadLetter.fromJsonLine(l));
          }
        }
      }
    }
    return out;
  }
}
