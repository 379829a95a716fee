package dev.hogbeam.pipeline.options;

import java.util.Locale;
import java.util.Set;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Whether the chosen runner runs the pipeline inside this JVM (the DirectRunner, an embedded Flink:
 * secrets may then be handed over in memory) or elsewhere (a Flink cluster, Dataflow, any other
 * runner: secrets must travel as references, see {@link Secrets}).
 */
public final class RunnerLocation {
  private RunnerLocation() {}

  private static final Set<String> EMBEDDED_FLINK_MASTERS =
      Set.of("[local]", "[auto]", "[collection]");

  /**
   * The Flink runner's own {@code flinkMaster} property, declared exactly as Beam's {@code
   * FlinkPipelineOptions} declares it (Beam lets two interfaces share a property whose declarations
   * agree), so it can be read without the Flink runner on the classpath.
   */
  public interface FlinkMaster extends PipelineOptions {
    @Description(
        "Address of the Flink Master where the Pipeline should be executed. Can either be of the"
            + " form \"host:port\" or one of the special values [local], [collection] or [auto].")
    @Default.String("[auto]")
    String getFlinkMaster();

    void setFlinkMaster(String value);
  }

  /** True for the DirectRunner and a Flink runner on {@code [local]}, {@code [auto]}, etc. */
  public static boolean inThisJvm(PipelineOptions options) {
    String runner = options.getRunner().getSimpleName().toLowerCase(Locale.ROOT);
    if (runner.equals("directrunner")) {
      return true;
    }
    if (runner.equals("flinkrunner") || runner.equals("testflinkrunner")) {
      return EMBEDDED_FLINK_MASTERS.contains(options.as(FlinkMaster.class).getFlinkMaster());
    }
    return false;
  }

  /** A few words naming where the pipeline runs, for messages. */
  public static String describe(PipelineOptions options) {
    String runner = options.getRunner().getSimpleName();
    if (runner.toLowerCase(Locale.ROOT).contains("flink")) {
      return runner + " at --flinkMaster=" + options.as(FlinkMaster.class).getFlinkMaster();
    }
    return runner;
  }
}
