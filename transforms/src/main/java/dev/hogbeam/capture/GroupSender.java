package dev.hogbeam.capture;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hogbeam.capture.CaptureTransport.Encoded;
import dev.hogbeam.capture.CaptureTransport.Response;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DuplicateCount;
import dev.hogbeam.event.EventCursor;
import dev.hogbeam.event.EventOrder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
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
 * <p>One instance per group, used by one thread.
 */
final class GroupSender {
  private static final Logger LOG = LoggerFactory.getLogger(GroupSender.class);

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
    long bodyBytes = WriteSettings.ENVELOPE_RESERVE_BYTES;
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
        deadLetter(prepared, 0, problem, 0);
        continue;
      }
      if (startsNewBatch(
          batch.size(), bodyBytes, bytes, settings.batchSize(), settings.maxBatchBytes())) {
        settle(batch);
        batch = new ArrayList<>();
        bodyBytes = WriteSettings.ENVELOPE_RESERVE_BYTES;
      }
      bodyBytes += (batch.isEmpty() ? 0 : 1) + bytes;
      batch.add(prepared);
    }
    if (!batch.isEmpty()) {
      settle(batch);
    }
    if (it instanceof DuplicateCount) {
      duplicatesDropped = ((DuplicateCount) it).duplicatesDropped();
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

  /** Delivers (or dead-letters) every event of {@code batch}, then reports it. */
  private void settle(List<PreparedEvent> batch) throws Exception {
    long requestsBefore = requests;
    long retriesBefore = retryCount;
    long wireBefore = wireBytes;
    long deadBefore = deadLettered;
    progress.sending(
        EventCursor.at(batch.get(0).event),
        EventCursor.at(batch.get(batch.size() - 1).event),
        batch.size());
    deliver(batch, 0);
    batches++;
    BATCHES.inc();
    BATCH_EVENTS.update(batch.size());
    BatchStats batchStats =
        new BatchStats(
            batch.size(),
            (int) (deadLettered - deadBefore),
            (int) (requests - requestsBefore),
            retryCount - retriesBefore,
            wireBytes - wireBefore);
    recordDeadLetters();
    progress.acknowledged(EventCursor.at(batch.get(batch.size() - 1).event), batchStats, stats());
  }

  /**
   * Sends {@code slice} until it is acknowledged, retrying what may succeed later; on 400 or 413
   * sends its halves in order, down to single events, which are dead-lettered.
   *
   * @param priorAttempts requests that already carried these events (for the dead letters)
   */
  private void deliver(List<PreparedEvent> slice, int priorAttempts) throws Exception {
    Encoded body = transport.encode(slice);
    long firstFailureAt = 0;
    for (int attempt = 1; ; attempt++) {
      shared.checkNotStopped();
      awaitBudget(slice.size());
      requests++;
      wireBytes += body.wireBytes();
      jsonBytes += body.jsonBytes();
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
        eventsSent += slice.size();
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
          deadLetter(
              slice.get(0),
              status,
              refusalReason(status, response.message),
              priorAttempts + attempt);
          if (shared.refusedAlone(status, response.message)) {
            recordDeadLetters();
            shared.checkNotStopped();
          }
          return;
        }
        int mid = slice.size() / 2;
        deliver(slice.subList(0, mid), priorAttempts + attempt);
        deliver(slice.subList(mid, slice.size()), priorAttempts + attempt);
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
      retryCount++;
      retriesByStatus.merge(status, 1L, Long::sum);
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
  private void awaitBudget(int events) throws InterruptedException {
    long wait = shared.limiter.reserve(events);
    while (wait > 0) {
      sleeper.sleepNanos(wait);
      rateLimitWaitNanos += wait;
      RATE_LIMIT_WAIT_MS.inc(wait / 1_000_000L);
      wait = shared.limiter.pauseRemaining();
    }
  }

  private void deadLetter(PreparedEvent e, int status, String reason, int attempts)
      throws Exception {
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
