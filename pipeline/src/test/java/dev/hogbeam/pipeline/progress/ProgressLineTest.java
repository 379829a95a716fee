package dev.hogbeam.pipeline.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hogbeam.pipeline.engine.Ledger.Progress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

  @Test
  void showsCountsRateAndEta() {
    Progress before = new Progress(1_000_000, 4, 100_000, 1, 0);
    Progress now = new Progress(2_000_000, 10, 300_000, 3, 2);
    assertEquals(
        "00:01:05 read 2,000,000 rows (10/10 shards) | sent 300,000 of ~1,300,000 events,"
            + " 20,000 ev/s | groups done 3/10 | dead letters 2 | ETA 00:00:50",
        ProgressLine.format(
            Duration.ofSeconds(65), now, before, Duration.ofSeconds(10), 1_300_000, 10, 10));
  }

  @Test
  void noEtaWithoutRateOrEstimate() {
    Progress s = new Progress(5, 0, 0, 0, 0);
    assertEquals(
        "01:00:00 read 5 rows (0/3 shards) | sent 0 events, 0 ev/s | groups done 0 | dead letters 0",
        ProgressLine.format(Duration.ofHours(1), s, s, Duration.ofSeconds(10), 0, 3, 0));
  }
}
