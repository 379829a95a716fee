package dev.hogbeam.pipeline.verify;

import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.amplitude.ConvertAmplitudeEvents;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.pipeline.amplitude.ReadAgain;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code verify --repair} of an Amplitude migration: the input read again and mapped as the
 * migration did, keeping only the events whose uuids are missing in PostHog; sent through the
 * normal engine, so with the same uuids, batching, rate limit and checkpoints.
 */
final class AmplitudeRepair implements EventSource<SourceLine> {
  private final String pattern;
  private final ConvertAmplitudeEvents conversion;
  private final long maxLineBytes;
  private final TreeSet<String> missing;

  AmplitudeRepair(
      String pattern, ConvertAmplitudeEvents conversion, long maxLineBytes, Set<String> missing) {
    this.pattern = pattern;
    this.conversion = conversion;
    this.maxLineBytes = maxLineBytes;
    this.missing = new TreeSet<>(missing);
  }

  @Override
  public SourcePlan plan() {
    return SourcePlan.builder()
        .description("repair: " + missing.size() + " missing event(s) of " + pattern)
        .shards(1)
        .dayGroup("UTC day")
        .expectedEvents(missing.size())
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
    return new KeepMissing(conversion.withOrderingKey(context.orderingKey()), missing);
  }

  private static final class KeepMissing extends PTransform<PCollection<SourceLine>, SourceEvents> {
    private final ConvertAmplitudeEvents conversion;
    private final TreeSet<String> missing;

    KeepMissing(ConvertAmplitudeEvents conversion, TreeSet<String> missing) {
      this.conversion = conversion;
      this.missing = missing;
    }

    @Override
    public SourceEvents expand(PCollection<SourceLine> lines) {
      ConvertAmplitudeEvents.Result converted =
          lines.apply("Map again", conversion.withAliasMode(AliasMode.NONE));
      Set<String> wanted = missing;
      PCollection<KV<String, CaptureEvent>> events =
          converted
              .getEvents()
              .apply(
                  "Only the missing",
                  Filter.by((KV<String, CaptureEvent> kv) -> wanted.contains(kv.getValue().uuid())))
              .setCoder(converted.getEvents().getCoder());
      return SourceEvents.of(
          events,
          lines
              .getPipeline()
              .apply("No map dead letters", Create.empty(converted.getDeadLetters().getCoder())));
    }
  }
}
