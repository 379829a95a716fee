package dev.hogbeam.download;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The ranges of an export (hours, days) dealt round-robin into at most {@code slots} groups, one
 * worker each: whatever downloads them one after the other per slot has at most that many downloads
 * running across all workers.
 */
public final class DownloadSlots
    extends PTransform<PBegin, PCollection<KV<Integer, Iterable<String>>>> {
  private final List<String> ranges;
  private final int slots;

  private DownloadSlots(List<String> ranges, int slots) {
    this.ranges = List.copyOf(ranges);
    this.slots = Math.min(slots, Math.max(1, ranges.size()));
  }

  public static DownloadSlots of(List<String> ranges, int slots) {
    checkArgument(slots > 0, "slots must be > 0, but was %s", slots);
    return new DownloadSlots(ranges, slots);
  }

  @Override
  public PCollection<KV<Integer, Iterable<String>>> expand(PBegin input) {
    List<KV<Integer, String>> dealt = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      dealt.add(KV.of(i % slots, ranges.get(i)));
    }
    return input
        .apply(
            "Ranges",
            Create.of(dealt).withCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of())))
        .apply("Bound concurrency", GroupByKey.create());
  }
}
