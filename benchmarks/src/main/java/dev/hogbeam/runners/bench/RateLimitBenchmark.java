package dev.hogbeam.runners.bench;

import dev.hogbeam.capture.CaptureIO;
import dev.hogbeam.capture.WriteResult;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.testing.FakeCaptureServer;
import dev.hogbeam.testing.FakeCaptureServer.RequestRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;

/**
 * Does {@code CaptureIO.write()} hold a job-wide events-per-second budget? Sends {@code --events}
 * events in {@code --groups} groups (processed in parallel) with a budget of {@code --rate}
 * events/s to the fake capture server in counting mode, and prints the measured rate and whether
 * the run took at least {@code events / rate} seconds, as the budget requires.
 *
 * <p>Arguments: {@code --events=20000 --groups=8 --rate=2000 --batchSize=100}; any other argument
 * is a Beam pipeline option (default runner: DirectRunner; e.g. {@code --runner=FlinkRunner} for
 * embedded Flink).
 */
public final class RateLimitBenchmark {
  private RateLimitBenchmark() {}

  public static void main(String[] args) {
    int events = 20_000;
    int groups = 8;
    double rate = 2_000;
    int batchSize = 100;
    List<String> beamArgs = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--events=")) {
        events = Integer.parseInt(a.substring(9));
      } else if (a.startsWith("--groups=")) {
        groups = Integer.parseInt(a.substring(9));
      } else if (a.startsWith("--rate=")) {
        rate = Double.parseDouble(a.substring(7));
      } else if (a.startsWith("--batchSize=")) {
        batchSize = Integer.parseInt(a.substring(12));
      } else {
        beamArgs.add(a);
      }
    }
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0])).create();

    try (FakeCaptureServer server = FakeCaptureServer.builder().countingOnly(true).start()) {
      Pipeline p = Pipeline.create(options);
      List<String> keys = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        keys.add("group-" + g);
      }
      WriteResult result =
          p.apply("Group keys", Create.of(keys))
              .apply("Spread groups", Reshuffle.viaRandomKey())
              .apply("Make events", ParDo.of(new MakeEvents(events / groups)))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), IterableCoder.of(CaptureEventCoder.of())))
              .apply(
                  "Send",
                  CaptureIO.write()
                      .withHost(server.url())
                      .withApiKey("phc_ratelimitbenchmark")
                      .withBatchSize(batchSize)
                      .withMaxEventsPerSecond(rate)
                      .withRateLimitShares(1));
      long start = System.nanoTime();
      p.run().waitUntilFinish();
      double wall = (System.nanoTime() - start) / 1e9;

      List<RequestRecord> requests = server.requests();
      long accepted = server.acceptedEventCount();
      int sent = (events / groups) * groups;
      double window =
          Duration.between(
                      requests.get(0).receivedAt(), requests.get(requests.size() - 1).receivedAt())
                  .toNanos()
              / 1e9;
      double minimum = sent / rate;
      System.out.printf(
          "rate-limit benchmark: %d events in %d groups, batches of %d, budget %.0f events/s, runner %s%n",
          sent, groups, batchSize, rate, options.getRunner().getSimpleName());
      System.out.printf(
          "  accepted by the server: %d events in %d requests (statuses %s)%n",
          accepted, requests.size(), server.statusCounts());
      System.out.printf(
          "  pipeline wall time %.2f s (includes runner start-up): %.0f events/s%n",
          wall, sent / wall);
      System.out.printf(
          "  first to last request at the server %.2f s: %.0f events/s after the first batch%n",
          window, (sent - batchSize) / window);
      System.out.printf(
          "  elapsed >= events / budget: %.2f s >= %.2f s: %s%n",
          wall, minimum, wall >= minimum ? "OK" : "VIOLATED");
      System.out.printf(
          "  server window >= (events - one batch) / budget: %.2f s >= %.2f s: %s%n",
          window,
          (sent - batchSize) / rate,
          window >= (sent - batchSize) / rate - 0.001 ? "OK" : "VIOLATED");
      if (accepted != sent) {
        System.out.println("  MISMATCH: the server accepted " + accepted + " of " + sent);
      }
    }
  }

  /** Generates a group's events in send order. */
  private static final class MakeEvents extends DoFn<String, KV<String, Iterable<CaptureEvent>>> {
    private final int perGroup;

    MakeEvents(int perGroup) {
      this.perGroup = perGroup;
    }

    @ProcessElement
    public void process(
        @Element String key, OutputReceiver<KV<String, Iterable<CaptureEvent>>> out) {
      List<CaptureEvent> events = new ArrayList<>(perGroup);
      int g = Integer.parseInt(key.substring("group-".length()));
      for (int i = 0; i < perGroup; i++) {
        events.add(
            CaptureEvent.of(
                String.format("%08x-0000-7000-8000-%012x", g, i),
                "$pageview",
                "user-" + (i % 97),
                1_714_560_000_000_000L + i * 1_000L,
                "{\"$current_url\":\"https://example.com/p/"
                    + (i % 13)
                    + "\",\"$lib\":\"hogbeam-bench\"}"));
      }
      out.output(KV.of(key, events));
    }
  }
}
