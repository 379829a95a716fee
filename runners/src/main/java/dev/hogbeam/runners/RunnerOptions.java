package dev.hogbeam.runners;

import java.util.List;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Options the launcher sets for every subcommand ({@link RunnerDefaults}). Registered with Beam so
 * that any subcommand's options parse them.
 *
 * <p>A pipeline that reads {@code rateLimitShares} declares the same getter in its own options
 * interface, with the same type ({@code Integer}) and no {@code @Default}: Beam lets two interfaces
 * share a property when the declarations agree.
 */
public interface RunnerOptions extends PipelineOptions {

  @Description(
      "Number of worker JVMs that share the job-wide events/s budget: each JVM sends at most"
          + " budget/shares events per second. Set by the launcher for the runner (1 for the"
          + " DirectRunner and embedded Flink, the TaskManagers of a Flink cluster, Dataflow's"
          + " maxNumWorkers); give it explicitly to override.")
  Integer getRateLimitShares();

  void setRateLimitShares(Integer value);

  /** Makes {@link RunnerOptions} known to Beam; listed in META-INF/services. */
  final class Registrar implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(RunnerOptions.class);
    }
  }
}
