// Times VectorAttention forward and backward at the shapes of the models Sinter trains, and prints
// the median and the best time of each with the throughput they imply. The best run is printed too
// because on a shared machine the median mostly measures the neighbours.
//
// FLOPs are counted over the causal pairs only: forward is two products (Q·Kᵀ and P·V) of
// 2·hs FLOPs per visible (query, key) pair, 2·B·NH·T(T+1)/2·hs·2 in all; backward is counted as 2.5×
// forward (five products instead of two), the usual FlashAttention convention. Exponentials and
// softmax bookkeeping are not counted.
//
// Usage: java --add-modules jdk.incubator.vector -cp sinter-tensor/target/classes \
//          dev.sinter.tensor.bench.AttentionBench [threads] [repeats]
// Legend: B batch, T time, NH query heads, NKV key/value heads, hs head size.
package dev.sinter.tensor.bench;

import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.VectorAttention;
import java.util.Arrays;
import java.util.Random;

/** Benchmark of the attention kernels; prints one line per shape and pass. */
public final class AttentionBench {

  private record Shape(String name, int b, int t, int nh, int nkv, int hs) {}

  private static final Shape[] SHAPES = {
      new Shape("gpt2-124m", 4, 256, 12, 12, 64),
      new Shape("llama-gqa", 4, 512, 8, 2, 64),
      new Shape("llama-tiny", 8, 256, 8, 4, 32),
  };

  private AttentionBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args optional thread count (default: available processors) and number of timed
   *     repeats (default 20)
   */
  public static void main(String[] args) {
    int threads = args.length > 0
        ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    System.out.printf("attention benchmark: %d thread(s), %d timed runs after warm-up%n",
        threads, repeats);
    try (ThreadPool pool = new ThreadPool(threads)) {
      for (Shape s : SHAPES) {
        run(pool, s, repeats);
      }
    }
  }

  private static void run(ThreadPool pool, Shape s, int repeats) {
    Random rnd = new Random(42);
    float[] qkv = new float[s.b * s.t * (s.nh + 2 * s.nkv) * s.hs]; // [B, T, (NH + 2·NKV)·hs]
    float[] dout = new float[s.b * s.t * s.nh * s.hs];              // [B, T, NH·hs]
    for (int i = 0; i < qkv.length; i++) {
      qkv[i] = 2 * rnd.nextFloat() - 1;
    }
    for (int i = 0; i < dout.length; i++) {
      dout[i] = 2 * rnd.nextFloat() - 1;
    }
    float[] out = new float[dout.length];
    float[] lse = new float[s.b * s.nh * s.t];
    float[] dqkv = new float[qkv.length];
    Runnable fwd = () -> VectorAttention.forward(pool, out, 0, lse, 0, qkv, 0,
        s.b, s.t, s.nh, s.nkv, s.hs);
    Runnable bwd = () -> VectorAttention.backward(pool, dqkv, 0, dout, 0, qkv, 0, out, 0, lse, 0,
        s.b, s.t, s.nh, s.nkv, s.hs);
    double fwdFlops = 2.0 * s.b * s.nh * (s.t * (s.t + 1.0) / 2.0) * s.hs * 2.0;
    // Warm up both together so that the JIT sees the pair in the order training runs it.
    for (int i = 0; i < Math.max(10, repeats); i++) {
      fwd.run();
      bwd.run();
    }
    double[] fwdMs = timesMs(fwd, repeats);
    double[] bwdMs = timesMs(bwd, repeats);
    String shape = String.format("B=%d T=%d NH=%d NKV=%d hs=%d", s.b, s.t, s.nh, s.nkv, s.hs);
    print(s.name, shape, "forward", fwdMs, fwdFlops);
    print(s.name, shape, "backward", bwdMs, 2.5 * fwdFlops);
  }

  private static void print(String name, String shape, String pass, double[] sortedMs, double flops) {
    double median = sortedMs[sortedMs.length / 2];
    double best = sortedMs[0];
    System.out.printf("%-10s %-32s %-8s median %8.3f ms %6.1f GFLOP/s   best %8.3f ms %6.1f GFLOP/s%n",
        name, shape, pass, median, flops / median / 1e6, best, flops / best / 1e6);
  }

  /** Wall time of each of the repeats, sorted. */
  private static double[] timesMs(Runnable r, int repeats) {
    double[] ms = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }
}
