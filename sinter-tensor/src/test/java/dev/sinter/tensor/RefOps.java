// Double-precision references of the non-matmul kernels, for tests only.
//
// Each formula is written out from its definition, independently of ScalarOps and VectorOps (gelu
// uses tanh and sech², not the sigmoid form of the fast kernel), and its backward is itself held to
// central differences by GradientCheckTest. Arrays carry no offsets; backward passes accumulate,
// like the kernels they check.
// Legend: C channels, F hidden width of the MLP, V vocabulary, B batch, T time, hs head size.
package dev.sinter.tensor;

import java.util.Arrays;

final class RefOps {
  static final double GELU_K = Math.sqrt(2.0 / Math.PI);
  static final double GELU_A = 0.044715;

  private RefOps() {}

  /** out[rows,C] = x·rstd·w, rstd = 1/sqrt(mean(x²) + eps). */
  static void rmsnormForward(double[] out, double[] rstd, double[] x, double[] w, int rows, int c, double eps) {
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int i = 0; i < c; i++) {
        ss += x[r * c + i] * x[r * c + i];
      }
      rstd[r] = 1.0 / Math.sqrt(ss / c + eps);
      for (int i = 0; i < c; i++) {
        out[r * c + i] = x[r * c + i] * rstd[r] * w[i];
      }
    }
  }

  /** ∂out_i/∂x_j = rstd·w_i·δij − w_i·x_i·x_j·rstd³/C. */
  static void rmsnormBackward(double[] dx, double[] dw, double[] dout, double[] x, double[] w, double[] rstd,
      int rows, int c) {
    for (int r = 0; r < rows; r++) {
      double s = rstd[r];
      double dot = 0;
      for (int i = 0; i < c; i++) {
        dot += dout[r * c + i] * w[i] * x[r * c + i];
      }
      for (int i = 0; i < c; i++) {
        dx[r * c + i] += s * w[i] * dout[r * c + i] - x[r * c + i] * s * s * s * dot / c;
        dw[i] += dout[r * c + i] * x[r * c + i] * s;
      }
    }
  }

  /** out = (x − mean)·rstd·w + b with the biased variance. */
  static void layernormForward(double[] out, double[] mean, double[] rstd, double[] x, double[] w, double[] b,
      int rows, int c, double eps) {
    for (int r = 0; r < rows; r++) {
      double mu = 0;
      for (int i = 0; i < c; i++) {
        mu += x[r * c + i];
      }
      mu /= c;
      double var = 0;
      for (int i = 0; i < c; i++) {
        var += (x[r * c + i] - mu) * (x[r * c + i] - mu);
      }
      mean[r] = mu;
      rstd[r] = 1.0 / Math.sqrt(var / c + eps);
      for (int i = 0; i < c; i++) {
        out[r * c + i] = (x[r * c + i] - mu) * rstd[r] * w[i] + b[i];
      }
    }
  }

  static void layernormBackward(double[] dx, double[] dw, double[] db, double[] dout, double[] x, double[] w,
      double[] mean, double[] rstd, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      double meanG = 0;
      double meanGn = 0;
      for (int i = 0; i < c; i++) {
        double n = (x[r * c + i] - mean[r]) * rstd[r];
        meanG += dout[r * c + i] * w[i];
        meanGn += dout[r * c + i] * w[i] * n;
      }
      meanG /= c;
      meanGn /= c;
      for (int i = 0; i < c; i++) {
        double n = (x[r * c + i] - mean[r]) * rstd[r];
        double g = dout[r * c + i] * w[i];
        dx[r * c + i] += (g - meanG - n * meanGn) * rstd[r];
        dw[i] += dout[r * c + i] * n;
        db[i] += dout[r * c + i];
      }
    }
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /** out[r,f] = g·σ(g)·up with gu rows [gate F | up F]. */
  static void swigluForward(double[] out, double[] gu, int rows, int f) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < f; i++) {
        double g = gu[r * 2 * f + i];
        out[r * f + i] = g * sigmoid(g) * gu[r * 2 * f + f + i];
      }
    }
  }

  static void swigluBackward(double[] dgu, double[] dout, double[] gu, int rows, int f) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < f; i++) {
        double g = gu[r * 2 * f + i];
        double up = gu[r * 2 * f + f + i];
        double s = sigmoid(g);
        double dy = dout[r * f + i];
        dgu[r * 2 * f + i] += dy * up * (s + g * s * (1 - s));
        dgu[r * 2 * f + f + i] += dy * g * s;
      }
    }
  }

  static void geluForward(double[] out, double[] x) {
    for (int i = 0; i < x.length; i++) {
      double u = GELU_K * (x[i] + GELU_A * x[i] * x[i] * x[i]);
      out[i] = 0.5 * x[i] * (1 + Math.tanh(u));
    }
  }

  static void geluBackward(double[] dx, double[] dout, double[] x) {
    for (int i = 0; i < x.length; i++) {
      double u = GELU_K * (x[i] + GELU_A * x[i] * x[i] * x[i]);
      double sech = 1 / Math.cosh(u);
      double grad = 0.5 * (1 + Math.tanh(u)) + 0.5 * x[i] * sech * sech * GELU_K * (1 + 3 * GELU_A * x[i] * x[i]);
      dx[i] += dout[i] * grad;
    }
  }

  /** In place on the first heads·hs columns of each of the b·t rows of width stride. */
  static void rope(double[] x, int stride, double[] cos, double[] sin, int b, int t, int heads, int hs,
      boolean inverse) {
    int half = hs / 2;
    for (int r = 0; r < b * t; r++) {
      int pos = r % t;
      for (int h = 0; h < heads; h++) {
        int o = r * stride + h * hs;
        for (int i = 0; i < half; i++) {
          double cs = cos[pos * half + i];
          double sn = inverse ? -sin[pos * half + i] : sin[pos * half + i];
          double x1 = x[o + i];
          double x2 = x[o + half + i];
          x[o + i] = x1 * cs - x2 * sn;
          x[o + half + i] = x2 * cs + x1 * sn;
        }
      }
    }
  }

  static void softmaxForward(double[] out, double[] x, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      double mx = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        mx = Math.max(mx, x[r * c + i]);
      }
      double sum = 0;
      for (int i = 0; i < c; i++) {
        sum += Math.exp(x[r * c + i] - mx);
      }
      for (int i = 0; i < c; i++) {
        out[r * c + i] = Math.exp(x[r * c + i] - mx) / sum;
      }
    }
  }

  /** dx += y ⊙ (dout − Σ dout·y) per row. */
  static void softmaxBackward(double[] dx, double[] dout, double[] y, int rows, int c) {
    for (int r = 0; r < rows; r++) {
      double dot = 0;
      for (int i = 0; i < c; i++) {
        dot += dout[r * c + i] * y[r * c + i];
      }
      for (int i = 0; i < c; i++) {
        dx[r * c + i] += y[r * c + i] * (dout[r * c + i] - dot);
      }
    }
  }

  /** In place on logits[rows,V]; see Kernels.crossEntropy. */
  static void crossEntropy(double[] losses, double[] logits, int[] targets, int rows, int v, double gradScale) {
    for (int r = 0; r < rows; r++) {
      int o = r * v;
      if (targets[r] < 0) {
        losses[r] = 0;
        Arrays.fill(logits, o, o + v, 0.0);
        continue;
      }
      double mx = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < v; i++) {
        mx = Math.max(mx, logits[o + i]);
      }
      double sum = 0;
      for (int i = 0; i < v; i++) {
        sum += Math.exp(logits[o + i] - mx);
      }
      double lse = mx + Math.log(sum);
      losses[r] = lse - logits[o + targets[r]];
      for (int i = 0; i < v; i++) {
        logits[o + i] = (Math.exp(logits[o + i] - lse) - (i == targets[r] ? 1 : 0)) * gradScale;
      }
    }
  }

  /** PyTorch AdamW (decoupled decay) for one step, over whole arrays. */
  static void adamw(double[] p, double[] g, double[] m, double[] v, double lr, double beta1, double beta2,
      double eps, double weightDecay, int step) {
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    for (int i = 0; i < p.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + weightDecay * p[i]);
    }
  }
}
