package dev.sinter.tensor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelBenchTest {
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void wakeUpReturnsOnPoolsOfAnySizeEvenWithMoreThreadsThanCores() {
    int most = 2 * Runtime.getRuntime().availableProcessors() + 1;
    for (int threads = 1; threads <= most; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (int i = 0; i < 20; i++) {
          KernelBench.wakeUp(pool);
        }
      }
    }
  }

  @Test
  void eachTimedCallFollowsItsOwnWakeUpAndTheTwoSidesAlternate() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    double[][] r = KernelBench.time(() -> log.add("ours"), () -> log.add("wake ours"),
        () -> log.add("base"), () -> log.add("wake base"), 1e6, 3, 0);
    // Warm-up: ours twice, the baseline twice; then per round each side's wake-up, then its call.
    List<String> expected = new ArrayList<>(List.of("ours", "ours", "base", "base"));
    for (int round = 0; round < 3; round++) {
      expected.addAll(List.of("wake ours", "ours", "wake base", "base"));
    }
    assertEquals(expected, log);
    assertEquals(3, r.length);
    assertTrue(r[0][0] > 0 && r[1][0] > 0 && r[2][0] > 0, "rates and paired ratio measured");
  }
}
