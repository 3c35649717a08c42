// Runs a fixed number of worker loops on platform threads and waits for them, for the two bulk
// operations here (parallel encoding, parallel word counting). Workers pull their own work from
// shared state, so only failure and interruption need handling in one place.
package dev.sinter.data.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

final class Workers {

  /** One worker's loop; it should return soon after {@code stop} turns true. */
  interface Body {
    void run(int worker, BooleanSupplier stop);
  }

  private Workers() {}

  /**
   * Runs body for workers 0..count-1, each on its own thread (on the caller's when count is 1). The
   * first failure stops the others and is rethrown; an interrupt of the caller stops them, is
   * waited out, and surfaces as a CancellationException with the interrupt flag set again.
   */
  static void run(int count, String name, Body body) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    BooleanSupplier stop = () -> failure.get() != null;
    if (count == 1) {
      body.run(0, stop);
      return;
    }
    List<Thread> threads = new ArrayList<>(count);
    for (int w = 0; w < count; w++) {
      int worker = w;
      Runnable loop =
          () -> {
            try {
              body.run(worker, stop);
            } catch (Throwable t) {
              failure.compareAndSet(null, t);
            }
          };
      threads.add(Thread.ofPlatform().name(name + "-" + w).start(loop));
    }
    boolean interrupted = false;
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          // Workers write into the caller's state, so they must finish before the caller leaves.
          interrupted = true;
          failure.compareAndSet(null, e);
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      throw new CancellationException(name + " was interrupted");
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException(name + " failed", t);
    }
  }
}
