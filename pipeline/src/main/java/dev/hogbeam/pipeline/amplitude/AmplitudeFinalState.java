package dev.hogbeam.pipeline.amplitude;

import dev.hogbeam.amplitude.FinalUserProperties;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.AmplitudeOptions;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The final-state stage of an Amplitude migration: each user's last {@code user_properties} of the
 * input as one {@code $set} ({@link FinalUserProperties}), sent after every event group of the
 * migration was acknowledged, through the same engine with its checkpoints in {@code
 * <checkpointDir>/final-state}. The input is read again (the files, or the hours the migration
 * downloaded). Off with {@code --persons=none}.
 */
final class AmplitudeFinalState implements Migration.NextStage {
  private final AmplitudeOptions options;
  private final Destination destination;
  private final String directory;
  private final String pattern;

  AmplitudeFinalState(
      AmplitudeOptions options, Destination destination, String checkpointDir, String pattern) {
    this.options = options;
    this.destination = destination;
    this.directory = checkpointDir + "/final-state";
    this.pattern = pattern;
  }

  @Override
  public Migration<?> open() {
    Migration.Setup setup = Migration.Setup.open(options, destination, directory);
    return Migration.of(new Source(pattern, options.getMaxLineBytes()), setup, null);
  }

  @Override
  public String finished(Migration<?> stage) {
    long sent = 0;
    for (GroupCheckpoint g : stage.ledger().groups().values()) {
      sent += g.sent();
    }
    return String.format(
        Locale.ROOT, "final state: %,d user(s)' last user_properties sent as $set%n", sent);
  }

  /** The input read again, each user's final {@code $set} made. */
  private static final class Source implements EventSource<SourceLine> {
    private final String pattern;
    private final long maxLineBytes;

    Source(String pattern, long maxLineBytes) {
      this.pattern = pattern;
      this.maxLineBytes = maxLineBytes;
    }

    @Override
    public SourcePlan plan() {
      return SourcePlan.builder()
          .description("final state: each user's last user_properties of " + pattern + " as $set")
          .shards(1)
          .dayGroup("UTC day")
          .expectedEvents(0)
          .groupStarts(Map.of())
          .rangeEndMicros(Long.MAX_VALUE)
          .build();
    }

    @Override
    public PTransform<PBegin, SourceRead<SourceLine>> read(SourceContext context) {
      return new ReadAgain(pattern, maxLineBytes);
    }

    @Override
    public PTransform<PCollection<SourceLine>, SourceEvents> map(SourceContext context) {
      return new Sets(context);
    }
  }

  private static final class Sets extends PTransform<PCollection<SourceLine>, SourceEvents> {
    private final dev.hogbeam.order.OrderingKey key;

    Sets(SourceContext context) {
      this.key = context.orderingKey();
    }

    @Override
    public SourceEvents expand(PCollection<SourceLine> lines) {
      return SourceEvents.of(
          lines.apply("Final $set per user", FinalUserProperties.keyedBy(key)),
          lines.getPipeline().apply("No map dead letters", Create.empty(DeadLetterCoder.of())));
    }
  }
}
