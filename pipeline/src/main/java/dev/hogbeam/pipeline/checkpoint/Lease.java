package dev.hogbeam.pipeline.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.state.StateFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run at a time per checkpoint directory: {@code lease.json}, created exclusively by the run
 * that holds it, naming its owner (host, pid, start, run id) and renewed by a heartbeat.
 *
 * <ul>
 *   <li>A second run while the lease is live is refused ({@link HeldException}) with a message
 *       naming the holder.
 *   <li>A lease whose heartbeat is older than the timeout ({@code --leaseTimeoutSeconds}) belongs
 *       to a run that died: it is taken over. So is the lease of a process on this host that no
 *       longer exists, at once.
 *   <li>The holder deletes it when it ends, however it ends (a {@code kill -9} leaves it to time
 *       out).
 * </ul>
 *
 * <p>On a local disk the create is atomic ({@link StateFiles#createNew}); on an object store it is
 * a check then a create, so two runs started within the same instant could both win: the heartbeat
 * then notices the other owner and the later one stops.
 */
public final class Lease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The lease's file in the checkpoint directory. */
  public static final String FILE = "lease.json";

  private final String path;
  private final String runId;
  private final Duration timeout;
  private final Clock clock;
  private final ObjectNode owner;
  private final ScheduledExecutorService heartbeat;
  private volatile @Nullable String lost;
  private volatile boolean closing;

  private Lease(String path, String runId, Duration timeout, Clock clock, ObjectNode owner) {
    this.path = path;
    this.runId = runId;
    this.timeout = timeout;
    this.clock = clock;
    this.owner = owner;
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hogbeam-lease-heartbeat");
              t.setDaemon(true);
              return t;
            });
  }

  /** The lease of another live run. */
  public static final class HeldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HeldException(String message) {
      super(message);
    }
  }

  /**
   * Takes the lease of {@code store} for {@code runId}, or throws {@link HeldException} when a live
   * run holds it.
   */
  public static Lease acquire(CheckpointStore store, String runId, Duration timeout, Clock clock) {
    String path = store.path(FILE);
    ObjectNode owner = JSON.createObjectNode();
    owner.put("host", hostName());
    owner.put("pid", ProcessHandle.current().pid());
    owner.put("started", clock.instant().toString());
    owner.put("run", runId);
    Lease lease = new Lease(path, runId, timeout, clock, owner);
    for (int attempt = 0; attempt < 3; attempt++) {
      if (StateFiles.createNew(path, lease.document().getBytes(UTF_8))) {
        lease.startHeartbeat();
        return lease;
      }
      String text = StateFiles.read(path);
      if (text == null) {
        continue; // released just now
      }
      JsonNode held = parse(text);
      String stale = staleness(held, timeout, clock);
      if (stale == null) {
        throw new HeldException(
            "--checkpointDir="
                + store.directory()
                + " is in use by another run: "
                + describe(held, clock)
                + ". Wait for it to end; if it died, its lease is taken over "
                + timeout.toSeconds()
                + " s after its last heartbeat (--leaseTimeoutSeconds).");
      }
      LOG.warn("Taking over the lease of {}: {}", describe(held, clock), stale);
      StateFiles.delete(path);
    }
    throw new HeldException("could not take the lease " + path + " (contended)");
  }

  /** Why a lease may be taken over, or null while its holder is alive. */
  static @Nullable String staleness(JsonNode held, Duration timeout, Clock clock) {
    long heartbeat = held.path("heartbeat").asLong(0);
    long age = clock.millis() - heartbeat;
    if (heartbeat == 0 || age > timeout.toMillis()) {
      return "its last heartbeat is " + Duration.ofMillis(age).toSeconds() + " s old";
    }
    JsonNode owner = held.path("owner");
    if (owner.path("host").asText().equals(hostName())) {
      long pid = owner.path("pid").asLong();
      if (pid != ProcessHandle.current().pid()
          && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
        return "its process " + pid + " on this host no longer exists";
      }
    }
    return null;
  }

  private static String describe(JsonNode held, Clock clock) {
    JsonNode o = held.path("owner");
    long age = clock.millis() - held.path("heartbeat").asLong(0);
    return String.format(
        "run %s on host %s (pid %d, started %s, last heartbeat %d s ago)",
        o.path("run").asText("?"),
        o.path("host").asText("?"),
        o.path("pid").asLong(),
        o.path("started").asText("?"),
        Duration.ofMillis(Math.max(0, age)).toSeconds());
  }

  private static JsonNode parse(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      return n == null ? JSON.createObjectNode() : n;
    } catch (IOException e) {
      return JSON.createObjectNode(); // a torn lease: no heartbeat, so stale
    }
  }

  private String document() {
    ObjectNode n = JSON.createObjectNode();
    n.set("owner", owner);
    n.put("heartbeat", clock.millis());
    n.put("heartbeatAt", Instant.ofEpochMilli(clock.millis()).toString());
    n.put("timeoutSeconds", timeout.toSeconds());
    return n.toString();
  }

  private void startHeartbeat() {
    long every = Math.max(200, timeout.toMillis() / 4);
    heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
  }

  private void beat() {
    if (closing) {
      return;
    }
    try {
      String text = StateFiles.read(path);
      JsonNode held = text == null ? null : parse(text);
      if (closing) {
        return; // the run is releasing the lease itself
      }
      if (held == null || !runId.equals(held.path("owner").path("run").asText())) {
        lost =
            held == null
                ? "the lease file was deleted"
                : "the lease was taken by " + describe(held, clock);
        LOG.error("Lost the lease of the checkpoint directory: {}", lost);
        heartbeat.shutdown();
        return;
      }
      StateFiles.replace(path, document());
    } catch (RuntimeException e) {
      LOG.warn("Lease heartbeat failed (will retry): {}", e.getMessage());
    }
  }

  /** Why this run lost its lease, or null while it holds it. */
  public @Nullable String lost() {
    return lost;
  }

  /** Stops the heartbeat and deletes the lease if this run still holds it. */
  @Override
  public void close() {
    closing = true;
    heartbeat.shutdownNow();
    String text = StateFiles.read(path);
    if (text != null && runId.equals(parse(text).path("owner").path("run").asText())) {
      StateFiles.delete(path);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }
}
