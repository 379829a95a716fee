package dev.hogbeam.values;

import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Exact counts kept per bundle by a DoFn and emitted once when the bundle finishes, so counting an
 * event costs an addition, not an element. A retried bundle's counts are discarded with the rest of
 * its output, so the sums stay exact.
 */
public final class BundleCounts {
  private final Map<String, Long> counts = new TreeMap<>();

  public void add(String name, long n) {
    counts.merge(name, n, Long::sum);
  }

  /** Emits the counts on {@code tag} (global window) and starts again from zero. */
  public void flush(DoFn<?, ?>.FinishBundleContext c, TupleTag<KV<String, Long>> tag) {
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      c.output(
          tag,
          KV.of(e.getKey(), e.getValue()),
          GlobalWindow.INSTANCE.maxTimestamp(),
          GlobalWindow.INSTANCE);
    }
    counts.clear();
  }
}
