package dev.hogbeam.pipeline.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.jupiter.api.Test;

/** Secrets given as flags must not travel with the options nor show among them. */
class OptionsSecrecyTest {

  @Test
  void secretFlagsAreNeitherSerialisedNorDisplayed() throws Exception {
    ClickHouseOptions options =
        PipelineOptionsFactory.fromArgs(
                "--clickhouseUrl=http://ch:8123",
                "--clickhousePassword=s3cret-pw",
                "--posthogApiKey=phc_secretkey",
                "--teamId=2",
                "--endDate=2024-01-02")
            .as(ClickHouseOptions.class);
    assertEquals("s3cret-pw", options.getClickhousePassword());
    assertEquals("phc_secretkey", options.getPosthogApiKey());

    String serialised = new ObjectMapper().writeValueAsString(options);
    assertTrue(serialised.contains("http://ch:8123"), serialised);
    assertFalse(serialised.contains("s3cret-pw"), serialised);
    assertFalse(serialised.contains("phc_secretkey"), serialised);

    String display = DisplayData.from(options).toString();
    assertTrue(display.contains("http://ch:8123"), display);
    assertFalse(display.contains("s3cret-pw"), display);
    assertFalse(display.contains("phc_secretkey"), display);
  }

  @Test
  void amplitudeKeysAreNeitherSerialisedNorDisplayed() throws Exception {
    AmplitudeOptions options =
        PipelineOptionsFactory.fromArgs(
                "--inputFiles=/data/*.zip",
                "--amplitudeApiKey=amp-key-1f2e",
                "--amplitudeSecretKey=amp-secret-3d4c",
                "--posthogApiKey=phc_secretkey")
            .as(AmplitudeOptions.class);
    assertEquals("amp-key-1f2e", options.getAmplitudeApiKey());
    assertEquals("amp-secret-3d4c", options.getAmplitudeSecretKey());

    String serialised = new ObjectMapper().writeValueAsString(options);
    String display = DisplayData.from(options).toString();
    for (String shown : new String[] {serialised, display}) {
      assertTrue(shown.contains("/data/*.zip"), shown);
      assertFalse(shown.contains("amp-key-1f2e"), shown);
      assertFalse(shown.contains("amp-secret-3d4c"), shown);
      assertFalse(shown.contains("phc_secretkey"), shown);
    }
  }
}
