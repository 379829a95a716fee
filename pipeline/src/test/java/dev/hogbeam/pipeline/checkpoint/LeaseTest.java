package dev.hogbeam.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Clock CLOCK = Clock.systemUTC();

  @TempDir Path dir;

  @Test
  void aSecondRunIsRefusedWithTheHolderNamedAndMayStartOnceTheFirstEnds() throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    try (Lease first = Lease.acquire(store, "run-1", TIMEOUT, CLOCK)) {
      JsonNode held = JSON.readTree(Files.readString(dir.resolve(Lease.FILE)));
      assertEquals("run-1", held.path("owner").path("run").asText());
      assertEquals(ProcessHandle.current().pid(), held.path("owner").path("pid").asLong());
      Lease.HeldException e =
          assertThrows(
              Lease.HeldException.class, () -> Lease.acquire(store, "run-2", TIMEOUT, CLOCK));
      assertTrue(
          e.getMessage().contains("is in use by another run: run run-1 on host "), e.getMessage());
      assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
      assertTrue(e.getMessage().contains("--leaseTimeoutSeconds"), e.getMessage());
      assertNull(first.lost());
    }
    assertFalse(Files.exists(dir.resolve(Lease.FILE)), "released");
    try (Lease second = Lease.acquire(store, "run-2", TIMEOUT, CLOCK)) {
      assertNull(second.lost());
    }
  }

  @Test
  void aLeaseWhoseHeartbeatTimedOutIsTakenOver() throws Exception {
    writeLease("other-host", 12345, CLOCK.millis() - TIMEOUT.toMillis() - 1000);
    try (Lease lease = Lease.acquire(CheckpointStore.at(dir.toString()), "run-3", TIMEOUT, CLOCK)) {
      assertEquals(
          "run-3",
          JSON.readTree(Files.readString(dir.resolve(Lease.FILE)))
              .path("owner")
              .path("run")
              .asText());
    }
  }

  @Test
  void aFreshLeaseOfAnotherHostIsHeld() throws Exception {
    writeLease("other-host", 12345, CLOCK.millis() - 5000);
    Lease.HeldException e =
        assertThrows(
            Lease.HeldException.class,
            () -> Lease.acquire(CheckpointStore.at(dir.toString()), "run-4", TIMEOUT, CLOCK));
    assertTrue(e.getMessage().contains("on host other-host (pid 12345"), e.getMessage());
  }

  @Test
  void theLeaseOfADeadProcessOfThisHostIsTakenOverAtOnce() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    writeLease(InetAddress.getLocalHost().getHostName(), gone.pid(), CLOCK.millis());
    try (Lease lease = Lease.acquire(CheckpointStore.at(dir.toString()), "run-5", TIMEOUT, CLOCK)) {
      assertNull(lease.lost());
    }
  }

  @Test
  void theHeartbeatNoticesALeaseTakenByAnotherRun() throws Exception {
    CheckpointStore store = CheckpointStore.at(dir.toString());
    try (Lease lease = Lease.acquire(store, "run-6", Duration.ofMillis(800), CLOCK)) {
      writeLease("other-host", 1, CLOCK.millis());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (lease.lost() == null && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(lease.lost() != null && lease.lost().contains("other-host"), lease.lost());
    }
    assertTrue(Files.exists(dir.resolve(Lease.FILE)), "the other run's lease is not deleted");
  }

  private void writeLease(String host, long pid, long heartbeat) throws Exception {
    Files.writeString(
        dir.resolve(Lease.FILE),
        String.format(
            "{\"owner\":{\"host\":\"%s\",\"pid\":%d,\"started\":\"2026-01-01T00:00:00Z\","
                + "\"run\":\"earlier\"},\"heartbeat\":%d}",
            host, pid, heartbeat));
  }
}
