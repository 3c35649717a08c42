// Token (and, for GPT-2, learned position) embedding lookup and its backward scatter-add.
// Legend: B batch, T time, C width, V vocabulary.
package dev.sinter.model;

import dev.sinter.tensor.ThreadPool;

/** Embedding forward/backward on flat buffers. */
final class Embedding {
  /** Columns per task: fixed, so the work split does not depend on the thread count. */
  private static final int COLS_PER_TASK = 64;

  private Embedding() {}

  /**
   * out[bt, :] = wte[tokens[bt], :] (+ wpe[t, :]).
   *
   * @param wpeOff offset of the [maxT, C] position table in params, or -1 for none
   */
  static void forward(ThreadPool pool, float[] out, int outOff, float[] params, int wteOff, int wpeOff,
      int[] tokens, int b, int t, int c) {
    int bt = b * t;
    pool.parallelFor(Math.min(bt, 64), task -> {
      int lo = (int) ((long) bt * task / Math.min(bt, 64));
      int hi = (int) ((long) bt * (task + 1) / Math.min(bt, 64));
      for (int r = lo; r < hi; r++) {
        int o = outOff + r * c;
        System.arraycopy(params, wteOff + tokens[r] * c, out, o, c);
        if (wpeOff >= 0) {
          int p = wpeOff + (r % t) * c;
          for (int i = 0; i < c; i++) {
            out[o + i] += params[p + i];
          }
        }
      }
    });
  }

  /**
   * dwte[tokens[bt], :] += dout[bt, :] and dwpe[t, :] += dout[bt, :]. Rows are visited in order
   * within each column slice, so repeated tokens accumulate in the same order on every run. A
   * negative wteOff (or wpeOff) skips that table.
   */
  static void backward(ThreadPool pool, float[] grads, int wteOff, int wpeOff, float[] dout,
      int[] tokens, int b, int t, int c) {
    int bt = b * t;
    int tasks = (c + COLS_PER_TASK - 1) / COLS_PER_TASK;
    pool.parallelFor(tasks, task -> {
      int c0 = task * COLS_PER_TASK;
      int c1 = Math.min(c, c0 + COLS_PER_TASK);
      for (int r = 0; r < bt; r++) {
        int d = r * c;
        if (wteOff >= 0) {
          int g = wteOff + tokens[r] * c;
          for (int i = c0; i < c1; i++) {
            grads[g + i] += dout[d + i];
          }
        }
        if (wpeOff >= 0) {
          int p = wpeOff + (r % t) * c;
          for (int i = c0; i < c1; i++) {
            grads[p + i] += dout[d + i];
          }
        }
      }
    });
  }
}
