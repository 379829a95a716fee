package dev.hogbeam.pipeline.identity;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterIO;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import dev.hogbeam.identity.AliasPairStore;
import dev.hogbeam.identity.AliasPairs;
import dev.hogbeam.identity.NewAliasPair;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.checkpoint.GroupCheckpoint;
import dev.hogbeam.pipeline.engine.Ledger;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alias pairs a run is about to send but that are not yet recorded as sent: the half of "each alias
 * exactly once" that survives a killed run.
 *
 * <p>A pair may be written to the {@link AliasPairStore} only once its alias event was acknowledged
 * by PostHog, and the only durable trace of that is the checkpoint of the ordering group that holds
 * the event. So, before anything is sent, each new pair is written down as pending, with the
 * checkpoint directory, the group and the alias event's position ({@link #write}); the pipeline's
 * events wait for that write. Later, outside the pipeline, {@link #settle} moves every pending pair
 * whose group checkpoint has passed its alias event (or whose group is done) into the store.
 *
 * <p>Pending records live in the alias store's {@code pending/} directory, not in the run's
 * checkpoint directory, so that ANY run sharing the store settles them: a run over the next month
 * started after a killed run over this month does not send again the aliases the killed run had
 * delivered. Layout: {@code <aliasStore>/pending/<runId>-SSSSS-of-NNNNN.jsonl}, one JSON object per
 * line ({@link Record}); files are written under temporary names and renamed into place (TextIO),
 * and are only deleted once every record in them is settled.
 */
public final class PendingAliasPairs {
  private static final Logger LOG = LoggerFactory.getLogger(PendingAliasPairs.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String DIRECTORY = "pending";
  static final String SUFFIX = ".jsonl";

  private PendingAliasPairs() {}

  /**
   * One pending pair: which checkpoint directory and group will tell whether its alias event was
   * delivered, and where in that group's send order the event is.
   */
  record Record(String checkpointDir, String group, EventCursor aliasAt, String pairKey) {

    String toJsonLine() {
      ObjectNode n = JSON.createObjectNode();
      n.put("checkpoints", checkpointDir);
      n.put("group", group);
      n.put("timestamp_us", aliasAt.timestampMicros());
      n.put("uuid", aliasAt.uuid());
      n.put("pair", pairKey);
      return n.toString();
    }

    static Record fromJsonLine(String line) {
      try {
        JsonNode n = JSON.readTree(line);
        Record r =
            new Record(
                n.get("checkpoints").textValue(),
                n.get("group").textValue(),
                EventCursor.of(n.get("timestamp_us").longValue(), n.get("uuid").textValue()),
                n.get("pair").textValue());
        if (r.checkpointDir == null || r.group == null || !AliasPairs.isPairKey(r.pairKey)) {
          throw new IllegalArgumentException("a field is missing");
        }
        return r;
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("not a pending alias record: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Whether the alias event at {@code aliasAt} has been delivered, as far as its group's checkpoint
   * tells: the group finished, or its acknowledged cursor is at or after the event.
   */
  static boolean delivered(@Nullable GroupCheckpoint group, EventCursor aliasAt) {
    if (group == null) {
      return false;
    }
    if (group.done()) {
      return true;
    }
    EventCursor acked = group.acknowledged();
    return acked != null
        && EventOrder.compare(
                aliasAt.timestampMicros(), aliasAt.uuid(), acked.timestampMicros(), acked.uuid())
            <= 0;
  }

  static String directory(String aliasStore) {
    String s = aliasStore.endsWith("/") ? aliasStore : aliasStore + "/";
    return s + DIRECTORY;
  }

  /**
   * Writes the run's new pairs as pending records of checkpoint directory {@code checkpointDir}.
   * Output: the files written, once they are all in place (use it as a {@link
   * org.apache.beam.sdk.transforms.Wait} signal).
   */
  public static Write write(String aliasStore, String checkpointDir, String runId) {
    return new Write(directory(aliasStore) + "/" + runId, checkpointDir);
  }

  /** See {@link #write}. */
  public static final class Write
      extends PTransform<PCollection<NewAliasPair>, PCollection<String>> {
    private final String prefix;
    private final String checkpointDir;

    private Write(String prefix, String checkpointDir) {
      this.prefix = prefix;
      this.checkpointDir = checkpointDir;
    }

    @Override
    public PCollection<String> expand(PCollection<NewAliasPair> pairs) {
      String dir = checkpointDir;
      return pairs
          .apply(
              "To pending records",
              MapElements.into(TypeDescriptors.strings())
                  .via(
                      (NewAliasPair p) ->
                          new Record(dir, p.orderingKey(), p.cursor(), p.pairKey()).toJsonLine()))
          .apply(
              "Write pending files",
              TextIO.write().to(prefix).withSuffix(SUFFIX).withOutputFilenames())
          .getPerDestinationOutputFilenames()
          .apply("Names of the files", Values.create());
    }
  }

  /**
   * The pair keys pending in {@code aliasStore} for checkpoint directories other than {@code
   * checkpointDir}: another migration (another range, say) has made their alias events and may have
   * sent them, so this run counts them as taken. Its own directory's pending pairs are not: a
   * resumed run makes the same alias events again, at the same positions, and sends those its
   * killed run had not.
   */
  public static List<String> takenByOthers(String aliasStore, String checkpointDir)
      throws IOException {
    String ours = absolute(checkpointDir);
    List<String> out = new ArrayList<>();
    for (ResourceId file : pendingFiles(aliasStore)) {
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(FileSystems.open(file)), UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          try {
            Record r = Record.fromJsonLine(line);
            if (!r.checkpointDir().equals(ours)) {
              out.add(r.pairKey());
            }
          } catch (IllegalArgumentException e) {
            // a torn line of a killed run: nothing of it was sent
          }
        }
      }
    }
    return out;
  }

  /** What {@link #settle} did. */
  public record Settled(long recorded, long stillPending, long dropped) {}

  /**
   * Moves every pending pair of {@code aliasStore} whose alias event was delivered into the store,
   * and deletes the pending files all of whose records are settled. Safe to run at any time, also
   * while other runs write pending records or settle the same store: the store is written before a
   * pending file is deleted, and a pair recorded twice is harmless.
   *
   * <p>Records of a checkpoint directory that no longer exists (its {@code plan.json} is gone: the
   * migration was abandoned) are dropped unrecorded: whether their alias was sent cannot be known,
   * and a later run sending it again is the safe side. So are unreadable lines (a file torn by a
   * kill while it was written, which is before anything was sent).
   */
  public static Settled settle(String aliasStore, String planFile) throws IOException {
    Map<String, @Nullable Map<String, GroupCheckpoint>> checkpoints = new HashMap<>();
    long recorded = 0;
    long pending = 0;
    long dropped = 0;
    for (ResourceId file : pendingFiles(aliasStore)) {
      FileSettlement s = new FileSettlement(file, checkpoints, planFile);
      AliasPairStore.writeFile(aliasStore, s);
      s.checkConsumed();
      recorded += s.delivered;
      pending += s.remaining;
      dropped += s.dropped;
      if (s.remaining == 0) {
        FileSystems.delete(List.of(file), StandardMoveOptions.IGNORE_MISSING_FILES);
      }
    }
    if (recorded + dropped > 0) {
      LOG.info(
          "Alias store {}: {} pending record(s) of delivered aliases settled, {} still pending{}",
          aliasStore,
          recorded,
          pending,
          dropped == 0 ? "" : ", " + dropped + " of abandoned checkpoint directories dropped");
    }
    return new Settled(recorded, pending, dropped);
  }

  private static List<ResourceId> pendingFiles(String aliasStore) throws IOException {
    List<ResourceId> out = new ArrayList<>();
    try {
      MatchResult m = FileSystems.match(directory(aliasStore) + "/*" + SUFFIX);
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata md : m.metadata()) {
          out.add(md.resourceId());
        }
      }
    } catch (FileNotFoundException e) {
      // no pending directory yet
    }
    return out;
  }

  /**
   * Streams one pending file: iterating yields the pair keys to record and counts the rest, so a
   * file of millions of records is never held in memory.
   */
  private static final class FileSettlement implements Iterable<String> {
    private final ResourceId file;
    private final Map<String, @Nullable Map<String, GroupCheckpoint>> checkpoints;
    private final String planFile;
    private final Map<String, Set<String>> deadLettered = new HashMap<>();
    private boolean consumed;
    long delivered;
    long remaining;
    long dropped;

    FileSettlement(
        ResourceId file,
        Map<String, @Nullable Map<String, GroupCheckpoint>> checkpoints,
        String planFile) {
      this.file = file;
      this.checkpoints = checkpoints;
      this.planFile = planFile;
    }

    void checkConsumed() {
      if (!consumed) {
        throw new IllegalStateException("pending file was not read to the end: " + file);
      }
    }

    @Override
    public Iterator<String> iterator() {
      BufferedReader reader;
      try {
        reader =
            new BufferedReader(
                new InputStreamReader(Channels.newInputStream(FileSystems.open(file)), UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read pending alias file " + file, e);
      }
      return new Iterator<>() {
        private long lineNumber;
        private @Nullable String next = advance();

        private @Nullable String advance() {
          try {
            String line;
            while ((line = reader.readLine()) != null) {
              lineNumber++;
              if (line.isBlank()) {
                continue;
              }
              String key = settle(line, lineNumber);
              if (key != null) {
                return key;
              }
            }
            reader.close();
            consumed = true;
            return null;
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read pending alias file " + file, e);
          }
        }

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public String next() {
          if (next == null) {
            throw new NoSuchElementException();
          }
          String out = next;
          next = advance();
          return out;
        }
      };
    }

    private Set<String> deadLettered(String checkpointDir) {
      return deadLettered.computeIfAbsent(checkpointDir, PendingAliasPairs::deadLetteredIn);
    }

    /** The pair key to record, or null (counted as still pending or dropped). */
    private @Nullable String settle(String line, long lineNumber) {
      Record r;
      try {
        r = Record.fromJsonLine(line);
      } catch (IllegalArgumentException e) {
        // Only a file torn by a kill while the pipeline wrote it (before anything was sent) has
        // such a line; not recording the pair is the safe side.
        LOG.warn("Pending alias file {}, line {}: {}; dropped", file, lineNumber, e.getMessage());
        dropped++;
        return null;
      }
      Map<String, GroupCheckpoint> groups =
          checkpoints.computeIfAbsent(r.checkpointDir(), dir -> readGroups(dir, planFile));
      if (groups == null) {
        dropped++;
        return null;
      }
      if (delivered(groups.get(r.group()), r.aliasAt())
          && !deadLettered(r.checkpointDir()).contains(r.aliasAt().uuid())) {
        delivered++;
        return r.pairKey();
      }
      remaining++;
      return null;
    }
  }

  /**
   * The uuids dead-lettered in a checkpoint directory's dead-letter record: an alias event among
   * them was settled by its checkpoint but not delivered, so its pair stays pending (until {@code
   * --retryDeadLetters} delivers it, or a later run sends it).
   */
  private static Set<String> deadLetteredIn(String checkpointDir) {
    Set<String> out = new HashSet<>();
    for (DeadLetter d :
        DeadLetterIO.read(
            CheckpointStore.at(checkpointDir).path("dead-letters"), Ledger.DEAD_LETTER_FILES)) {
      if (d.uuid() != null) {
        out.add(d.uuid());
      }
    }
    return out;
  }

  /** The group checkpoints of a directory, or null when it holds no migration anymore. */
  private static @Nullable Map<String, GroupCheckpoint> readGroups(String dir, String planFile) {
    CheckpointStore store = CheckpointStore.at(dir);
    return store.readText(planFile) == null ? null : store.readAllGroups();
  }

  /** A path that means the same from any working directory (local paths made absolute). */
  public static String absolute(String path) {
    if (path.contains("://") && !path.startsWith("file://")) {
      return path;
    }
    String local = path.startsWith("file://") ? path.substring("file://".length()) : path;
    return Path.of(local).toAbsolutePath().normalize().toString();
  }
}
