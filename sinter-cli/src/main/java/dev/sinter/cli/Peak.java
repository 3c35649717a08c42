// The FLOP/s peak that MFU is measured against: given by the user (a spec-sheet figure), or this
// machine's fp32 FMA peak measured now with the same thread count as the run.
package dev.sinter.cli;

import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.bench.FmaPeak;
import java.io.PrintWriter;

/** Resolves the peak GFLOP/s for a run. */
final class Peak {
  private Peak() {}

  /**
   * @param givenGflops a peak to use as is, or 0 to measure
   * @param threads     threads of the run (0 = all cores)
   * @param out         where to say what was measured; may be null
   * @return peak GFLOP/s for all of the run's threads together
   */
  static double resolve(double givenGflops, int threads, PrintWriter out) {
    if (givenGflops > 0) {
      return givenGflops;
    }
    int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    try (ThreadPool pool = new ThreadPool(n)) {
      FmaPeak.Result r = FmaPeak.measure(pool, 1.0, 5);
      if (out != null) {
        out.printf("peak: measured fp32 FMA peak %.1f GFLOP/s on %d thread(s) (%.1f per core, %d-bit vectors)%n",
            r.allCoreGflops(), n, r.perCoreGflops(), r.speciesBits());
      }
      return n == 1 ? r.perCoreGflops() : r.allCoreGflops();
    }
  }
}
