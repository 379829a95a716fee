package dev.hogbeam.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import dev.hogbeam.testing.FakeCaptureServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The kill harness of the resume tests that wait for the capture server: a migration's {@code main}
 * in a child JVM ({@link ChildJvm}), killed as a crash or {@code kill -9} would once the capture
 * server acknowledged enough batches. The test then runs the same command again and checks what was
 * delivered twice.
 */
public final class KilledRun {
  private final ChildJvm child;

  private KilledRun(ChildJvm child) {
    this.child = child;
  }

  /**
   * Starts {@code main} with {@code args}, these environment variables added, its output in {@code
   * dir}/child.log.
   */
  public static KilledRun start(Class<?> main, List<String> args, Map<String, String> env, Path dir)
      throws IOException {
    return new KilledRun(ChildJvm.start(main, args, env, dir.resolve("child.log")));
  }

  /**
   * Kills the child once {@code capture} acknowledged (200) at least {@code batches} requests;
   * fails the test if the child ends first or nothing arrives within {@code deadline}.
   */
  public void killAfterAcknowledged(FakeCaptureServer capture, int batches, Duration deadline)
      throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    while (capture.requests().stream().filter(r -> r.status() == 200).count() < batches) {
      Thread.sleep(10);
      if (!child.isAlive()) {
        fail(
            "the first run ended (exit code "
                + child.exitCode()
                + ") before it was killed:\n"
                + child.output());
      }
      if (System.nanoTime() > end) {
        child.kill();
        fail("no " + batches + " batches acknowledged within " + deadline + ":\n" + output());
      }
    }
    child.kill();
  }

  /** What the child printed. */
  public String output() {
    return child.output();
  }
}
