// VectorOps must give bitwise the same results on 1, 2 and 3 threads.
//
// Sizes are chosen so that every kernel splits into several tasks (and the cross-row reductions
// into several fixed chunks). Each configuration runs twice and the one-thread run goes first,
// so results from interpreted, C1 and C2 code are compared too: a lane operation whose compiled
// and fallback forms round differently would show up here.
// Legend: C channels, F hidden width of the MLP, V vocabulary, T time, hs head size.
package dev.sinter.tensor;

import static dev.sinter.tensor.TestArrays.assertBitwise;
import static dev.sinter.tensor.TestArrays.input;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OpsDeterminismTest {
  private static final long SEED = 20240611;
  private static final int[] THREADS = {1, 2, 3, 1, 2, 3};

  /** Runs every kernel on fresh copies of the same inputs and returns all outputs, in order. */
  private static List<float[]> runAll(ThreadPool pool) {
    Random rnd = new Random(SEED);
    List<float[]> results = new ArrayList<>();
    int rows = 150; // three chunks of REDUCE_ROWS, the last one partial
    int c = 99;
    int n = rows * c;
    float[] x = input(rnd, 1, n, 2);
    float[] w = input(rnd, 2, c, 1);
    float[] bias = input(rnd, 3, c, 1);
    float[] dout = input(rnd, 4, n, 1);

    float[] out = new float[n];
    float[] rstd = new float[rows];
    VectorOps.rmsnormForward(pool, out, 0, rstd, 0, x, 1, w, 2, rows, c, 1e-5f);
    float[] dx = new float[n];
    float[] dw = new float[c];
    VectorOps.rmsnormBackward(pool, dx, 0, dw, 0, dout, 4, x, 1, w, 2, rstd, 0, rows, c);
    results.addAll(List.of(out, rstd, dx, dw));

    out = new float[n];
    float[] mean = new float[rows];
    rstd = new float[rows];
    VectorOps.layernormForward(pool, out, 0, mean, 0, rstd, 0, x, 1, w, 2, bias, 3, rows, c, 1e-5f);
    dx = new float[n];
    dw = new float[c];
    float[] db = new float[c];
    VectorOps.layernormBackward(pool, dx, 0, dw, 0, db, 0, dout, 4, x, 1, w, 2, mean, 0, rstd, 0, rows, c);
    results.addAll(List.of(out, mean, rstd, dx, dw, db));

    int f = 1001;
    int mlpRows = 23;
    float[] gu = input(rnd, 0, mlpRows * 2 * f, 3);
    float[] h = new float[mlpRows * f];
    VectorOps.swigluForward(pool, h, 0, gu, 0, mlpRows, f);
    float[] dgu = new float[mlpRows * 2 * f];
    VectorOps.swigluBackward(pool, dgu, 0, input(rnd, 0, mlpRows * f, 1), 0, gu, 0, mlpRows, f);
    results.addAll(List.of(h, dgu));

    int gn = 2 * VectorMath.CHUNK + 99;
    float[] gx = input(rnd, 0, gn, 3);
    float[] g = new float[gn];
    VectorOps.geluForward(pool, g, 0, gx, 0, gn);
    float[] dg = new float[gn];
    VectorOps.geluBackward(pool, dg, 0, g, 0, gx, 0, gn);
    results.addAll(List.of(g, dg));

    int t = 32;
    int hs = 64;
    int heads = 6;
    int stride = 9 * hs;
    float[] cos = input(rnd, 0, t * hs / 2, 1);
    float[] sin = input(rnd, 0, t * hs / 2, 1);
    float[] q = input(rnd, 0, 2 * t * stride, 1);
    VectorOps.rope(pool, q, 0, stride, cos, sin, 2, t, heads, hs, false);
    results.add(q.clone());
    VectorOps.rope(pool, q, 0, stride, cos, sin, 2, t, heads, hs, true);
    results.add(q);

    float[] sum = new float[gn];
    VectorOps.add(pool, sum, 0, gx, 0, g, 0, gn);
    VectorOps.scale(pool, sum, 0, gn, 0.3f);
    results.add(sum);

    int ceRows = 7; // three row tasks of ROW_GRAIN / V rows
    int v = 9001;
    float[] logits = input(rnd, 0, ceRows * v, 3);
    float[] probs = new float[ceRows * v];
    VectorOps.softmax(pool, probs, 0, logits, 0, ceRows, v);
    float[] losses = new float[ceRows];
    VectorOps.crossEntropy(pool, losses, 0, logits, 0, new int[] {7, -1, v - 1, 0, 123, 5, 6}, 0, ceRows, v, 0.2f);
    results.addAll(List.of(probs, losses, logits));

    int pn = 2 * VectorMath.CHUNK + 5;
    float[] p = input(rnd, 0, pn, 1);
    float[] grad = input(rnd, 0, pn, 1);
    float[] m = new float[pn];
    float[] var = new float[pn];
    VectorOps.adamw(pool, p, grad, m, var, 0, 0, pn, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.1f, 0.05f);
    results.addAll(List.of(p, m, var));

    double ss = VectorOps.sumOfSquares(pool, gx, 0, gn);
    results.add(new float[] {Float.intBitsToFloat((int) Double.doubleToRawLongBits(ss)),
        Float.intBitsToFloat((int) (Double.doubleToRawLongBits(ss) >>> 32))});
    return results;
  }

  @Test
  void resultsDoNotDependOnThreadCount() {
    List<float[]> reference = null;
    for (int threads : THREADS) {
      List<float[]> results;
      try (ThreadPool pool = new ThreadPool(threads)) {
        results = runAll(pool);
      }
      if (reference == null) {
        reference = results;
        continue;
      }
      assertEquals(reference.size(), results.size());
      for (int i = 0; i < results.size(); i++) {
        assertBitwise("output " + i + " with " + threads + " threads (seed " + SEED + ")", reference.get(i),
            results.get(i));
      }
    }
  }
}
