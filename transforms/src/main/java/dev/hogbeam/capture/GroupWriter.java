package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import java.io.Serializable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * What {@link CaptureIO.Write} does with one group, for a DoFn that produces its groups itself (the
 * fused read-sort-send path): the same {@link GroupSender}, transport, JVM-wide rate limit and
 * {@link SendProgress} hook. Made by {@link CaptureIO.Write#groupWriter()}; serializable, so it
 * travels with the DoFn; {@link #setup()} in the DoFn's setup, {@link #teardown()} in its teardown.
 * One instance may send groups from several threads at once, one group per thread.
 */
public final class GroupWriter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final WriteSettings settings;
  private transient CaptureTransport transport;
  private transient JvmSendState shared;

  GroupWriter(WriteSettings frozen) {
    this.settings = frozen;
  }

  /** Opens the transport and joins the JVM's shared send state (rate limit, stop). */
  public void setup() {
    transport = settings.newTransport();
    shared = JvmSendState.of(settings);
  }

  /**
   * Sends one group in the order given, as {@link CaptureIO.Write} does (see its guarantees), and
   * returns what was done. Refused events go to {@code deadLetters} as well as to the {@link
   * SendProgress} hook.
   */
  public GroupSendStats send(
      String groupKey, Iterable<CaptureEvent> events, Consumer<DeadLetter> deadLetters)
      throws Exception {
    GroupSender sender =
        new GroupSender(
            settings,
            transport,
            shared,
            System::nanoTime,
            GroupSender.Sleeper.REAL,
            () -> ThreadLocalRandom.current().nextDouble(),
            deadLetters);
    return sender.send(groupKey, events);
  }

  /** The JVM's send state this writer joined at {@link #setup()} (for tests of the sharing). */
  JvmSendState sharedState() {
    return shared;
  }

  /** Closes the transport. */
  public void teardown() throws Exception {
    if (transport != null) {
      transport.close();
      transport = null;
    }
  }

  /** Leaves the API key out. */
  @Override
  public String toString() {
    return settings.toString();
  }
}
