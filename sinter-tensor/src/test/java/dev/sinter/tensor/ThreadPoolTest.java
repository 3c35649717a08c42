// The pool runs every task exactly once, propagates failures, and survives many tiny jobs; and
// onEveryThread puts one index on each thread.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ThreadPoolTest {
  @Test
  void everyTaskRunsExactlyOnce() {
    for (int threads = 1; threads <= 4; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (int round = 0; round < 2000; round++) {
          int tasks = 1 + round % 37;
          AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
          pool.parallelFor(tasks, hits::incrementAndGet);
          for (int i = 0; i < tasks; i++) {
            assertEquals(1, hits.get(i), "threads " + threads + " round " + round + " task " + i);
          }
        }
      }
    }
  }

  @Test
  void aFailingTaskSurfacesInTheCaller() {
    try (ThreadPool pool = new ThreadPool(2)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> pool.parallelFor(8, i -> {
            if (i == 5) {
              throw new IllegalStateException("task 5 failed");
            }
          }));
      assertEquals("task 5 failed", e.getMessage());
      // and the pool still works afterwards
      AtomicIntegerArray hits = new AtomicIntegerArray(3);
      pool.parallelFor(3, hits::incrementAndGet);
      assertEquals(1, hits.get(2));
    }
  }

  @Test
  @Timeout(30)
  void onEveryThreadRunsEachIndexOnceOnItsOwnThread() {
    for (int threads = 1; threads <= 4; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (int round = 0; round < 50; round++) {
          AtomicIntegerArray hits = new AtomicIntegerArray(threads);
          Set<Thread> ran = ConcurrentHashMap.newKeySet();
          pool.onEveryThread(t -> {
            hits.incrementAndGet(t);
            ran.add(Thread.currentThread());
          });
          for (int t = 0; t < threads; t++) {
            assertEquals(1, hits.get(t), "threads " + threads + " index " + t);
          }
          assertEquals(threads, ran.size(), "one index per thread, threads " + threads);
        }
        // Inside a task the other threads are busy: every index runs there, without waiting.
        AtomicIntegerArray nested = new AtomicIntegerArray(threads * threads);
        int n = threads;
        pool.parallelFor(n, i -> pool.onEveryThread(t -> nested.incrementAndGet(i * n + t)));
        for (int i = 0; i < n * n; i++) {
          assertEquals(1, nested.get(i), "nested, threads " + threads + " slot " + i);
        }
      }
    }
  }

  @Test
  void nestedLoopsRunInline() {
    try (ThreadPool pool = new ThreadPool(2)) {
      AtomicIntegerArray hits = new AtomicIntegerArray(16);
      pool.parallelFor(4, i -> pool.parallelFor(4, j -> hits.incrementAndGet(i * 4 + j)));
      for (int i = 0; i < 16; i++) {
        assertEquals(1, hits.get(i));
      }
    }
  }

  @Test
  void rngIsReproducibleAndStreamsDiffer() {
    Rng a = Rng.derive(7, "layers.0.attn.qkv.weight");
    Rng b = Rng.derive(7, "layers.0.attn.qkv.weight");
    Rng c = Rng.derive(7, "layers.1.attn.qkv.weight");
    double x = a.nextGaussian();
    assertEquals(x, b.nextGaussian());
    org.junit.jupiter.api.Assertions.assertNotEquals(x, c.nextGaussian());
    // SplitMix64's first output for seed 0 is a published constant
    assertEquals(0xE220A8397B1DCDAFL, new Rng(0).nextLong());
  }
}
