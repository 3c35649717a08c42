// Times every VectorOps kernel at the shapes a GPT-2-small step uses, against ScalarOps.
//
// Run:  java --add-modules jdk.incubator.vector -cp sinter-tensor/target/classes \
//         dev.sinter.tensor.bench.OpsBench [threads]
// For each kernel it prints the median time of ScalarOps, of VectorOps on one thread and on
// `threads` threads (default: all processors), the bandwidth each VectorOps run achieves counting
// every big operand read or written once, and the speed-ups over ScalarOps. GB/s against the
// machine's memory bandwidth shows how much is left: the norms, rope, add, AdamW and the reductions
// should sit near it, while the exp-bound kernels (GELU, SwiGLU, softmax, cross-entropy) are
// limited by arithmetic first.
// Legend: R rows (tokens), C channels, F hidden width of the MLP, V vocabulary, hs head size,
//   n elements of a flat range.
package dev.sinter.tensor.bench;

import dev.sinter.tensor.ScalarOps;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.VectorOps;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;

/** Micro-benchmark of the non-matmul kernels; see the header for how to run it. */
public final class OpsBench {
  private static final int R = 1024;
  private static final int C = 768;
  private static final int F = 3072;
  private static final int V = 50257;
  private static final int HS = 64;
  private static final int QK_HEADS = 24; // 12 query + 12 key heads rotated in each qkv row
  private static final int N_PARAMS = 1 << 24;

  private OpsBench() {}

  /** One kernel at one shape: how to run it each way, and how many bytes one call must move. */
  private record Case(String name, String shape, long bytes, Runnable scalar, Function<ThreadPool, Runnable> vector) {}

  /** Runs the benchmark; the optional argument is the thread count of the parallel run. */
  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    PrintStream out = System.out;
    out.printf("OpsBench: %d-bit float vectors, %d threads, %s %s%n",
        FloatVector.SPECIES_PREFERRED.vectorBitSize(), threads,
        System.getProperty("java.vm.name"), System.getProperty("java.version"));
    out.printf("%-14s %-18s %10s %10s %10s %8s %8s %7s %7s%n", "kernel", "shape", "scalar ms", "vec-1t ms",
        "vec-" + threads + "t ms", "GB/s 1t", "GB/s " + threads + "t", "x 1t", "x " + threads + "t");
    try (ThreadPool one = new ThreadPool(1); ThreadPool many = new ThreadPool(threads)) {
      for (Supplier<Case> make : cases()) {
        Case c = make.get();
        Runnable v1 = c.vector().apply(one);
        Runnable vn = c.vector().apply(many);
        double scalarMs = medianMs(c.scalar());
        double v1Ms = medianMs(v1);
        double vnMs = medianMs(vn);
        out.printf("%-14s %-18s %10.3f %10.3f %10.3f %8.1f %8.1f %7.1f %7.1f%n", c.name(), c.shape(), scalarMs,
            v1Ms, vnMs, c.bytes() / (v1Ms * 1e6), c.bytes() / (vnMs * 1e6), scalarMs / v1Ms, scalarMs / vnMs);
      }
    }
  }

  /**
   * Warms up for a second and at least three calls, long enough for C2 to compile the vector
   * loops (before that they run orders of magnitude slower), then returns the median of the repeats.
   */
  private static double medianMs(Runnable r) {
    long warmStart = System.nanoTime();
    int warm = 0;
    while (warm < 3 || System.nanoTime() - warmStart < 1_000_000_000L) {
      r.run();
      warm++;
    }
    int reps = Math.max(5, Math.min(101, warm));
    double[] ms = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[reps / 2];
  }

  private static float[] randn(Random rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return a;
  }

  private static Case norms(String name, boolean rms, boolean backward) {
    Random rnd = new Random(1);
    float[] x = randn(rnd, R * C, 1);   // [R, C]
    float[] w = randn(rnd, C, 1);       // [C]
    float[] b = randn(rnd, C, 1);       // [C]
    float[] out = new float[R * C];     // [R, C]
    float[] dout = randn(rnd, R * C, 1); // [R, C]
    float[] dx = new float[R * C];      // [R, C]
    float[] dw = new float[C];
    float[] db = new float[C];
    float[] mean = new float[R];
    float[] rstd = new float[R];
    if (rms) {
      ScalarOps.rmsnormForward(out, 0, rstd, 0, x, 0, w, 0, R, C, 1e-5f);
    } else {
      ScalarOps.layernormForward(out, 0, mean, 0, rstd, 0, x, 0, w, 0, b, 0, R, C, 1e-5f);
    }
    String shape = "[" + R + "x" + C + "]";
    long fwdBytes = 2L * 4 * R * C;  // read x, write out
    long bwdBytes = 4L * 4 * R * C;  // read dout, x, dx; write dx
    if (rms && !backward) {
      return new Case(name, shape, fwdBytes,
          () -> ScalarOps.rmsnormForward(out, 0, rstd, 0, x, 0, w, 0, R, C, 1e-5f),
          p -> () -> VectorOps.rmsnormForward(p, out, 0, rstd, 0, x, 0, w, 0, R, C, 1e-5f));
    }
    if (rms) {
      return new Case(name, shape, bwdBytes,
          () -> ScalarOps.rmsnormBackward(dx, 0, dw, 0, dout, 0, x, 0, w, 0, rstd, 0, R, C),
          p -> () -> VectorOps.rmsnormBackward(p, dx, 0, dw, 0, dout, 0, x, 0, w, 0, rstd, 0, R, C));
    }
    if (!backward) {
      return new Case(name, shape, fwdBytes,
          () -> ScalarOps.layernormForward(out, 0, mean, 0, rstd, 0, x, 0, w, 0, b, 0, R, C, 1e-5f),
          p -> () -> VectorOps.layernormForward(p, out, 0, mean, 0, rstd, 0, x, 0, w, 0, b, 0, R, C, 1e-5f));
    }
    return new Case(name, shape, bwdBytes,
        () -> ScalarOps.layernormBackward(dx, 0, dw, 0, db, 0, dout, 0, x, 0, w, 0, mean, 0, rstd, 0, R, C),
        p -> () -> VectorOps.layernormBackward(p, dx, 0, dw, 0, db, 0, dout, 0, x, 0, w, 0, mean, 0, rstd, 0, R, C));
  }

  private static Case swiglu(boolean backward) {
    Random rnd = new Random(2);
    float[] gu = randn(rnd, R * 2 * F, 2); // [R, 2F]
    float[] h = new float[R * F];          // [R, F]
    float[] dh = randn(rnd, R * F, 1);     // [R, F]
    float[] dgu = new float[R * 2 * F];    // [R, 2F]
    String shape = "[" + R + "x2*" + F + "]";
    if (!backward) {
      return new Case("swiglu fwd", shape, 4L * 3 * R * F,
          () -> ScalarOps.swigluForward(h, 0, gu, 0, R, F),
          p -> () -> VectorOps.swigluForward(p, h, 0, gu, 0, R, F));
    }
    return new Case("swiglu bwd", shape, 4L * 7 * R * F, // read dh, gu, dgu; write dgu
        () -> ScalarOps.swigluBackward(dgu, 0, dh, 0, gu, 0, R, F),
        p -> () -> VectorOps.swigluBackward(p, dgu, 0, dh, 0, gu, 0, R, F));
  }

  private static Case gelu(boolean backward) {
    Random rnd = new Random(3);
    int n = R * F;
    float[] x = randn(rnd, n, 2);    // [R, F]
    float[] out = new float[n];
    float[] dout = randn(rnd, n, 1);
    float[] dx = new float[n];
    String shape = "[" + R + "x" + F + "]";
    if (!backward) {
      return new Case("gelu fwd", shape, 4L * 2 * n,
          () -> ScalarOps.geluForward(out, 0, x, 0, n),
          p -> () -> VectorOps.geluForward(p, out, 0, x, 0, n));
    }
    return new Case("gelu bwd", shape, 4L * 4 * n,
        () -> ScalarOps.geluBackward(dx, 0, dout, 0, x, 0, n),
        p -> () -> VectorOps.geluBackward(p, dx, 0, dout, 0, x, 0, n));
  }

  private static Case rope() {
    Random rnd = new Random(4);
    int stride = 3 * C;
    float[] qkv = randn(rnd, R * stride, 1); // [R, 3C]
    float[] cos = randn(rnd, R * HS / 2, 1); // [T, hs/2]
    float[] sin = randn(rnd, R * HS / 2, 1);
    return new Case("rope", "[" + R + "x" + QK_HEADS + "x" + HS + "]", 4L * 2 * R * QK_HEADS * HS,
        () -> ScalarOps.rope(qkv, 0, stride, cos, sin, 1, R, QK_HEADS, HS, false),
        p -> () -> VectorOps.rope(p, qkv, 0, stride, cos, sin, 1, R, QK_HEADS, HS, false));
  }

  private static Case add() {
    Random rnd = new Random(5);
    int n = R * C;
    float[] a = randn(rnd, n, 1);
    float[] b = randn(rnd, n, 1);
    float[] out = new float[n];
    return new Case("add", "[" + R + "x" + C + "]", 4L * 3 * n,
        () -> ScalarOps.add(out, 0, a, 0, b, 0, n),
        p -> () -> VectorOps.add(p, out, 0, a, 0, b, 0, n));
  }

  private static Case crossEntropy() {
    Random rnd = new Random(6);
    float[] logits = randn(rnd, R * V, 3); // [R, V]
    int[] targets = new int[R];
    for (int r = 0; r < R; r++) {
      targets[r] = rnd.nextInt(V);
    }
    float[] losses = new float[R];
    return new Case("crossEntropy", "[" + R + "x" + V + "]", 4L * 2 * R * V,
        () -> ScalarOps.crossEntropy(losses, 0, logits, 0, targets, 0, R, V, 1f / R),
        p -> () -> VectorOps.crossEntropy(p, losses, 0, logits, 0, targets, 0, R, V, 1f / R));
  }

  private static Case softmax() {
    Random rnd = new Random(7);
    int c = 1024;
    float[] x = randn(rnd, R * c, 3); // [R, 1024]
    float[] out = new float[R * c];
    return new Case("softmax", "[" + R + "x" + c + "]", 4L * 2 * R * c,
        () -> ScalarOps.softmax(out, 0, x, 0, R, c),
        p -> () -> VectorOps.softmax(p, out, 0, x, 0, R, c));
  }

  private static Case adamw() {
    Random rnd = new Random(8);
    float[] p = randn(rnd, N_PARAMS, 1);
    float[] g = randn(rnd, N_PARAMS, 1e-2);
    float[] m = new float[N_PARAMS];
    float[] v = new float[N_PARAMS];
    return new Case("adamw", "n=" + N_PARAMS, 4L * 7 * N_PARAMS, // read p, g, m, v; write p, m, v
        () -> ScalarOps.adamw(p, g, m, v, 0, 0, N_PARAMS, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, 0.3f),
        pool -> () -> VectorOps.adamw(pool, p, g, m, v, 0, 0, N_PARAMS, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, 0.3f));
  }

  private static Case sumOfSquares() {
    float[] x = randn(new Random(9), N_PARAMS, 1);
    double[] sink = new double[1];
    return new Case("sumOfSquares", "n=" + N_PARAMS, 4L * N_PARAMS,
        () -> sink[0] += ScalarOps.sumOfSquares(x, 0, N_PARAMS),
        p -> () -> sink[0] += VectorOps.sumOfSquares(p, x, 0, N_PARAMS));
  }

  private static Case scale() {
    float[] x = randn(new Random(10), N_PARAMS, 1);
    return new Case("scale", "n=" + N_PARAMS, 4L * 2 * N_PARAMS,
        () -> ScalarOps.scale(x, 0, N_PARAMS, 1.0000001f),
        p -> () -> VectorOps.scale(p, x, 0, N_PARAMS, 0.9999999f));
  }

  private static List<Supplier<Case>> cases() {
    return List.of(
        () -> norms("rmsnorm fwd", true, false),
        () -> norms("rmsnorm bwd", true, true),
        () -> norms("layernorm fwd", false, false),
        () -> norms("layernorm bwd", false, true),
        () -> swiglu(false),
        () -> swiglu(true),
        () -> gelu(false),
        () -> gelu(true),
        OpsBench::rope,
        OpsBench::add,
        OpsBench::crossEntropy,
        OpsBench::softmax,
        OpsBench::adamw,
        OpsBench::sumOfSquares,
        OpsBench::scale);
  }
}
