// The reference non-matmul kernels: one plain loop per formula, single-threaded.
//
// These are what VectorOps is tested against and what runs where the Vector API is unavailable, so
// they favour the obvious form over speed. Values are float; per-row statistics (mean, variance,
// Σexp) are accumulated in double, which makes these slightly more accurate than the fast kernels
// and keeps the differential tests' tolerances meaningful. Every backward accumulates (+=) into its
// gradient outputs.
// Legend: C channels, F hidden width of the MLP, V vocabulary, B batch, T time, hs head size,
//   n elements of a flat range.
package dev.sinter.tensor;

import java.util.Arrays;

/** Plain-loop implementations of the non-matmul kernels; the reference for VectorOps. */
public final class ScalarOps {
  private static final float GELU_K = (float) Math.sqrt(2.0 / Math.PI);
  private static final float GELU_A = 0.044715f;

  private ScalarOps() {}

  // ---------------------------------------------------------------- normalisation

  /** RMSNorm forward: out[rows,C] = x · rstd · weight, rstd[rows] = 1/sqrt(mean(x²) + eps). */
  public static void rmsnormForward(float[] out, int outOff, float[] rstd, int rstdOff, float[] x, int xOff,
      float[] weight, int wOff, int rows, int c, float eps) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * c;
      double ss = 0;
      for (int i = 0; i < c; i++) {
        ss += (double) x[xo + i] * x[xo + i];
      }
      float rs = (float) (1.0 / Math.sqrt(ss / c + eps));
      rstd[rstdOff + r] = rs;
      for (int i = 0; i < c; i++) {
        out[outOff + r * c + i] = x[xo + i] * rs * weight[wOff + i];
      }
    }
  }

  /**
   * RMSNorm backward of {@code out = x·rstd·w}: dx[rows,C] += rstd·w·dout − x·rstd³·mean(dout·w·x);
   * dweight[C] += Σ_rows dout·x·rstd.
   */
  public static void rmsnormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dout, int doutOff,
      float[] x, int xOff, float[] weight, int wOff, float[] rstd, int rstdOff, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * c;
      int go = doutOff + r * c;
      float rs = rstd[rstdOff + r];
      double dot = 0;
      for (int i = 0; i < c; i++) {
        dot += (double) dout[go + i] * weight[wOff + i] * x[xo + i];
      }
      float coef = (float) (dot * rs * rs * rs / c);
      for (int i = 0; i < c; i++) {
        float dy = dout[go + i];
        dx[dxOff + r * c + i] += rs * weight[wOff + i] * dy - coef * x[xo + i];
        dweight[dwOff + i] += dy * x[xo + i] * rs;
      }
    }
  }

  /** LayerNorm forward with biased variance (as PyTorch); saves mean[rows] and rstd[rows]. */
  public static void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
      float[] x, int xOff, float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * c;
      double s = 0;
      for (int i = 0; i < c; i++) {
        s += x[xo + i];
      }
      double mu = s / c;
      double var = 0;
      for (int i = 0; i < c; i++) {
        double d = x[xo + i] - mu;
        var += d * d;
      }
      float m = (float) mu;
      float rs = (float) (1.0 / Math.sqrt(var / c + eps));
      mean[meanOff + r] = m;
      rstd[rstdOff + r] = rs;
      for (int i = 0; i < c; i++) {
        out[outOff + r * c + i] = (x[xo + i] - m) * rs * weight[wOff + i] + bias[bOff + i];
      }
    }
  }

  /**
   * LayerNorm backward: with n = (x − mean)·rstd and g = dout·w,
   * dx += (g − mean(g) − n·mean(g·n))·rstd; dweight += Σ_rows dout·n; dbias += Σ_rows dout.
   */
  public static void layernormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dbias, int dbOff,
      float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff,
      float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * c;
      int go = doutOff + r * c;
      float mu = mean[meanOff + r];
      float rs = rstd[rstdOff + r];
      double sumG = 0;
      double sumGn = 0;
      for (int i = 0; i < c; i++) {
        float g = dout[go + i] * weight[wOff + i];
        sumG += g;
        sumGn += (double) g * ((x[xo + i] - mu) * rs);
      }
      float meanG = (float) (sumG / c);
      float meanGn = (float) (sumGn / c);
      for (int i = 0; i < c; i++) {
        float dy = dout[go + i];
        float n = (x[xo + i] - mu) * rs;
        dx[dxOff + r * c + i] += (dy * weight[wOff + i] - meanG - n * meanGn) * rs;
        dweight[dwOff + i] += dy * n;
        dbias[dbOff + i] += dy;
      }
    }
  }

  // ---------------------------------------------------------------- activations

  /** SwiGLU forward: out[r,f] = silu(gu[r,f]) · gu[r,F+f]; out is [rows,F], gu is [rows,2F]. */
  public static void swigluForward(float[] out, int outOff, float[] gu, int guOff, int rows, int f) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < f; i++) {
        float g = gu[guOff + r * 2 * f + i];
        float up = gu[guOff + r * 2 * f + f + i];
        out[outOff + r * f + i] = g * sigmoid(g) * up;
      }
    }
  }

  /** SwiGLU backward: dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))), dup = dout·silu(g); dgu is [rows,2F]. */
  public static void swigluBackward(float[] dgu, int dguOff, float[] dout, int doutOff, float[] gu, int guOff,
      int rows, int f) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < f; i++) {
        int gi = guOff + r * 2 * f + i;
        int dgi = dguOff + r * 2 * f + i;
        float g = gu[gi];
        float up = gu[gi + f];
        float dy = dout[doutOff + r * f + i];
        float sig = sigmoid(g);
        dgu[dgi] = dy * up * sig * (1f + g * (1f - sig));
        dgu[dgi + f] = dy * g * sig;
      }
    }
  }

  /** GELU forward, tanh approximation (GPT-2): out = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  public static void geluForward(float[] out, int outOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      float xi = x[xOff + i];
      float u = GELU_K * (xi + GELU_A * xi * xi * xi);
      out[outOff + i] = 0.5f * xi * (1f + (float) Math.tanh(u));
    }
  }

  /** GELU backward: dx = dout · (0.5(1 + tanh u) + 0.5x·(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)). */
  public static void geluBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      float xi = x[xOff + i];
      float u = GELU_K * (xi + GELU_A * xi * xi * xi);
      float th = (float) Math.tanh(u);
      float grad = 0.5f * (1f + th) + 0.5f * xi * (1f - th * th) * GELU_K * (1f + 3f * GELU_A * xi * xi);
      dx[dxOff + i] = dout[doutOff + i] * grad;
    }
  }

  // ---------------------------------------------------------------- position, residual

  /**
   * Rotary embedding in place on the first {@code heads} heads of each [B·T, stride] row:
   * x1' = x1·cos − x2·sin, x2' = x2·cos + x1·sin for pairs (i, i + hs/2), with the angle of table
   * row t (cos, sin are [T, hs/2]); {@code inverse} rotates by the negative angle (the backward).
   */
  public static void rope(float[] x, int xOff, int stride, float[] cos, float[] sin, int b, int t, int heads,
      int hs, boolean inverse) {
    checkRope(hs);
    int half = hs / 2;
    for (int r = 0; r < b * t; r++) {
      int tab = (r % t) * half;
      for (int h = 0; h < heads; h++) {
        int o = xOff + r * stride + h * hs;
        for (int i = 0; i < half; i++) {
          float cs = cos[tab + i];
          float sn = inverse ? -sin[tab + i] : sin[tab + i];
          float x1 = x[o + i];
          float x2 = x[o + half + i];
          x[o + i] = x1 * cs - x2 * sn;
          x[o + half + i] = x2 * cs + x1 * sn;
        }
      }
    }
  }

  /** out[i] = a[i] + b[i]; out may alias a or b. */
  public static void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
    for (int i = 0; i < n; i++) {
      out[outOff + i] = a[aOff + i] + b[bOff + i];
    }
  }

  // ---------------------------------------------------------------- loss

  /**
   * Softmax cross-entropy fused with its gradient, in place on logits[rows,V]: losses[r] =
   * logsumexp(row) − row[target]; the row becomes (softmax − onehot)·gradScale. Rows whose target is
   * negative get loss 0 and gradient 0.
   */
  public static void crossEntropy(float[] losses, int lossOff, float[] logits, int logitsOff, int[] targets,
      int tOff, int rows, int v, float gradScale) {
    for (int r = 0; r < rows; r++) {
      int o = logitsOff + r * v;
      int target = checkTarget(targets[tOff + r], v, r);
      if (target < 0) {
        losses[lossOff + r] = 0f;
        Arrays.fill(logits, o, o + v, 0f);
        continue;
      }
      float mx = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < v; i++) {
        mx = Math.max(mx, logits[o + i]);
      }
      double sum = 0;
      for (int i = 0; i < v; i++) {
        sum += Math.exp(logits[o + i] - mx);
      }
      losses[lossOff + r] = (float) (Math.log(sum) + mx - logits[o + target]);
      for (int i = 0; i < v; i++) {
        float p = (float) (Math.exp(logits[o + i] - mx) / sum);
        logits[o + i] = (p - (i == target ? 1f : 0f)) * gradScale;
      }
    }
  }

  /** Row-wise softmax over C columns: out[rows,C] = softmax(x[rows,C]); out may alias x. */
  public static void softmax(float[] out, int outOff, float[] x, int xOff, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * c;
      int oo = outOff + r * c;
      float mx = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        mx = Math.max(mx, x[xo + i]);
      }
      double sum = 0;
      for (int i = 0; i < c; i++) {
        sum += Math.exp(x[xo + i] - mx);
      }
      for (int i = 0; i < c; i++) {
        out[oo + i] = (float) (Math.exp(x[xo + i] - mx) / sum);
      }
    }
  }

  // ---------------------------------------------------------------- optimizer and reductions

  /**
   * One AdamW step over p, g[off, off+n) and m, v[mOff, mOff+n) (the moments may be a compact shard
   * of the parameters): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= lr·((m/bc1)/(sqrt(v/bc2) + eps) + wd·p), weight decay decoupled as in PyTorch's AdamW.
   *
   * @param bc1 1 − β1^step
   * @param bc2 1 − β2^step
   */
  public static void adamw(float[] p, float[] g, float[] m, float[] v, int off, int mOff, int n, float lr,
      float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
    for (int i = 0; i < n; i++) {
      adamwOne(p, g, m, v, off + i, mOff + i, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    }
  }

  /** Σ x² over x[off, off+n), accumulated in double from left to right. */
  public static double sumOfSquares(float[] x, int off, int n) {
    double s = 0;
    for (int i = off; i < off + n; i++) {
      s += (double) x[i] * x[i];
    }
    return s;
  }

  /** x[i] *= s. */
  public static void scale(float[] x, int off, int n, float s) {
    for (int i = off; i < off + n; i++) {
      x[i] *= s;
    }
  }

  // ---------------------------------------------------------------- shared with VectorOps

  /** The AdamW update of element i; VectorOps uses it for its tail so both agree bit for bit. */
  static void adamwOne(float[] p, float[] g, float[] m, float[] v, int i, int j, float lr, float beta1,
      float beta2, float eps, float weightDecay, float bc1, float bc2) {
    float gi = g[i];
    float mi = beta1 * m[j] + (1f - beta1) * gi;
    float vi = beta2 * v[j] + (1f - beta2) * gi * gi;
    m[j] = mi;
    v[j] = vi;
    float mhat = mi / bc1;
    float vhat = vi / bc2;
    p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + weightDecay * p[i]);
  }

  static void checkRope(int hs) {
    if (hs <= 0 || hs % 2 != 0) {
      throw new IllegalArgumentException("rope needs a positive even head size, got hs=" + hs);
    }
  }

  /** Returns target, or throws if it is not a valid class index or an ignore marker (< 0). */
  static int checkTarget(int target, int v, int row) {
    if (target >= v) {
      throw new IllegalArgumentException("target " + target + " at row " + row + " is outside the vocabulary [0, "
          + v + ")");
    }
    return target;
  }

  private static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }
}
