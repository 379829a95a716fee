package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.Test;

/** flink-cluster.sh starts the Flink version that the jar's Flink client speaks. */
class FlinkClusterScriptTest {

  @Test
  void clusterVersionIsTheClientVersion() throws IOException {
    String script = Files.readString(Path.of("flink-cluster.sh"), StandardCharsets.UTF_8);
    Matcher matcher = Pattern.compile("(?m)^FLINK_VERSION=(\\S+)$").matcher(script);
    assertEquals(true, matcher.find(), "FLINK_VERSION=... in flink-cluster.sh");
    String scriptVersion = matcher.group(1);

    Properties build = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/hogbeam-build.properties")) {
      build.load(in);
    }
    assertEquals(
        build.getProperty("flink.version"), scriptVersion, "runners/pom.xml flink.version");
    assertEquals(
        EnvironmentInformation.getVersion(), scriptVersion, "Flink on the jar's classpath");
  }
}
