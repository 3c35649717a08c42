// Measures the fp32 FMA peak reachable from the Vector API, the ceiling GEMM is judged against.
//
// Each thread runs CHAINS independent FMA dependency chains acc ← g·h + acc (in place, so C2 emits
// one vfmadd231ps per step and no register moves; the values grow slowly and stay normal); with
// more chains than FMA latency × FMA ports the loop is throughput-bound.
// The JIT needs 1–2 s before the Vector API is compiled to straight vector code, so the loop is run
// for a warm-up period before anything is timed.
package dev.sinter.tensor.bench;

import dev.sinter.tensor.ThreadPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The fp32 fused multiply-add peak of this machine, per core and with all threads of a pool. */
public final class FmaPeak {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int CHAINS = 12;
  private static final int ITERATIONS = 1 << 22;

  /**
   * @param speciesBits width of the vectors measured
   * @param threads threads of the all-core measurement
   * @param perCoreGflops best single-thread GFLOP/s (one FMA = 2 FLOP)
   * @param allCoreGflops best GFLOP/s summed over {@code threads} threads running at once
   */
  public record Result(int speciesBits, int threads, double perCoreGflops, double allCoreGflops) {
    /** Below this share of threads × per-core, the all-core probe counts as contended. */
    public static final double CONTENDED_BELOW = 0.85;

    /**
     * Whether the all-core probe fell clearly short of threads × the per-core figure: another
     * process was busy on one of the cores (on a shared 2-vCPU machine the all-core probe has read
     * 102 GFLOP/s against 2 × 100), so multi-thread figures measured alongside will read low.
     */
    public boolean contended() {
      return threads > 1 && allCoreGflops < CONTENDED_BELOW * threads * perCoreGflops;
    }

    /** Hands {@link #contentionNote()} to {@code log} when {@link #contended()}. */
    public void noteContention(java.util.function.Consumer<String> log) {
      if (contended()) {
        log.accept(contentionNote());
      }
    }

    /** A line for the log when {@link #contended()}, else null. */
    public String contentionNote() {
      if (!contended()) {
        return null;
      }
      return String.format(java.util.Locale.ROOT,
          "note: the all-core probe read %.1f GFLOP/s, %.0f %% of %d x %.1f: another process is busy"
              + " on this machine, so figures at %d threads from this run will read low",
          allCoreGflops, 100 * allCoreGflops / (threads * perCoreGflops), threads, perCoreGflops,
          threads);
    }
  }

  private FmaPeak() {}

  /** Measures with a warm-up of at least {@code warmupSeconds} and {@code rounds} timed rounds. */
  public static Result measure(ThreadPool pool, double warmupSeconds, int rounds) {
    float[] sink = new float[Math.max(1, pool.threads())];
    double single = perCore(warmupSeconds, rounds, sink);
    double flopsPerRun = 2.0 * CHAINS * S.length() * (double) ITERATIONS;
    int threads = pool.threads();
    pool.parallelFor(threads, t -> sink[t] += chains(ITERATIONS / 8, t));
    // One round per thread, all starting together, so the pool cannot hand two to one thread
    // (which read as a one-core figure); each thread times its own chains, and the round's rate is
    // the slowest thread's, times the thread count.
    double all = 0;
    long[] nanos = new long[threads];
    for (int r = 0; r < rounds; r++) {
      pool.onEveryThread(t -> {
        long t0 = System.nanoTime();
        sink[t] += chains(ITERATIONS, t);
        nanos[t] = System.nanoTime() - t0;
      });
      long slowest = 0;
      for (long n : nanos) {
        slowest = Math.max(slowest, n);
      }
      all = Math.max(all, threads * flopsPerRun / slowest);
    }
    if (Float.isNaN(sink[0])) {
      throw new IllegalStateException("FMA chains diverged");
    }
    return new Result(S.vectorBitSize(), threads, single, all);
  }

  /** The per-core figure of {@link #measure} alone, on the calling thread (GFLOP/s). */
  public static double perCoreGflops(double warmupSeconds, int rounds) {
    float[] sink = new float[1];
    double single = perCore(warmupSeconds, rounds, sink);
    if (Float.isNaN(sink[0])) {
      throw new IllegalStateException("FMA chains diverged");
    }
    return single;
  }

  /** Best single-thread GFLOP/s of {@code rounds} timed runs after the warm-up; adds into sink[0]. */
  private static double perCore(double warmupSeconds, int rounds, float[] sink) {
    long deadline = System.nanoTime() + (long) (warmupSeconds * 1e9);
    while (System.nanoTime() < deadline) {
      sink[0] += chains(ITERATIONS / 8, 1f);
    }
    double flopsPerRun = 2.0 * CHAINS * S.length() * (double) ITERATIONS;
    double single = 0;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      sink[0] += chains(ITERATIONS, r);
      single = Math.max(single, flopsPerRun / (System.nanoTime() - t0));
    }
    return single;
  }

  /** Runs the chains for {@code iterations} steps; the result depends on all of them. */
  static float chains(int iterations, float seed) {
    FloatVector g = FloatVector.broadcast(S, 1e-4f);
    FloatVector h = FloatVector.broadcast(S, 1e-4f * (1 + seed % 7));
    FloatVector a0 = FloatVector.broadcast(S, 0.1f), a1 = FloatVector.broadcast(S, 0.2f);
    FloatVector a2 = FloatVector.broadcast(S, 0.3f), a3 = FloatVector.broadcast(S, 0.4f);
    FloatVector a4 = FloatVector.broadcast(S, 0.5f), a5 = FloatVector.broadcast(S, 0.6f);
    FloatVector a6 = FloatVector.broadcast(S, 0.7f), a7 = FloatVector.broadcast(S, 0.8f);
    FloatVector a8 = FloatVector.broadcast(S, 0.9f), a9 = FloatVector.broadcast(S, 1.0f);
    FloatVector a10 = FloatVector.broadcast(S, 1.1f), a11 = FloatVector.broadcast(S, 1.2f);
    for (int i = 0; i < iterations; i++) {
      a0 = g.fma(h, a0);
      a1 = g.fma(h, a1);
      a2 = g.fma(h, a2);
      a3 = g.fma(h, a3);
      a4 = g.fma(h, a4);
      a5 = g.fma(h, a5);
      a6 = g.fma(h, a6);
      a7 = g.fma(h, a7);
      a8 = g.fma(h, a8);
      a9 = g.fma(h, a9);
      a10 = g.fma(h, a10);
      a11 = g.fma(h, a11);
    }
    FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5)
        .add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
    return s.reduceLanes(VectorOperators.ADD);
  }
}
