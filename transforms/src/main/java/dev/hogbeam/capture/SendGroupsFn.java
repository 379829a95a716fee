package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

/** Sends each group with a {@link GroupSender}; emits its stats and its dead letters. */
final class SendGroupsFn
    extends DoFn<KV<String, Iterable<CaptureEvent>>, KV<String, GroupSendStats>> {
  private final WriteSettings settings;
  private final TupleTag<KV<String, GroupSendStats>> statsTag;
  private final TupleTag<DeadLetter> deadLetterTag;

  private transient CaptureTransport transport;
  private transient JvmSendState shared;

  SendGroupsFn(
      WriteSettings settings,
      TupleTag<KV<String, GroupSendStats>> statsTag,
      TupleTag<DeadLetter> deadLetterTag) {
    this.settings = settings;
    this.statsTag = statsTag;
    this.deadLetterTag = deadLetterTag;
  }

  @Setup
  public void setup() {
    transport = settings.newTransport();
    shared = JvmSendState.of(settings);
  }

  @ProcessElement
  public void process(@Element KV<String, Iterable<CaptureEvent>> group, MultiOutputReceiver out)
      throws Exception {
    GroupSender sender =
        new GroupSender(
            settings,
            transport,
            shared,
            System::nanoTime,
            GroupSender.Sleeper.REAL,
            () -> ThreadLocalRandom.current().nextDouble(),
            deadLetter -> out.get(deadLetterTag).output(deadLetter));
    GroupSendStats stats = sender.send(group.getKey(), group.getValue());
    out.get(statsTag).output(KV.of(group.getKey(), stats));
  }

  @Teardown
  public void teardown() throws Exception {
    if (transport != null) {
      transport.close();
    }
  }
}
