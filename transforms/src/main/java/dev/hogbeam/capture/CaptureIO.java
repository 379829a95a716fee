package dev.hogbeam.capture;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.secret.SecretRef;
import dev.hogbeam.secret.UrlCredentials;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * PostHog's capture API: the one way events leave hogbeam.
 *
 * <pre>{@code
 * WriteResult result =
 *     orderedGroups.apply("Send to PostHog",
 *         CaptureIO.write()
 *             .withHost("https://us.posthog.com")
 *             .withApiKey(projectApiKey)
 *             .withMaxEventsPerSecond(2000)
 *             .withRateLimitShares(workerProcesses));
 * result.getDeadLetters().apply(DeadLetterIO.write().to(deadLetterDir));
 * }</pre>
 */
public final class CaptureIO {
  private CaptureIO() {}

  /** A writer with the defaults below; give it a host and an API key (or a file/dry-run target). */
  public static Write write() {
    return new Write(WriteSettings.defaults());
  }

  /**
   * Sends groups of events to PostHog's {@code /batch/} endpoint with {@code historical_migration:
   * true}.
   *
   * <p>Input: one element per group (a shard key), its events already in send order ({@link
   * dev.hogbeam.event.EventOrder}). The iterable is read once, lazily, and never copied, so a group
   * may be larger than memory. If its iterator is a {@link dev.hogbeam.event.DuplicateCount} (as
   * the groups of {@code OrderEvents} are), the count it gives at the end goes into the group's
   * {@link GroupSendStats#duplicatesDropped()}.
   *
   * <h2>Guarantees</h2>
   *
   * <ul>
   *   <li>Order: within a group, events are sent in the given order, and a batch is sent only after
   *       the previous batch of the group was settled (acknowledged or dead-lettered). Groups are
   *       sent in parallel, as the runner processes elements in parallel; the writer adds no
   *       parallelism of its own.
   *   <li>Delivery: at least once, made safe by the events' fixed uuids (PostHog de-duplicates
   *       re-sent events). Duplicates can only come from a batch whose request failed ambiguously
   *       (no answer, or an error after a partial write) and was re-sent.
   *   <li>Refusals become data: events PostHog refuses (400, 413, after bisecting the batch to find
   *       them) and events it would refuse (empty name or distinct_id, invalid uuid, over the
   *       per-event size) go to {@link WriteResult#getDeadLetters()} with the status, the reason
   *       and the event JSON; the rest of the batch is delivered, in order.
   *   <li>Stops: a 401 (or an API key that can never work) stops the run with a {@link
   *       CaptureAuthException} and dead-letters nothing; retryable failures (408, 429, 5xx, no
   *       answer) that outlast the retry budget fail the group with a {@link
   *       CaptureDeliveryException}. Resume with {@link #withSendProgress}.
   *   <li>Rate: at most {@link #withMaxEventsPerSecond} events per second job-wide, shared as
   *       described there; 429 slows the JVM further and {@code Retry-After} pauses it.
   *   <li>Secrets: the API key is never logged, shown in display data, {@code toString} or
   *       exception messages.
   * </ul>
   *
   * <h2>Defaults, and why</h2>
   *
   * <ul>
   *   <li>500 events per batch: large enough that per-request overhead is small (a batch of typical
   *       web events is about 0.5 MB of JSON, 80 KB gzipped), small enough that a retry or a
   *       bisection re-sends little and that one slow request holds up little.
   *   <li>5 MiB of uncompressed JSON per request (posthog-python's cap), far under PostHog's 20 MB
   *       body limit even before gzip.
   *   <li>900 KiB per event (posthog-python's limit; PostHog refuses about 1 MB).
   *   <li>gzip level 3: see {@link Write#withGzipLevel}.
   *   <li>10 attempts within 10 minutes, backoff from 1 s doubling to 60 s with full jitter.
   * </ul>
   */
  public static final class Write
      extends PTransform<PCollection<KV<String, Iterable<CaptureEvent>>>, WriteResult> {
    private final WriteSettings settings;

    private Write(WriteSettings settings) {
      this.settings = settings;
    }

    private Write with(Consumer<WriteSettings.Builder> change) {
      WriteSettings.Builder b = settings.toBuilder();
      change.accept(b);
      return new Write(b.build());
    }

    /**
     * PostHog's host, e.g. {@code https://us.posthog.com}, {@code https://eu.posthog.com}, or a
     * self-hosted instance. PostHog Cloud's app hosts are rewritten to their ingestion hosts as the
     * SDKs do (see {@link Hosts}); trailing slashes are ignored.
     */
    public Write withHost(String host) {
      checkArgument(host != null, "host must not be null");
      String problem = Hosts.problem(host);
      checkArgument(problem == null, "host '%s' %s", UrlCredentials.redact(host), problem);
      return with(s -> s.host(host.trim()));
    }

    /**
     * The project API key (project token, {@code phc_...}). Refused at once, without any request,
     * when it is empty or malformed or a personal API key ({@code phx_...}).
     */
    public Write withApiKey(String apiKey) {
      String problem = ApiKeys.problem(apiKey);
      if (problem != null) {
        throw new IllegalArgumentException(
            "apiKey: " + problem + ". " + ApiKeys.WHAT_IS_EXPECTED + ".");
      }
      return with(s -> s.apiKey(SecretRef.inMemory(ApiKeys.normalize(apiKey), "")));
    }

    /**
     * Where each worker reads the project API key at setup (an environment variable, a file, a
     * Secret Manager version): the key itself then never enters the serialized pipeline. A key
     * given as a value ({@link #withApiKey(String)}) stays in this JVM, which suits the
     * DirectRunner and an embedded Flink only. The key read is checked as that method checks it.
     */
    public Write withApiKey(SecretRef apiKey) {
      checkNotNull(apiKey, "apiKey must not be null");
      return with(s -> s.apiKey(apiKey));
    }

    /**
     * Writes exactly what would be sent as JSON-lines files under {@code directory} (any Beam
     * FileSystem) instead of sending it: one file per batch, one event per line, a directory per
     * group. No host or key needed.
     */
    public Write withOutputDirectory(String directory) {
      checkArgument(directory != null && !directory.isBlank(), "outputDirectory must not be empty");
      return with(s -> s.outputDirectory(directory));
    }

    /**
     * Writers given the same {@code budget} name share, in each JVM, one rate limiter (the JVM's
     * share of {@link #withMaxEventsPerSecond}) and one stop signal (a 401, the circuit breaker):
     * several writers of one job (one per destination project, say) then keep one budget between
     * them. Without it each application of the writer has its own.
     */
    public Write withSharedBudget(String budget) {
      checkArgument(budget != null && !budget.isBlank(), "the budget's name must not be empty");
      return with(s -> s.writerId(budget));
    }

    /** Sends nothing; counts what would be sent. No host or key needed. */
    public Write withDryRun(boolean dryRun) {
      return with(s -> s.dryRun(dryRun));
    }

    /** Most events per request (default 500). */
    public Write withBatchSize(int batchSize) {
      checkArgument(batchSize > 0, "batchSize must be > 0, but was %s", batchSize);
      return with(s -> s.batchSize(batchSize));
    }

    /**
     * Most bytes of uncompressed JSON per request body, envelope included (default 5 MiB; at most
     * PostHog's 20 MB request limit, so the gzipped body is certainly under it).
     */
    public Write withMaxBatchBytes(long maxBatchBytes) {
      checkArgument(
          maxBatchBytes > WriteSettings.ENVELOPE_RESERVE_BYTES
              && maxBatchBytes <= 20L * 1000 * 1000,
          "maxBatchBytes must be in (%s, 20000000], but was %s",
          WriteSettings.ENVELOPE_RESERVE_BYTES,
          maxBatchBytes);
      return with(s -> s.maxBatchBytes(maxBatchBytes));
    }

    /**
     * Largest event, as JSON, that is sent (default 900 KiB); larger ones are dead-lettered without
     * a request.
     */
    public Write withMaxEventBytes(long maxEventBytes) {
      checkArgument(maxEventBytes > 0, "maxEventBytes must be > 0, but was %s", maxEventBytes);
      return with(s -> s.maxEventBytes(maxEventBytes));
    }

    /**
     * gzip level 1-9 (default 3). Measured on 500-event batches of PostHog-like web events (about
     * 0.9 KB of JSON each), one core, noisy shared machine: levels 1-3 (zlib's fast strategy)
     * compress 5.5x-5.8x at 100-230 MB/s of JSON (over 100k events/s); levels 4-6 reach 6.1x-6.6x
     * at 50-66 MB/s, level 9 6.9x at 23 MB/s. Level 3 is the best ratio that keeps compression far
     * from being the bottleneck.
     */
    public Write withGzipLevel(int level) {
      checkArgument(level >= 1 && level <= 9, "gzipLevel must be in [1, 9], but was %s", level);
      return with(s -> s.gzipLevel(level));
    }

    /**
     * The job-wide budget in events per second (0, the default: unlimited). Each worker process
     * (JVM) gets {@code budget / rateLimitShares}, enforced by one limiter shared by every DoFn
     * instance and thread of that JVM, so the threads per JVM do not matter. Events are charged per
     * request, before it is sent (a retried request is charged again: PostHog sees it again).
     */
    public Write withMaxEventsPerSecond(double eventsPerSecond) {
      checkArgument(
          eventsPerSecond >= 0
              && !Double.isNaN(eventsPerSecond)
              && !Double.isInfinite(eventsPerSecond),
          "maxEventsPerSecond must be >= 0 (0 = unlimited), but was %s",
          eventsPerSecond);
      return with(s -> s.maxEventsPerSecond(eventsPerSecond));
    }

    /**
     * How many worker processes share the budget (default 1: the DirectRunner, embedded Flink).
     * Give the MAXIMUM number of JVMs that may run the writer at once (Flink: TaskManagers;
     * Dataflow: maxNumWorkers): if more processes run than this, the budget is exceeded by that
     * factor; if fewer, the job stays under it.
     */
    public Write withRateLimitShares(int processes) {
      checkArgument(processes >= 1, "rateLimitShares must be >= 1, but was %s", processes);
      return with(s -> s.rateLimitShares(processes));
    }

    /** Most attempts per request, the first included (default 10). */
    public Write withMaxAttempts(int maxAttempts) {
      checkArgument(maxAttempts >= 1, "maxAttempts must be >= 1, but was %s", maxAttempts);
      return with(s -> s.maxAttempts(maxAttempts));
    }

    /**
     * Most time spent retrying one request, from its first failure (default 10 minutes); a retry
     * that would start later is not made.
     */
    public Write withMaxRetryTime(Duration maxRetryTime) {
      checkArgument(
          maxRetryTime != null && !maxRetryTime.isNegative(),
          "maxRetryTime must be >= 0, but was %s",
          maxRetryTime);
      return with(s -> s.maxRetryTime(maxRetryTime));
    }

    /** Backoff before retry n: random in [0, min(max, initial * 2^(n-1))) (default 1 s, 60 s). */
    public Write withBackoff(Duration initial, Duration max) {
      checkArgument(
          initial != null && max != null && !initial.isNegative() && max.compareTo(initial) >= 0,
          "backoff must satisfy 0 <= initial <= max, but was %s, %s",
          initial,
          max);
      return with(
          s -> {
            s.initialBackoff(initial);
            s.maxBackoff(max);
          });
    }

    /** HTTP connect timeout (default 10 s). */
    public Write withConnectTimeout(Duration timeout) {
      checkArgument(
          timeout != null && !timeout.isNegative() && !timeout.isZero(),
          "connectTimeout must be > 0, but was %s",
          timeout);
      return with(s -> s.connectTimeout(timeout));
    }

    /** HTTP timeout of one request, upload and answer (default 60 s); a timeout is retried. */
    public Write withRequestTimeout(Duration timeout) {
      checkArgument(
          timeout != null && !timeout.isNegative() && !timeout.isZero(),
          "requestTimeout must be > 0, but was %s",
          timeout);
      return with(s -> s.requestTimeout(timeout));
    }

    /** Resume and checkpoint hook (default: send everything, record nothing). */
    public Write withSendProgress(SendProgress progress) {
      checkNotNull(progress, "sendProgress must not be null");
      return with(s -> s.progress(progress));
    }

    /**
     * The writer's work on one group, for a DoFn that makes its groups itself (e.g. reads, sorts
     * and sends a shard in one step): the settings are checked as {@link #expand} checks them.
     */
    public GroupWriter groupWriter() {
      checkArgument(
          !(settings.dryRun() && settings.outputDirectory() != null),
          "CaptureIO.write(): choose a dry run (--dryRun) or an output directory (--outputDir),"
              + " not both");
      if (settings.mode() == WriteSettings.Mode.HTTP) {
        checkArgument(
            settings.host() != null,
            "CaptureIO.write() needs withHost(...) (--host) to send events");
        checkArgument(
            settings.apiKey() != null,
            "CaptureIO.write() needs withApiKey(...) (--apiKey): %s",
            ApiKeys.WHAT_IS_EXPECTED);
      }
      checkArgument(
          settings.maxBatchBytes()
              >= settings.maxEventBytes() + WriteSettings.ENVELOPE_RESERVE_BYTES,
          "maxBatchBytes (%s) must leave room for one event of maxEventBytes (%s) plus %s bytes of"
              + " request envelope",
          settings.maxBatchBytes(),
          settings.maxEventBytes(),
          WriteSettings.ENVELOPE_RESERVE_BYTES);
      String id =
          settings.writerId().isEmpty() ? UUID.randomUUID().toString() : settings.writerId();
      return new GroupWriter(settings.toBuilder().writerId(id).build());
    }

    @Override
    public WriteResult expand(PCollection<KV<String, Iterable<CaptureEvent>>> input) {
      GroupWriter writer = groupWriter();

      TupleTag<KV<String, GroupSendStats>> statsTag = new TupleTag<>("stats") {};
      TupleTag<DeadLetter> deadLetterTag = new TupleTag<>("deadLetters") {};
      PCollectionTuple out =
          input.apply(
              "Send groups",
              ParDo.of(new SendGroupsFn(writer, statsTag, deadLetterTag))
                  .withOutputTags(statsTag, TupleTagList.of(deadLetterTag)));
      out.get(statsTag).setCoder(KvCoder.of(StringUtf8Coder.of(), GroupSendStats.Coder.of()));
      out.get(deadLetterTag).setCoder(DeadLetterCoder.of());
      return new WriteResult(out, statsTag, deadLetterTag);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("destination", settings.destination()))
          .add(
              DisplayData.item(
                  "apiKey", settings.apiKey() == null ? "(none)" : "from " + settings.apiKey()))
          .add(DisplayData.item("batchSize", settings.batchSize()))
          .add(DisplayData.item("maxBatchBytes", settings.maxBatchBytes()))
          .add(DisplayData.item("maxEventBytes", settings.maxEventBytes()))
          .add(DisplayData.item("gzipLevel", settings.gzipLevel()))
          .add(DisplayData.item("maxEventsPerSecond", settings.maxEventsPerSecond()))
          .add(DisplayData.item("rateLimitShares", settings.rateLimitShares()))
          .add(DisplayData.item("maxAttempts", settings.maxAttempts()))
          .add(DisplayData.item("maxRetryTime", settings.maxRetryTime().toString()));
    }

    /** Leaves the API key out. */
    @Override
    public String toString() {
      return settings.toString();
    }
  }
}
