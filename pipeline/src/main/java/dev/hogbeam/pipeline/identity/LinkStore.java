package dev.hogbeam.pipeline.identity;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.NewAliasPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How a migration uses the durable store of identity-link pairs ({@link AliasPairStore} plus {@link
 * PendingAliasPairs}), so each (device, user) link is sent once across runs, killed ones included.
 * Shared by every source that makes identity links (Amplitude's aliases, Mixpanel's {@code
 * $identify}).
 *
 * <ol>
 *   <li>when the command starts ({@link #open}): pending records of earlier runs whose link event a
 *       checkpoint shows as delivered are settled into the store;
 *   <li>in the pipeline: {@link #takenPairs} (recorded pairs, plus pairs pending in other
 *       migrations) keeps links already sent from being made again; {@link #heldUntilPending}
 *       writes the new pairs down as pending and holds every event until that write is done, so no
 *       link is sent that a killed run could forget;
 *   <li>after a successful run ({@link #afterRun}): this run's pairs are settled.
 * </ol>
 */
public final class LinkStore {
  private final @Nullable String store;
  private final String checkpointDir;
  private final boolean records;
  private final String planFile;
  private final PendingAliasPairs.Settled settledBefore;
  private PendingAliasPairs.@Nullable Settled settledAfter;

  private LinkStore(
      @Nullable String store,
      String checkpointDir,
      boolean records,
      String planFile,
      PendingAliasPairs.Settled settledBefore) {
    this.store = store;
    this.checkpointDir = checkpointDir;
    this.records = records;
    this.planFile = planFile;
    this.settledBefore = settledBefore;
  }

  /**
   * Opens the store and settles earlier runs' pending records.
   *
   * @param store the store directory, or null when there is none (no PostHog project to key it by):
   *     every pair then counts as new
   * @param checkpointDir this migration's checkpoint directory
   * @param sendsToPostHog whether this run delivers anything (only then are pairs recorded)
   * @param makesLinks whether this run makes link events at all
   * @param planFile the name of the plan file that marks a live checkpoint directory
   */
  public static LinkStore open(
      @Nullable String store,
      String checkpointDir,
      boolean sendsToPostHog,
      boolean makesLinks,
      String planFile)
      throws IOException {
    PendingAliasPairs.Settled settled = new PendingAliasPairs.Settled(0, 0, 0);
    if (store != null && sendsToPostHog) {
      settled = PendingAliasPairs.settle(store, planFile);
    }
    return new LinkStore(
        store, checkpointDir, store != null && makesLinks && sendsToPostHog, planFile, settled);
  }

  /** The store directory, or null. */
  public @Nullable String directory() {
    return store;
  }

  /** Whether this run writes pairs down (a store, link events, and a run that sends). */
  public boolean records() {
    return records;
  }

  /**
   * The pairs no link event may be made for: those recorded, and those pending in other migrations
   * (they may have been sent). Null when there is no store.
   */
  public @Nullable PCollection<String> takenPairs(Pipeline p) {
    if (store == null) {
      return null;
    }
    List<String> takenByOthers;
    try {
      takenByOthers = PendingAliasPairs.takenByOthers(store, checkpointDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the pending pairs of " + store, e);
    }
    PCollection<String> recorded = p.apply("Read pairs already sent", AliasPairStore.read(store));
    if (takenByOthers.isEmpty()) {
      return recorded;
    }
    return PCollectionList.of(recorded)
        .and(
            p.apply(
                "Pairs pending in other migrations",
                Create.of(takenByOthers).withCoder(StringUtf8Coder.of())))
        .apply("All taken pairs", Flatten.pCollections());
  }

  /**
   * {@code events}, each held until {@code newPairs} are written down as pending (when this run
   * records pairs; else unchanged).
   */
  public PCollection<KV<String, CaptureEvent>> heldUntilPending(
      PCollection<KV<String, CaptureEvent>> events,
      PCollection<NewAliasPair> newPairs,
      String runId) {
    if (!records) {
      return events;
    }
    PCollection<String> pendingFiles =
        newPairs.apply(
            "Write pending pairs",
            PendingAliasPairs.write(store, PendingAliasPairs.absolute(checkpointDir), runId));
    return events
        .apply("Wait for pending pairs", Wait.on(pendingFiles))
        .setCoder(events.getCoder());
  }

  /** Records the pairs this run delivered (every group is done after a successful run). */
  public void afterRun() throws IOException {
    if (records) {
      settledAfter = PendingAliasPairs.settle(store, planFile);
    }
  }

  /** For the plan: where sent pairs are kept, and what was settled when the command started. */
  public String describe() {
    if (store == null) {
      return "no pair store (no PostHog API key): every pair counts as new";
    }
    StringBuilder sb = new StringBuilder("pairs already sent are in ").append(store);
    if (!records) {
      sb.append(" (read only: this run sends nothing to PostHog)");
    } else if (settledBefore.recorded() + settledBefore.stillPending() > 0) {
      sb.append(" (")
          .append(settledBefore.recorded())
          .append(" pending record(s) of earlier runs settled now, ")
          .append(settledBefore.stillPending())
          .append(" still pending)");
    }
    return sb.toString();
  }

  /** The summary line after a run that recorded pairs, or "". */
  public String summary(String label) {
    if (settledAfter == null) {
      return "";
    }
    return String.format(
        Locale.ROOT,
        "  %s %s (%,d pending record(s) settled, %,d still pending)%n",
        label,
        store,
        settledAfter.recorded(),
        settledAfter.stillPending());
  }

  /** {@code name} in the directory that holds {@code dir} (on any file system). */
  public static String besideCheckpoints(String dir, String name) {
    String d = dir;
    while (d.endsWith("/") && d.length() > 1) {
      d = d.substring(0, d.length() - 1);
    }
    int scheme = d.indexOf("://");
    int slash = d.lastIndexOf('/');
    if (slash < 0) {
      return name;
    }
    if (scheme >= 0 && slash < scheme + 3 + 1) {
      return d + "/" + name; // the root of a bucket: nothing above it
    }
    return d.substring(0, slash + 1) + name;
  }
}
