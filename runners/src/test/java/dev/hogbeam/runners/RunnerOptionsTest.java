package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** The contract with the pipelines: they declare rateLimitShares the same way and share it. */
class RunnerOptionsTest {

  /** What a pipeline's options interface declares (it cannot see {@link RunnerOptions}). */
  public interface PipelineSideOptions extends PipelineOptions {
    @Description("Worker JVMs sharing the events/s budget; set by hogbeam.jar's launcher.")
    Integer getRateLimitShares();

    void setRateLimitShares(Integer value);
  }

  @Test
  void registeredAndSharedWithThePipelinesDeclaration() {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs("--rateLimitShares=3").withValidation().create();
    assertEquals(3, options.as(RunnerOptions.class).getRateLimitShares());
    assertEquals(3, options.as(PipelineSideOptions.class).getRateLimitShares());
  }

  @Test
  void absentMeansNull() {
    assertNull(PipelineOptionsFactory.create().as(RunnerOptions.class).getRateLimitShares());
  }
}
