package dev.hogbeam.capture;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.capture.CaptureTransport.Encoded;
import dev.hogbeam.capture.CaptureTransport.Response;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DuplicateCount;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one group: iterates its events once, lazily, in the order given; skips what {@link
 * SendProgress#resumeAfter} says was sent; dead-letters what PostHog would refuse; forms batches
 * capped by count and bytes; sends each batch only after the previous one was settled; retries,
 * splits and bisects; reports progress; records the duplicates the group's iterator says were
 * dropped before it ({@link DuplicateCount}). Plain Java: the DoFn gives it a transport, the JVM's
 * shared state, a clock and a sleeper, so it is tested without a pipeline and without waiting.
 *
 * <p><b>Pipelined.</b> While a batch is on the wire (sent, retried, bisected by a thread of a
 * shared pool), the group's thread iterates, serializes and encodes (gzips) the next one, then
 * waits for the batch in flight to be settled before it sends it. So at most one batch is built
 * ahead (two batches in memory), and everything the caller sees happens on the group's thread, in
 * the order of a sequential send: the progress calls, the dead letters (those refused without a
 * request included, in their place), the counts.
 *
 * <p>One instance per group, driven by one thread.
 */
final class GroupSender {
  private static final Logger LOG = LoggerFactory.getLogger(GroupSender.class);

  private static final AtomicInteger SEND_THREADS = new AtomicInteger();

  static final Counter EVENTS_SENT = Metrics.counter(GroupSender.class, "eventsSent");
  static final Counter BATCHES = Metrics.counter(GroupSender.class, "batches");
  static final Counter REQUESTS = Metrics.counter(GroupSender.class, "requests");
  static final Counter WIRE_BYTES = Metrics.counter(GroupSender.class, "wireBytes");
  static final Counter RETRIES = Metrics.counter(GroupSender.class, "retries");

  /** Dead letters are recorded at the latest after this many (bounds the memory they hold). */
  static final int RECORD_DEAD_LETTERS_EVERY = 1000;

  static final Counter DEAD_LETTERED = Metrics.counter(GroupSender.class, "deadLettered");
  static final Counter SKIPPED = Metrics.counter(GroupSender.class, "skippedAlreadySent");
  static final Counter RATE_LIMIT_WAIT_MS =
      Metrics.counter(GroupSender.class, "rateLimitWaitMillis");
  static final Distribution BATCH_EVENTS = Metrics.distribution(GroupSender.class, "batchEvents");
  static final Distribution REQUEST_WIRE_BYTES =
      Metrics.distribution(GroupSender.class, "requestWireBytes");

  /** Waits; tests pass one that only advances a fake clock. */
  @FunctionalInterface
  interface Sleeper {
    void sleepNanos(long nanos) throws InterruptedException;

    Sleeper REAL =
        nanos -> {
          if (nanos > 0) {
            Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
          }
        };
  }

  private final WriteSettings settings;
  private final CaptureTransport transport;
  private final JvmSendState shared;
  private final LongSupplier clock;
  private final Sleeper sleeper;
  private final DoubleSupplier random;
  private final Consumer<DeadLetter> deadLetters;

  private String groupKey = "";
  private SendProgress.Group progress = SendProgress.NoProgress.INSTANCE;
  private long eventsSent;
  private long batches;
  private long requests;
  private long wireBytes;
  private long jsonBytes;
  private long retryCount;
  private final Map<Integer, Long> retriesByStatus = new TreeMap<>();
  private long deadLettered;

  /** Dead letters not yet handed to {@link SendProgress.Group#deadLettered}. */
  private final List<DeadLetter> unrecorded = new ArrayList<>();

  private long skipped;
  private long duplicatesDropped;
  private long rateLimitWaitNanos;

  /** The batch on the wire, if any. */
  private @Nullable Delivery inFlight;

  /**
   * Threads that carry batches to the transport while their groups' threads build the next batch:
   * at most one per group being sent, idle ones end after a minute.
   */
  private static final ExecutorService SENDS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "hogbeam-send-" + SEND_THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  GroupSender(
      WriteSettings settings,
      CaptureTransport transport,
      JvmSendState shared,
      LongSupplier nanoClock,
      Sleeper sleeper,
      DoubleSupplier random,
      Consumer<DeadLetter> deadLetters) {
    this.settings = settings;
    this.transport = transport;
    this.shared = shared;
    this.clock = nanoClock;
    this.sleeper = sleeper;
    this.random = random;
    this.deadLetters = deadLetters;
  }

  /**
   * Whether an event of {@code eventBytes} must start a new batch, given the current batch's event
   * count and body size (envelope included).
   */
  static boolean startsNewBatch(
      int count, long bodyBytes, int eventBytes, int maxCount, long maxBodyBytes) {
    if (count == 0) {
      return false;
    }
    return count >= maxCount || bodyBytes + 1 + eventBytes > maxBodyBytes;
  }

  GroupSendStats send(String groupKey, Iterable<CaptureEvent> events) throws Exception {
    this.groupKey = groupKey;
    shared.checkNotStopped();
    progress = settings.progress().open(groupKey);
    EventCursor resumeAfter = progress.resumeAfter();
    List<PreparedEvent> batch = new ArrayList<>();
    List<Refusal> refusedBefore = new ArrayList<>();
    long bodyBytes = WriteSettings.ENVELOPE_RESERVE_BYTES;
    try {
      // Skipped events are iterated too, so the iterator's duplicate count covers the whole group.
      Iterator<CaptureEvent> it = events.iterator();
      while (it.hasNext()) {
        CaptureEvent e = it.next();
        if (resumeAfter != null && !EventOrder.isAfter(e, resumeAfter)) {
          skipped++;
          SKIPPED.inc();
          continue;
        }
        PreparedEvent prepared = new PreparedEvent(e, e.toJsonUtf8());
        int bytes = prepared.jsonBytes();
        String problem = EventChecks.problem(e, bytes, settings.maxEventBytes());
        if (problem != null) {
          // Dead-lettered in order: once the batch in flight, which comes before it, settled.
          refusedBefore.add(new Refusal(prepared, 0, problem, 0));
          continue;
        }
        if (startsNewBatch(
            batch.size(), bodyBytes, bytes, settings.batchSize(), settings.maxBatchBytes())) {
          launch(batch, refusedBefore);
          batch = new ArrayList<>();
          refusedBefore = new ArrayList<>();
          bodyBytes = WriteSettings.ENVELOPE_RESERVE_BYTES;
        }
        bodyBytes += (batch.isEmpty() ? 0 : 1) + bytes;
        batch.add(prepared);
      }
      if (!batch.isEmpty() || !refusedBefore.isEmpty()) {
        launch(batch, refusedBefore);
      }
      settleInFlight();
      if (it instanceof DuplicateCount) {
        duplicatesDropped = ((DuplicateCount) it).duplicatesDropped();
      }
    } finally {
      if (inFlight != null) {
        inFlight.future.cancel(true); // only when the group failed
        inFlight = null;
      }
    }
    transport.finishGroup(groupKey);
    GroupSendStats stats = stats();
    recordDeadLetters();
    progress.finished(stats);
    LOG.debug("group {} done: {}", groupKey, stats);
    return stats;
  }

  GroupSendStats stats() {
    return new GroupSendStats(
        eventsSent,
        batches,
        requests,
        wireBytes,
        jsonBytes,
        retriesByStatus,
        deadLettered,
        skipped,
        duplicatesDropped,
        rateLimitWaitNanos / 1_000_000L);
  }

  /**
   * Sends {@code batch} (empty: none) once the batch in flight is settled, after dead-lettering
   * {@code refusedBefore}, the events refused without a request that came before it. The batch is
   * encoded (gzipped) first, while the previous one may still be in flight: so at most one batch is
   * built ahead of the one on the wire, and a batch is sent only after the previous one was settled
   * and reported.
   */
  private void launch(List<PreparedEvent> batch, List<Refusal> refusedBefore) throws Exception {
    CaptureTransport.Encoded body = batch.isEmpty() ? null : transport.encode(batch);
    settleInFlight();
    for (Refusal r : refusedBefore) {
      deadLetter(r);
    }
    if (batch.isEmpty()) {
      return;
    }
    progress.sending(
        EventCursor.at(batch.get(0).event),
        EventCursor.at(batch.get(batch.size() - 1).event),
        batch.size());
    Delivery delivery = new Delivery(batch);
    MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
    delivery.future =
        SENDS.submit(
            () -> {
              try (Closeable scope = scoped(metrics)) {
                deliver(delivery, batch, body, 0);
              }
              return null;
            });
    inFlight = delivery;
  }

  private static Closeable scoped(@Nullable MetricsContainer metrics) {
    return metrics == null ? () -> {} : MetricsEnvironment.scopedMetricsContainer(metrics);
  }

  /** Waits for the batch in flight, takes its counts and dead letters, then reports it. */
  private void settleInFlight() throws Exception {
    Delivery d = inFlight;
    if (d == null) {
      return;
    }
    Throwable failure = null;
    try {
      d.future.get();
    } catch (ExecutionException e) {
      failure = e.getCause();
    } catch (InterruptedException e) {
      d.future.cancel(true);
      inFlight = null;
      throw e;
    }
    inFlight = null;
    long deadBefore = deadLettered;
    requests += d.requests;
    wireBytes += d.wireBytes;
    jsonBytes += d.jsonBytes;
    retryCount += d.retries;
    d.retriesByStatus.forEach((status, n) -> retriesByStatus.merge(status, n, Long::sum));
    eventsSent += d.eventsSent;
    rateLimitWaitNanos += d.rateLimitWaitNanos;
    for (Refusal r : d.refused) {
      deadLetter(r);
    }
    if (failure != null) {
      recordDeadLetters(); // what PostHog refused stays on record, whatever stopped the group
      if (failure instanceof Exception) {
        throw (Exception) failure;
      }
      throw (Error) failure;
    }
    List<PreparedEvent> batch = d.batch;
    batches++;
    BATCHES.inc();
    BATCH_EVENTS.update(batch.size());
    BatchStats batchStats =
        new BatchStats(
            batch.size(),
            (int) (deadLettered - deadBefore),
            (int) d.requests,
            d.retries,
            d.wireBytes);
    recordDeadLetters();
    progress.acknowledged(EventCursor.at(batch.get(batch.size() - 1).event), batchStats, stats());
  }

  /** An event refused: by PostHog ({@code status} 400 or 413) or before any request (0). */
  private record Refusal(PreparedEvent event, int status, String reason, int attempts) {}

  /**
   * One batch on the wire: sent by a thread of {@link #SENDS} while the group's thread builds the
   * next one, counted here and taken into the group's counts once it is settled.
   */
  private static final class Delivery {
    final List<PreparedEvent> batch;
    Future<?> future;
    long requests;
    long wireBytes;
    long jsonBytes;
    long retries;
    final Map<Integer, Long> retriesByStatus = new TreeMap<>();
    long eventsSent;
    long rateLimitWaitNanos;
    final List<Refusal> refused = new ArrayList<>();

    Delivery(List<PreparedEvent> batch) {
      this.batch = batch;
    }
  }

  /**
   * Sends {@code slice} until it is acknowledged, retrying what may succeed later; on 400 or 413
   * sends its halves in order, down to single events, which are dead-lettered.
   *
   * <p>Runs on a thread of {@link #SENDS}: it counts into {@code d} only, and calls neither the
   * progress hook nor the dead-letter consumer (the group's thread does, once it is settled).
   *
   * @param encoded the slice's body, if it was encoded already
   * @param priorAttempts requests that already carried these events (for the dead letters)
   */
  private void deliver(
      Delivery d, List<PreparedEvent> slice, @Nullable Encoded encoded, int priorAttempts)
      throws Exception {
    Encoded body = encoded != null ? encoded : transport.encode(slice);
    long firstFailureAt = 0;
    for (int attempt = 1; ; attempt++) {
      shared.checkNotStopped();
      awaitBudget(d, slice.size());
      d.requests++;
      d.wireBytes += body.wireBytes();
      d.jsonBytes += body.jsonBytes();
      REQUESTS.inc();
      WIRE_BYTES.inc(body.wireBytes());
      REQUEST_WIRE_BYTES.update(body.wireBytes());
      Response response;
      try {
        response = transport.send(groupKey, body);
      } catch (IOException e) {
        response = new Response(GroupSendStats.NO_RESPONSE, describe(e), null);
      }
      int status = response.status;
      if (status >= 200 && status < 300) {
        shared.accepted();
        d.eventsSent += slice.size();
        EVENTS_SENT.inc(slice.size());
        return;
      }
      if (status == 401) {
        CaptureAuthException stop = refusedKey(response.message);
        shared.stopAll(stop);
        LOG.error("PostHog refused the API key (HTTP 401); stopping the run");
        throw stop;
      }
      if (status == 400 || status == 413) {
        if (slice.size() == 1) {
          d.refused.add(
              new Refusal(
                  slice.get(0),
                  status,
                  refusalReason(status, response.message),
                  priorAttempts + attempt));
          if (shared.refusedAlone(status, response.message)) {
            shared.checkNotStopped(); // the group's thread records the refusals, then fails
          }
          return;
        }
        int mid = slice.size() / 2;
        deliver(d, slice.subList(0, mid), null, priorAttempts + attempt);
        deliver(d, slice.subList(mid, slice.size()), null, priorAttempts + attempt);
        return;
      }
      if (!isRetryable(status)) {
        throw new CaptureDeliveryException(
            "PostHog answered HTTP "
                + status
                + " to a batch of group "
                + groupKey
                + " ("
                + response.message
                + "); retrying cannot fix that. Is the host ("
                + settings.destination()
                + ") PostHog's capture endpoint?");
      }
      long now = clock.getAsLong();
      if (attempt == 1) {
        firstFailureAt = now;
      }
      d.retries++;
      d.retriesByStatus.merge(status, 1L, Long::sum);
      RETRIES.inc();
      Metrics.counter(GroupSender.class, "retries_" + status).inc();
      @Nullable Duration retryAfter = response.retryAfter;
      long retryAfterNanos = retryAfter == null ? 0 : retryAfter.toNanos();
      if (status == 429) {
        shared.limiter.throttled(retryAfterNanos);
      } else if (retryAfterNanos > 0) {
        shared.limiter.pause(retryAfterNanos);
      }
      Duration wait =
          Backoff.beforeRetry(
              Backoff.delay(
                  attempt, settings.initialBackoff(), settings.maxBackoff(), random.getAsDouble()),
              retryAfter);
      if (attempt >= settings.maxAttempts()
          || now - firstFailureAt + wait.toNanos() > settings.maxRetryTime().toNanos()) {
        LOG.warn("giving up on a batch of group {} after {} attempts", groupKey, attempt);
        throw new CaptureDeliveryException(
            "PostHog did not accept a batch of "
                + slice.size()
                + " events of group "
                + groupKey
                + " after "
                + attempt
                + " attempts (last: "
                + (status == GroupSendStats.NO_RESPONSE ? "no response" : "HTTP " + status)
                + (response.message.isEmpty() ? "" : ", " + response.message)
                + "); the retry budget is "
                + settings.maxAttempts()
                + " attempts within "
                + settings.maxRetryTime()
                + ". Events up to the last acknowledged batch were delivered; re-run to resume.");
      }
      sleeper.sleepNanos(wait.toNanos());
    }
  }

  /** Waits until the JVM's budget lets {@code events} go, and for any Retry-After pause. */
  private void awaitBudget(Delivery d, int events) throws InterruptedException {
    long wait = shared.limiter.reserve(events);
    while (wait > 0) {
      sleeper.sleepNanos(wait);
      d.rateLimitWaitNanos += wait;
      RATE_LIMIT_WAIT_MS.inc(wait / 1_000_000L);
      wait = shared.limiter.pauseRemaining();
    }
  }

  private void deadLetter(Refusal r) throws Exception {
    PreparedEvent e = r.event();
    int status = r.status();
    String reason = r.reason();
    int attempts = r.attempts();
    deadLettered++;
    DEAD_LETTERED.inc();
    DeadLetter letter =
        DeadLetter.of(
            "capture",
            groupKey,
            e.event.uuid(),
            new String(e.json, UTF_8),
            status,
            reason,
            attempts);
    deadLetters.accept(letter);
    unrecorded.add(letter);
    if (unrecorded.size() >= RECORD_DEAD_LETTERS_EVERY) {
      recordDeadLetters();
    }
  }

  /**
   * Hands the dead letters gathered so far to the progress hook, which makes them durable: always
   * before a batch is acknowledged or the group finished, so no checkpoint moves past a refused
   * event whose record could still be lost.
   */
  private void recordDeadLetters() throws Exception {
    if (!unrecorded.isEmpty()) {
      progress.deadLettered(List.copyOf(unrecorded));
      unrecorded.clear();
    }
  }

  static boolean isRetryable(int status) {
    return status == GroupSendStats.NO_RESPONSE
        || status == 408
        || status == 429
        || (status >= 500 && status <= 599);
  }

  private static String refusalReason(int status, String message) {
    String detail = message.isEmpty() ? "" : ": " + message;
    return status == 413
        ? "PostHog refused the event as too large (HTTP 413" + detail + ")"
        : "PostHog refused the event (HTTP 400" + detail + ")";
  }

  static CaptureAuthException refusedKey(String serverMessage) {
    return new CaptureAuthException(
        "PostHog refused the API key (HTTP 401"
            + (serverMessage.isEmpty() ? "" : ": " + serverMessage)
            + "). "
            + ApiKeys.WHAT_IS_EXPECTED
            + ". Nothing more is sent; fix the key (--apiKey) and re-run to resume.");
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
