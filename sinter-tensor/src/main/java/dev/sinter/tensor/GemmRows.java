// The forward product for a few rows (M < 4): generation feeds one token at a time, and packing the
// whole weight matrix for one row would cost more than the product. Each output is a dot product
// of an X row with a W row, read in place; the work is split into fixed chunks of N, so results
// do not depend on the thread count. Legend: M rows, N output features, K input features.
package dev.sinter.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Y[M,N] = X[M,K]·W[N,K]ᵀ (+ bias) by dot products, for small M. */
final class GemmRows {
  static final int MAX_ROWS = 3;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int COLS_PER_TASK = 256;

  private GemmRows() {}

  static void matmul(ThreadPool pool, float[] y, int yOff, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, int m, int n, int k) {
    int tasks = (n + COLS_PER_TASK - 1) / COLS_PER_TASK;
    if (pool == null || (long) m * n * k < 1 << 18) {
      for (int t = 0; t < tasks; t++) {
        columns(t, y, yOff, x, xOff, w, wOff, bias, biasOff, m, n, k);
      }
      return;
    }
    pool.parallelFor(tasks, t -> columns(t, y, yOff, x, xOff, w, wOff, bias, biasOff, m, n, k));
  }

  private static void columns(int task, float[] y, int yOff, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, int m, int n, int k) {
    int j0 = task * COLS_PER_TASK;
    int j1 = Math.min(n, j0 + COLS_PER_TASK);
    int kv = k - k % L;
    for (int i = 0; i < m; i++) {
      int xr = xOff + i * k;
      for (int j = j0; j < j1; j++) {
        int wr = wOff + j * k;
        // two accumulators hide the FMA latency; lanes and tails are added in a fixed order
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        int p = 0;
        for (; p + 2 * L <= kv; p += 2 * L) {
          a0 = FloatVector.fromArray(S, x, xr + p).fma(FloatVector.fromArray(S, w, wr + p), a0);
          a1 = FloatVector.fromArray(S, x, xr + p + L).fma(FloatVector.fromArray(S, w, wr + p + L), a1);
        }
        for (; p < kv; p += L) {
          a0 = FloatVector.fromArray(S, x, xr + p).fma(FloatVector.fromArray(S, w, wr + p), a0);
        }
        FloatVector acc = a0.add(a1);
        float s = 0f;
        for (int lane = 0; lane < L; lane++) {
          s += acc.lane(lane);
        }
        for (; p < k; p++) {
          s += x[xr + p] * w[wr + p];
        }
        y[yOff + i * n + j] = bias == null ? s : s + bias[biasOff + j];
      }
    }
  }
}
