package dev.hogbeam.capture;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where the writer's batches go: PostHog over HTTP, JSON-lines files, or nowhere (dry run). The
 * batching, validation, retries, dead letters and progress calls are the same for all three; only
 * this seam differs. One instance per writer DoFn instance; a group's thread may encode the next
 * batch while another thread sends the previous one, so implementations hold no per-call state.
 */
interface CaptureTransport extends AutoCloseable {

  /** A request body, encoded once and sent as many times as needed. */
  interface Encoded {
    /** The events in it, in send order. */
    List<PreparedEvent> events();

    /** Uncompressed body size. */
    long jsonBytes();

    /** Bytes that go on the wire per attempt. */
    long wireBytes();
  }

  /** The server's answer to one attempt. */
  final class Response {
    final int status;
    final String message;
    final @Nullable Duration retryAfter;

    Response(int status, String message, @Nullable Duration retryAfter) {
      this.status = status;
      this.message = message;
      this.retryAfter = retryAfter;
    }

    static Response ok() {
      return new Response(200, "", null);
    }
  }

  Encoded encode(List<PreparedEvent> events) throws IOException;

  /**
   * One attempt. Throws {@link IOException} when there is no answer (connection refused or reset,
   * timeout): the writer retries those.
   */
  Response send(String groupKey, Encoded request) throws IOException, InterruptedException;

  /** Every batch of {@code groupKey} was sent. */
  default void finishGroup(String groupKey) throws IOException {}

  @Override
  default void close() throws IOException {}
}
