package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.runners.JarProcess.Result;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The jar built with {@code -Pdataflow} knows the Dataflow runner and its options. Dataflow itself
 * cannot be reached from here: nothing is submitted.
 */
@EnabledIfSystemProperty(named = "hogbeam.dataflow", matches = "true")
class DataflowIT {

  @Test
  void listsTheDataflowOptions() throws Exception {
    Result result =
        JarProcess.hogbeam(
            Duration.ofMinutes(2),
            "selftest",
            "--runner=DataflowRunner",
            "--help=DataflowPipelineOptions");
    assertEquals(0, result.exitCode(), result.describe());
    for (String option :
        new String[] {
          "org.apache.beam.runners.dataflow.options.DataflowPipelineOptions",
          "  --project=<String>",
          "  --region=<String>",
          "  --tempLocation=<String>",
          "  --maxNumWorkers=<int>",
          "  --numWorkers=<int>"
        }) {
      assertTrue(result.stdout().contains(option), option + " in\n" + result.describe());
    }
  }
}
