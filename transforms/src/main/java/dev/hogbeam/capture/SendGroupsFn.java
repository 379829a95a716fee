package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

/** Sends each group with a {@link GroupWriter}; emits its stats and its dead letters. */
final class SendGroupsFn
    extends DoFn<KV<String, Iterable<CaptureEvent>>, KV<String, GroupSendStats>> {
  private final GroupWriter writer;
  private final TupleTag<KV<String, GroupSendStats>> statsTag;
  private final TupleTag<DeadLetter> deadLetterTag;

  SendGroupsFn(
      GroupWriter writer,
      TupleTag<KV<String, GroupSendStats>> statsTag,
      TupleTag<DeadLetter> deadLetterTag) {
    this.writer = writer;
    this.statsTag = statsTag;
    this.deadLetterTag = deadLetterTag;
  }

  @Setup
  public void setup() {
    writer.setup();
  }

  @ProcessElement
  public void process(@Element KV<String, Iterable<CaptureEvent>> group, MultiOutputReceiver out)
      throws Exception {
    GroupSendStats stats =
        writer.send(
            group.getKey(),
            group.getValue(),
            deadLetter -> out.get(deadLetterTag).output(deadLetter));
    out.get(statsTag).output(KV.of(group.getKey(), stats));
  }

  @Teardown
  public void teardown() throws Exception {
    writer.teardown();
  }
}
