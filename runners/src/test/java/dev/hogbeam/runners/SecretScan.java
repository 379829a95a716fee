package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hogbeam.testing.LocalClickHouse;
import dev.hogbeam.testing.PostHogDataGenerator;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;
import org.apache.beam.sdk.util.construction.PipelineTranslation;

/**
 * Searches what a migration leaves behind for secret strings: files (every byte of every file under
 * a directory), process output, and the pipeline as Beam serializes it for a remote runner (each
 * DoFn, each transform's display data, the pipeline proto, the options in each of their serialized
 * forms). A secret is also looked for as the base64 of {@code apiKey:secretKey} (Amplitude's basic
 * authentication header).
 */
final class SecretScan {
  private final List<String> secrets;
  private final List<String> found = new ArrayList<>();
  private int places;

  private SecretScan(List<String> secrets) {
    this.secrets = new ArrayList<>(secrets);
  }

  /** A scan for {@code secrets}; {@code basicAuthPairs} adds base64 of each "a:b" pair given. */
  static SecretScan of(List<String> secrets, String... basicAuthPairs) {
    SecretScan scan = new SecretScan(secrets);
    for (String pair : basicAuthPairs) {
      scan.secrets.add(Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
    return scan;
  }

  /** How many places (files, streams, serialized objects) were searched. */
  int places() {
    return places;
  }

  SecretScan bytes(String where, byte[] bytes) {
    places++;
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    for (String secret : secrets) {
      if (text.contains(secret)) {
        found.add(where + " holds " + secret);
      }
    }
    return this;
  }

  SecretScan text(String where, String text) {
    return bytes(where, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Every regular file under {@code root}. */
  SecretScan files(Path root) throws IOException {
    if (!Files.exists(root)) {
      return this;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        bytes(f.toString(), Files.readAllBytes(f));
      }
    }
    return this;
  }

  /** The options as Beam ships them to workers and shows them. */
  SecretScan options(PipelineOptions options) throws Exception {
    bytes(
        "options, Java-serialized (SerializablePipelineOptions)",
        SerializableUtils.serializeToByteArray(new SerializablePipelineOptions(options)));
    bytes(
        "options, as the pipeline proto's options",
        PipelineOptionsTranslation.toProto(options).toByteArray());
    text("options, as JSON", new ObjectMapper().writeValueAsString(options));
    text("options' display data", DisplayData.from(options).toString());
    return this;
  }

  /** Each DoFn and transform (serialized), their display data, and the pipeline proto. */
  SecretScan pipeline(Pipeline p) {
    List<String> failures = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (node.getTransform() != null) {
              transform(node.getFullName(), node.getTransform());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            transform(node.getFullName(), node.getTransform());
          }

          private void transform(String name, PTransform<?, ?> t) {
            text(name + " display data", DisplayData.from(t).toString());
            text(name + " toString", String.valueOf(t));
            Serializable fn = null;
            if (t instanceof ParDo.SingleOutput) {
              fn = ((ParDo.SingleOutput<?, ?>) t).getFn();
            } else if (t instanceof ParDo.MultiOutput) {
              fn = ((ParDo.MultiOutput<?, ?>) t).getFn();
            }
            if (fn != null) {
              bytes(name + " DoFn", SerializableUtils.serializeToByteArray(fn));
            }
            try {
              bytes(name + " serialized", SerializableUtils.serializeToByteArray(t));
            } catch (IllegalArgumentException e) {
              failures.add(name); // composites holding non-serializable state: their parts count
            }
          }
        });
    bytes("the pipeline proto", PipelineTranslation.toProto(p).toByteArray());
    return this;
  }

  /** A ClickHouse engine and a database of events in it. */
  record Source(LocalClickHouse ch, String db) {}

  /**
   * A ClickHouse engine that only accepts user {@code migrator} with {@code password}, holding a
   * database of team 2's events on 2024-03-01 and 02.
   */
  static Source clickHouseWithPassword(String password, int eventsPerDay) {
    LocalClickHouse ch = LocalClickHouse.builder().credentials("migrator", password).startLocal();
    String db = ch.createDatabase("scan");
    PostHogDataGenerator.createEvents(ch, db, PostHogDataGenerator.Layout.GEN3)
        .generate(
            PostHogDataGenerator.spec()
                .teams(2)
                .startDay(LocalDate.of(2024, 3, 1))
                .days(2)
                .eventsPerTeamDay(eventsPerDay)
                .seed(5)
                .build());
    return new Source(ch, db);
  }

  /** Fails listing every place a secret was found. */
  void assertClean() {
    assertEquals(List.of(), found, "secrets found (searched " + places + " places)");
  }
}
