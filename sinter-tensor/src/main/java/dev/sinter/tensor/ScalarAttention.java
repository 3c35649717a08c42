// Causal grouped-query self-attention in plain loops: the reference VectorAttention is tested
// against.
//
// Each query is handled on its own in two passes over its keys (scores and max, then exp and sums),
// so the only scratch is one row of T scores; nothing of size T² is ever allocated. Query head h
// reads key/value head h / (NH/NKV).
//
// Legend: B batch, T time (sequence length), NH query heads, NKV key/value heads (NH % NKV == 0),
//   hs head size, C3 = (NH + 2·NKV)·hs the width of one qkv row.
//   qkv  [B, T, C3]      per row: NH query heads, then NKV key heads, then NKV value heads
//   out  [B, T, NH·hs]
//   lse  [B, NH, T]      log-sum-exp of each query's scaled scores, the statistic backward needs
//   dqkv [B, T, C3], dout [B, T, NH·hs]
package dev.sinter.tensor;

/** Reference causal self-attention with grouped-query heads; single-threaded, float. */
public final class ScalarAttention {

  private ScalarAttention() {}

  /**
   * Forward: {@code out = softmax(mask(Q·Kᵀ/√hs))·V} per query head, and {@code lse} of the scaled
   * masked scores. out and lse are overwritten.
   *
   * @param out [B, T, NH·hs] at outOff
   * @param lse [B, NH, T] at lseOff
   * @param qkv [B, T, (NH + 2·NKV)·hs] at qkvOff
   */
  public static void forward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
      int b, int t, int nh, int nkv, int hs) {
    checkArgs(out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
    int c3 = (nh + 2 * nkv) * hs;
    int group = nh / nkv;
    float scale = (float) (1.0 / Math.sqrt(hs));
    float[] scores = new float[t]; // [T] one query's scaled scores, then its exponentials
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        int kvh = h / group;
        for (int i = 0; i < t; i++) {
          int q = qkvOff + (bi * t + i) * c3 + h * hs;
          float max = Float.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            int k = qkvOff + (bi * t + j) * c3 + (nh + kvh) * hs;
            float dot = 0f;
            for (int d = 0; d < hs; d++) {
              dot += qkv[q + d] * qkv[k + d];
            }
            scores[j] = dot * scale;
            max = Math.max(max, scores[j]);
          }
          float sum = 0f;
          for (int j = 0; j <= i; j++) {
            scores[j] = (float) Math.exp(scores[j] - max);
            sum += scores[j];
          }
          int o = outOff + (bi * t + i) * nh * hs + h * hs;
          for (int d = 0; d < hs; d++) {
            out[o + d] = 0f;
          }
          for (int j = 0; j <= i; j++) {
            int v = qkvOff + (bi * t + j) * c3 + (nh + nkv + kvh) * hs;
            float p = scores[j] / sum;
            for (int d = 0; d < hs; d++) {
              out[o + d] += p * qkv[v + d];
            }
          }
          lse[lseOff + (bi * nh + h) * t + i] = max + (float) Math.log(sum);
        }
      }
    }
  }

  /**
   * Backward of {@link #forward}: overwrites dqkv with dQ, dK and dV. The probabilities are
   * rebuilt from the saved lse as {@code P = exp(S - lse)}; with {@code D = rowsum(dO ∘ O)} the
   * score gradient is {@code dS = P ∘ (dP - D)}, {@code dP = dO·Vᵀ}.
   *
   * @param dqkv [B, T, (NH + 2·NKV)·hs] at dqkvOff, overwritten
   * @param dout [B, T, NH·hs] at doutOff
   * @param qkv the forward input
   * @param out the forward output
   * @param lse the forward log-sum-exp
   */
  public static void backward(float[] dqkv, int dqkvOff, float[] dout, int doutOff,
      float[] qkv, int qkvOff, float[] out, int outOff, float[] lse, int lseOff,
      int b, int t, int nh, int nkv, int hs) {
    checkArgs(out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
    checkRange("dqkv", dqkv, dqkvOff, (long) b * t * (nh + 2 * nkv) * hs);
    checkRange("dout", dout, doutOff, (long) b * t * nh * hs);
    int c3 = (nh + 2 * nkv) * hs;
    int group = nh / nkv;
    float scale = (float) (1.0 / Math.sqrt(hs));
    float[] dq = new float[hs]; // [hs] one query's gradient, added to dqkv once complete
    java.util.Arrays.fill(dqkv, dqkvOff, dqkvOff + b * t * c3, 0f);
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        int kvh = h / group;
        for (int i = 0; i < t; i++) {
          int q = qkvOff + (bi * t + i) * c3 + h * hs;
          int o = outOff + (bi * t + i) * nh * hs + h * hs;
          int dO = doutOff + (bi * t + i) * nh * hs + h * hs;
          float lseI = lse[lseOff + (bi * nh + h) * t + i];
          float dsum = 0f; // D_i = rowsum(dO ∘ O) = Σ_j P_ij·dP_ij
          for (int d = 0; d < hs; d++) {
            dsum += dout[dO + d] * out[o + d];
            dq[d] = 0f;
          }
          for (int j = 0; j <= i; j++) {
            int k = qkvOff + (bi * t + j) * c3 + (nh + kvh) * hs;
            int v = qkvOff + (bi * t + j) * c3 + (nh + nkv + kvh) * hs;
            float dot = 0f;
            float dp = 0f;
            for (int d = 0; d < hs; d++) {
              dot += qkv[q + d] * qkv[k + d];
              dp += dout[dO + d] * qkv[v + d];
            }
            float p = (float) Math.exp(dot * scale - lseI);
            // The 1/√hs of the scores is folded into dS so that dQ and dK need no further scaling.
            float ds = p * (dp - dsum) * scale;
            int dk = dqkvOff + (bi * t + j) * c3 + (nh + kvh) * hs;
            int dv = dqkvOff + (bi * t + j) * c3 + (nh + nkv + kvh) * hs;
            for (int d = 0; d < hs; d++) {
              dq[d] += ds * qkv[k + d];
              dqkv[dk + d] += ds * qkv[q + d];
              dqkv[dv + d] += p * dout[dO + d];
            }
          }
          int dqOff = dqkvOff + (bi * t + i) * c3 + h * hs;
          for (int d = 0; d < hs; d++) {
            dqkv[dqOff + d] += dq[d];
          }
        }
      }
    }
  }

  /** Validates sizes and that every buffer holds its whole tensor; shared with VectorAttention. */
  static void checkArgs(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
      int b, int t, int nh, int nkv, int hs) {
    if (b < 1 || t < 1 || nh < 1 || nkv < 1 || hs < 1) {
      throw new IllegalArgumentException("attention sizes must be >= 1, got B=" + b + " T=" + t
          + " NH=" + nh + " NKV=" + nkv + " hs=" + hs);
    }
    if (nh % nkv != 0) {
      throw new IllegalArgumentException(
          "query heads NH=" + nh + " must be a multiple of key/value heads NKV=" + nkv);
    }
    checkRange("qkv", qkv, qkvOff, (long) b * t * (nh + 2 * nkv) * hs);
    checkRange("out", out, outOff, (long) b * t * nh * hs);
    checkRange("lse", lse, lseOff, (long) b * nh * t);
  }

  static void checkRange(String name, float[] a, int off, long size) {
    if (off < 0 || off + size > a.length) {
      throw new IllegalArgumentException(name + ": offset " + off + " + size " + size
          + " exceeds its array length " + a.length);
    }
  }
}
