package dev.hogbeam.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hogbeam.capture.CaptureTransport.Encoded;
import dev.hogbeam.capture.CaptureTransport.Response;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DuplicateCount;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The per-group algorithm with a scripted transport and a fake clock: nothing waits for real. */
class GroupSenderTest {
  private static final long S = 1_000_000_000L;

  private long now = 1000 * S;
  private final List<Long> sleeps = new ArrayList<>();
  private final List<Integer> requestSizes = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final Deque<Object> script = new ArrayDeque<>();

  /** Answers from {@link #script} (a Response or an IOException); 200 when it runs out. */
  private final CaptureTransport transport =
      new CaptureTransport() {
        @Override
        public Encoded encode(List<PreparedEvent> events) {
          return new DiscardTransport(0).encode(events);
        }

        @Override
        public Response send(String groupKey, Encoded request) throws IOException {
          requestSizes.add(request.events().size());
          Object next = script.poll();
          if (next instanceof IOException) {
            throw (IOException) next;
          }
          return next == null ? Response.ok() : (Response) next;
        }
      };

  private static List<CaptureEvent> events(int n) {
    List<CaptureEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          CaptureEvent.of(
              String.format("00000000-0000-7000-8000-%012d", i),
              "$pageview",
              "u" + i,
              1_714_560_000_000_000L + i,
              "{\"i\":" + i + "}"));
    }
    return out;
  }

  private WriteSettings.Builder settings() {
    return WriteSettings.defaults().toBuilder()
        .batchSize(10)
        .maxAttempts(5)
        .initialBackoff(Duration.ofSeconds(1))
        .maxBackoff(Duration.ofSeconds(8));
  }

  private GroupSender sender(WriteSettings.Builder s, JvmSendState shared) {
    return new GroupSender(
        s.build(),
        transport,
        shared,
        () -> now,
        nanos -> {
          sleeps.add(nanos);
          now += nanos;
        },
        () -> 0.5,
        deadLetters::add);
  }

  private JvmSendState unlimited() {
    return new JvmSendState(new RateLimiter(0, 10, () -> now));
  }

  private static Response status(int status, Integer retryAfterSeconds) {
    return new Response(
        status,
        "msg " + status,
        retryAfterSeconds == null ? null : Duration.ofSeconds(retryAfterSeconds));
  }

  @Test
  void batchBoundariesFollowCountAndBytes() {
    assertFalse(
        GroupSender.startsNewBatch(0, 512, 10_000, 5, 1_000), "an empty batch takes any event");
    assertFalse(GroupSender.startsNewBatch(4, 900, 99, 5, 1_000), "900 + comma + 99 = 1000 fits");
    assertTrue(GroupSender.startsNewBatch(4, 900, 100, 5, 1_000), "1001 does not");
    assertTrue(GroupSender.startsNewBatch(5, 600, 1, 5, 1_000), "count cap");
  }

  @Test
  void retriesHonourRetryAfterAndBackOffWithJitter() throws Exception {
    script.add(status(503, 5));
    script.add(new ConnectException("refused"));
    script.add(status(500, null));
    GroupSendStats stats = sender(settings(), unlimited()).send("g", events(3));

    assertEquals(List.of(3, 3, 3, 3), requestSizes);
    // 503 + Retry-After 5 s: the sender waits 5 s (more than the jittered 0.5 s); no-response:
    // jitter 0.5 of 2 s; 500: 0.5 of 4 s.
    assertEquals(List.of(5 * S, S, 2 * S), sleeps);
    assertEquals(Map.of(0, 1L, 500, 1L, 503, 1L), stats.retriesByStatus());
    assertEquals(3, stats.eventsSent());
    assertEquals(4, stats.requests());
    assertTrue(deadLetters.isEmpty());
  }

  @Test
  void aRetryAfterPausesTheOtherSendersOfTheJvm() throws Exception {
    JvmSendState shared = unlimited();
    script.add(status(429, 30));
    sender(settings(), shared).send("g1", events(1));
    assertEquals(List.of(30 * S), sleeps, "the throttled sender itself waited 30 s");
    now -= 10 * S; // another sender of the same JVM, starting 20 s into the 30 s pause
    sleeps.clear();
    GroupSendStats other = sender(settings(), shared).send("g2", events(1));
    assertEquals(List.of(10 * S), sleeps, "it waits out the rest of the pause before sending");
    assertEquals(10_000, other.rateLimitWaitMillis());
  }

  @Test
  void givesUpAfterMaxAttemptsWithoutDeadLetteringOrAcknowledging() throws Exception {
    for (int i = 0; i < 5; i++) {
      script.add(status(503, null));
    }
    WriteSettings.Builder s = settings();
    List<String> acks = new ArrayList<>();
    s.progress(new RecordingProgress(acks));
    CaptureDeliveryException e =
        assertThrows(
            CaptureDeliveryException.class, () -> sender(s, unlimited()).send("g", events(3)));
    assertTrue(
        e.getMessage().contains("after 5 attempts (last: HTTP 503, msg 503)"), e.getMessage());
    assertEquals(5, requestSizes.size());
    assertTrue(deadLetters.isEmpty());
    assertTrue(acks.isEmpty());
  }

  @Test
  void givesUpWhenTheNextRetryWouldPassTheMaxRetryTime() throws Exception {
    for (int i = 0; i < 5; i++) {
      script.add(status(502, null));
    }
    WriteSettings.Builder s = settings();
    s.maxRetryTime(Duration.ofSeconds(3));
    assertThrows(CaptureDeliveryException.class, () -> sender(s, unlimited()).send("g", events(1)));
    // waits 0.5 s, then 1 s (1.5 s in), then 2 s would end at 3.5 s > 3 s: stop after 3 requests
    assertEquals(3, requestSizes.size());
    assertEquals(List.of(S / 2, S), sleeps);
  }

  @Test
  void anUnexpectedStatusStopsTheGroupAtOnce() {
    script.add(status(404, null));
    CaptureDeliveryException e =
        assertThrows(
            CaptureDeliveryException.class,
            () -> sender(settings(), unlimited()).send("g", events(3)));
    assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    assertEquals(1, requestSizes.size());
  }

  @Test
  void a401StopsEverySenderOfTheJvmAndDeadLettersNothing() {
    JvmSendState shared = unlimited();
    script.add(new Response(401, "API key is not valid: personal_api_key", null));
    CaptureAuthException first =
        assertThrows(
            CaptureAuthException.class, () -> sender(settings(), shared).send("g1", events(25)));
    assertTrue(first.getMessage().contains("PROJECT API key"), first.getMessage());
    assertTrue(first.getMessage().contains("phc_"));
    assertTrue(first.getMessage().contains("HTTP 401: API key is not valid: personal_api_key"));
    assertThrows(
        CaptureAuthException.class, () -> sender(settings(), shared).send("g2", events(5)));
    assertEquals(List.of(10), requestSizes, "one request in all");
    assertTrue(deadLetters.isEmpty());
  }

  @Test
  void bisectsA400DownToTheRefusedEvents() throws Exception {
    WriteSettings.Builder s = settings();
    s.batchSize(8);
    // [0,8) 400, [0,4) ok, [4,8) 400, [4,6) 400, [4,5) ok, [5,6) 400 -> dead, [6,8) 400, [6,7) 400
    // -> dead, [7,8) ok
    script.add(status(400, null));
    script.add(Response.ok());
    script.add(status(400, null));
    script.add(status(400, null));
    script.add(Response.ok());
    script.add(status(400, null));
    script.add(status(400, null));
    script.add(status(400, null));
    script.add(Response.ok());
    GroupSendStats stats = sender(s, unlimited()).send("g", events(8));
    assertEquals(List.of(8, 4, 4, 2, 1, 1, 2, 1, 1), requestSizes);
    assertEquals(2, deadLetters.size());
    assertEquals("00000000-0000-7000-8000-000000000005", deadLetters.get(0).uuid());
    assertEquals(4, deadLetters.get(0).attempts());
    assertEquals("00000000-0000-7000-8000-000000000006", deadLetters.get(1).uuid());
    assertEquals(4, deadLetters.get(1).attempts());
    assertEquals("PostHog refused the event (HTTP 400: msg 400)", deadLetters.get(0).reason());
    assertEquals(6, stats.eventsSent());
    assertEquals(2, stats.deadLettered());
    assertEquals(Map.of(), stats.retriesByStatus());
  }

  @Test
  void theBudgetIsChargedPerRequestAndAccounted() throws Exception {
    WriteSettings.Builder s = settings();
    JvmSendState shared = new JvmSendState(new RateLimiter(1000, 10, () -> now));
    GroupSendStats stats = sender(s, shared).send("g", events(100));
    long waited = 0;
    for (long n : sleeps) {
      waited += n;
    }
    assertEquals(S / 10, waited, "100 events at 1000/s, requests taking no time: 0.1 s");
    assertEquals(100, stats.rateLimitWaitMillis());
    assertEquals(10, stats.batches());
  }

  @Test
  void theStatsCarryTheDuplicatesTheGroupsIteratorReportsAtItsEnd() throws Exception {
    GroupSendStats stats = sender(settings(), unlimited()).send("g", withDuplicates(events(25), 7));
    assertEquals(25, stats.eventsSent(), "duplicates are not events of the group's account");
    assertEquals(7, stats.duplicatesDropped());
    assertEquals(List.of(10, 10, 5), requestSizes);

    GroupSendStats plain = sender(settings(), unlimited()).send("g", events(3));
    assertEquals(0, plain.duplicatesDropped(), "an iterator that does not count reports none");
  }

  @Test
  void aResumedGroupStillReportsEveryDuplicate() throws Exception {
    List<CaptureEvent> events = events(25);
    WriteSettings.Builder s = settings();
    List<String> acks = new ArrayList<>();
    s.progress(new RecordingProgress(acks, dev.hogbeam.event.EventCursor.at(events.get(19))));
    GroupSendStats stats = sender(s, unlimited()).send("g", withDuplicates(events, 4));
    assertEquals(
        List.of("g@" + dev.hogbeam.event.EventCursor.at(events.get(24)), "g finished"), acks);
    assertEquals(20, stats.skippedAlreadySent());
    assertEquals(5, stats.eventsSent());
    assertEquals(4, stats.duplicatesDropped(), "the skipped events were iterated too");
  }

  @Test
  void statsAddUpDuplicatesAndTellThem() {
    GroupSendStats a = new GroupSendStats(5, 1, 1, 10, 20, Map.of(500, 1L), 1, 2, 3, 4);
    GroupSendStats b = new GroupSendStats(1, 1, 1, 1, 1, Map.of(), 0, 0, 6, 0);
    assertEquals(new GroupSendStats(6, 2, 2, 11, 21, Map.of(500, 1L), 1, 2, 9, 4), a.plus(b));
    assertEquals(a, a.plus(GroupSendStats.empty()));
    assertFalse(a.equals(new GroupSendStats(5, 1, 1, 10, 20, Map.of(500, 1L), 1, 2, 0, 4)));
    assertEquals(
        "GroupSendStats{sent=5, batches=1, requests=1, wireBytes=10, jsonBytes=20, retries={500=1},"
            + " deadLettered=1, skipped=2, duplicatesDropped=3, rateLimitWaitMillis=4}",
        a.toString());
  }

  /**
   * A group whose iterator says {@code duplicates} were dropped, and fails if asked before it is
   * exhausted (the count is only final then).
   */
  @Test
  void whenEverythingIsRefusedTheBreakerStopsTheRunAfterABoundedNumberOfRequests() {
    for (int i = 0; i < 10_000; i++) {
      script.add(status(400, null));
    }
    JvmSendState shared = unlimited();
    CaptureRefusedException e =
        assertThrows(
            CaptureRefusedException.class,
            () -> sender(settings().batchSize(500), shared).send("g", events(2000)));
    assertTrue(e.getMessage().contains("refused 25 events in a row"), e.getMessage());
    // A batch of 500 bisected down to single events: 55 requests, 25 of them of one event, before
    // the run stops; nothing of the other 1,500 events is sent.
    assertEquals(55, requestSizes.size(), requestSizes.toString());
    assertEquals(25, requestSizes.stream().filter(n -> n == 1).count());
    assertEquals(25, deadLetters.size());
    assertThrows(
        CaptureRefusedException.class, () -> sender(settings(), shared).send("g2", events(1)));
  }

  @Test
  void aFewBadEventsAmongGoodOnesNeverTripTheBreaker() throws Exception {
    // Every batch of 10 holds one event PostHog refuses: 2 x 400, then the good halves pass.
    for (int b = 0; b < 40; b++) {
      script.add(status(400, null)); // the batch of 10
      script.add(status(400, null)); // its first half, 5
      script.add(status(400, null)); // 2 of them
      script.add(status(400, null)); // the bad one alone
      script.add(Response.ok()); // the other one
      script.add(Response.ok()); // the other 3
      script.add(Response.ok()); // the second half
    }
    GroupSendStats stats = sender(settings(), unlimited()).send("g", events(400));
    assertEquals(40, stats.deadLettered());
    assertEquals(360, stats.eventsSent());
  }

  @Test
  void theNextBatchIsBuiltAheadWhileOneIsInFlightAndSentOnlyAfterItWasAcknowledged()
      throws Exception {
    CountDownLatch firstOnTheWire = new CountDownLatch(1);
    CountDownLatch answerFirst = new CountDownLatch(1);
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    CaptureTransport slowFirstAnswer =
        new CaptureTransport() {
          @Override
          public Encoded encode(List<PreparedEvent> batch) {
            log.add("encode " + batchNumber(batch));
            return new DiscardTransport(0).encode(batch);
          }

          @Override
          public Response send(String groupKey, Encoded request) throws InterruptedException {
            log.add("send " + batchNumber(request.events()));
            if (firstOnTheWire.getCount() > 0) {
              firstOnTheWire.countDown();
              answerFirst.await();
            }
            return Response.ok();
          }
        };
    SendProgress logged =
        key ->
            new SendProgress.Group() {
              @Override
              public dev.hogbeam.event.EventCursor resumeAfter() {
                return null;
              }

              @Override
              public void acknowledged(
                  dev.hogbeam.event.EventCursor last, BatchStats batch, GroupSendStats soFar) {
                log.add("ack " + (Integer.parseInt(last.uuid().substring(24)) / 10 + 1));
              }

              @Override
              public void finished(GroupSendStats stats) {
                log.add("finished");
              }
            };
    AtomicInteger pulled = new AtomicInteger();
    List<CaptureEvent> events = events(35);
    Iterable<CaptureEvent> counted =
        () ->
            new Iterator<>() {
              private final Iterator<CaptureEvent> it = events.iterator();

              @Override
              public boolean hasNext() {
                return it.hasNext();
              }

              @Override
              public CaptureEvent next() {
                pulled.incrementAndGet();
                return it.next();
              }
            };
    GroupSender sender =
        new GroupSender(
            settings().progress(logged).build(),
            slowFirstAnswer,
            unlimited(),
            System::nanoTime,
            GroupSender.Sleeper.REAL,
            () -> 0.5,
            deadLetters::add);
    ExecutorService group = Executors.newSingleThreadExecutor();
    try {
      Future<GroupSendStats> sent = group.submit(() -> sender.send("g", counted));
      assertTrue(firstOnTheWire.await(10, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!log.contains("encode 2") && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(200); // time enough to build more, were it allowed to
      List<String> soFar = new ArrayList<>(log);
      soFar.sort(null);
      assertEquals(
          List.of("encode 1", "encode 2", "send 1"),
          soFar,
          "batch 2 is encoded while batch 1 is in flight, and not sent");
      assertEquals(21, pulled.get(), "batch 1, batch 2 and the event that closed it: no more");

      answerFirst.countDown();
      GroupSendStats stats = sent.get(10, TimeUnit.SECONDS);

      assertEquals(35, stats.eventsSent());
      assertEquals(4, stats.batches());
      List<String> sendsAndAcks =
          log.stream().filter(l -> !l.startsWith("encode")).collect(Collectors.toList());
      assertEquals(
          List.of(
              "send 1",
              "ack 1",
              "send 2",
              "ack 2",
              "send 3",
              "ack 3",
              "send 4",
              "ack 4",
              "finished"),
          sendsAndAcks,
          "each batch is sent after the previous one was acknowledged");
    } finally {
      group.shutdownNow();
    }
  }

  /** Batch n (from 1) of ten events holds events 10(n-1) to 10n-1. */
  private static int batchNumber(List<PreparedEvent> batch) {
    return Integer.parseInt(batch.get(0).event.uuid().substring(24)) / 10 + 1;
  }

  private static Iterable<CaptureEvent> withDuplicates(List<CaptureEvent> events, long duplicates) {
    return () -> new CountingIterator(events.iterator(), duplicates);
  }

  private static final class CountingIterator implements Iterator<CaptureEvent>, DuplicateCount {
    private final Iterator<CaptureEvent> events;
    private final long duplicates;

    CountingIterator(Iterator<CaptureEvent> events, long duplicates) {
      this.events = events;
      this.duplicates = duplicates;
    }

    @Override
    public boolean hasNext() {
      return events.hasNext();
    }

    @Override
    public CaptureEvent next() {
      return events.next();
    }

    @Override
    public long duplicatesDropped() {
      if (events.hasNext()) {
        throw new IllegalStateException("asked for the duplicates before the end of the group");
      }
      return duplicates;
    }
  }

  /**
   * Records acknowledgements into a list (in-process only); says every group was sent up to {@code
   * resumeAfter} by an earlier run (null: nothing was).
   */
  private static final class RecordingProgress implements SendProgress {
    private final transient List<String> acks;
    private final dev.hogbeam.event.EventCursor resumeAfter;

    RecordingProgress(List<String> acks) {
      this(acks, null);
    }

    RecordingProgress(List<String> acks, dev.hogbeam.event.EventCursor resumeAfter) {
      this.acks = acks;
      this.resumeAfter = resumeAfter;
    }

    @Override
    public Group open(String groupKey) {
      return new Group() {
        @Override
        public dev.hogbeam.event.EventCursor resumeAfter() {
          return resumeAfter;
        }

        @Override
        public void acknowledged(
            dev.hogbeam.event.EventCursor lastInBatch, BatchStats batch, GroupSendStats soFar) {
          acks.add(groupKey + "@" + lastInBatch);
        }

        @Override
        public void finished(GroupSendStats stats) {
          acks.add(groupKey + " finished");
        }
      };
    }
  }
}
