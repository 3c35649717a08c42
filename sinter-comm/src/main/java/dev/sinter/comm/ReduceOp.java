// The reductions collectives apply element-wise.
package dev.sinter.comm;

/** Element-wise reduction. AVG is SUM divided by the group size after the sum. */
public enum ReduceOp {
  SUM, AVG, MAX;

  /** Combines {@code x} into the accumulator {@code acc} (AVG sums; the division comes last). */
  float combine(float acc, float x) {
    return this == MAX ? Math.max(acc, x) : acc + x;
  }

  /** {@code acc[accOff..+len) ⊕= x[xOff..+len)}. */
  void combine(float[] acc, int accOff, float[] x, int xOff, int len) {
    if (this == MAX) {
      for (int i = 0; i < len; i++) {
        acc[accOff + i] = Math.max(acc[accOff + i], x[xOff + i]);
      }
    } else {
      for (int i = 0; i < len; i++) {
        acc[accOff + i] += x[xOff + i];
      }
    }
  }

  /** The final step: divides by {@code ranks} for AVG, nothing otherwise. */
  void finish(float[] buf, int off, int len, int ranks) {
    if (this == AVG && ranks > 1) {
      float inv = 1f / ranks;
      for (int i = 0; i < len; i++) {
        buf[off + i] *= inv;
      }
    }
  }
}
