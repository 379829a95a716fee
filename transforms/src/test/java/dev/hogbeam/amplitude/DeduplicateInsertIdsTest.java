package dev.hogbeam.amplitude;

import dev.hogbeam.event.CaptureEvent;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class DeduplicateInsertIdsTest {
  private static MappedAmplitudeEvent e(
      String uuid, String device, String user, String insertId, long upload) {
    CaptureEvent ev = CaptureEvent.of(uuid, "x", user != null ? user : device, 1_000L, "{}");
    return new MappedAmplitudeEvent(ev, device, user, insertId, upload, List.of());
  }

  private static String uuid(int n) {
    return String.format("00000000-0000-4000-8000-%012d", n);
  }

  @Test
  void keepsOneCopyPerDeviceAndInsertIdAndCountsTheRest(TestPipeline p) {
    List<MappedAmplitudeEvent> in =
        List.of(
            // d1/i1: the earlier upload wins, whatever its uuid
            e(uuid(2), "d1", "u1", "i1", 200),
            e(uuid(3), "d1", "u1", "i1", 100),
            // d1/i2: same upload time, the smallest uuid wins; three copies
            e(uuid(9), "d1", null, "i2", 100),
            e(uuid(5), "d1", null, "i2", 100),
            e(uuid(7), "d1", null, "i2", MappedAmplitudeEvent.NO_UPLOAD_TIME),
            // same insert id, other device: not a copy
            e(uuid(11), "d2", "u1", "i1", 100),
            // no device: the user and insert id decide
            e(uuid(12), null, "u9", "i1", 100),
            e(uuid(13), null, "u9", "i1", 50),
            // no insert id: untouched, even with the same uuid (the ordering stage handles those)
            e(uuid(20), "d1", "u1", null, 100),
            e(uuid(20), "d1", "u1", null, 100));

    PCollectionTuple out = p.apply(Create.of(in)).apply(DeduplicateInsertIds.create());

    PAssert.that(
            out.get(DeduplicateInsertIds.EVENTS)
                .apply(MapElements.into(TypeDescriptors.strings()).via(m -> m.event().uuid())))
        .containsInAnyOrder(uuid(3), uuid(5), uuid(11), uuid(13), uuid(20), uuid(20));
    PAssert.that(out.get(DeduplicateInsertIds.COUNTS).apply(Sum.longsPerKey()))
        .containsInAnyOrder(List.of(KV.of(AmplitudeCounts.INSERT_ID_DUPLICATES_DROPPED, 4L)));
    p.run().waitUntilFinish();
  }
}
