// Plain-loop reference for the three matmul forms of training; VectorGemm is tested against it.
//
// Legend: M rows (tokens), N output features, K input features; row-major flat float[] with element
// offsets. Every output element is one float dot product summed in natural (increasing) index
// order, then stored (forward, input gradient) or added to the output (weight gradient); the bias
// gradient is accumulated row by row, as llm.c does.
package dev.sinter.tensor;

/** Reference fp32 matrix products; slow, simple, and the definition of the expected result. */
public final class ScalarGemm {
  private ScalarGemm() {}

  /** Y[M,N] = X[M,K]·W[N,K]ᵀ (+ bias[N]); Y overwritten; bias may be null. */
  public static void matmul(float[] y, int yOff, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, int m, int n, int k) {
    VectorGemm.checkDims(m, n, k);
    for (int i = 0; i < m; i++) {
      int xi = xOff + i * k;
      for (int j = 0; j < n; j++) {
        int wj = wOff + j * k;
        float s = 0f;
        for (int p = 0; p < k; p++) {
          s += x[xi + p] * w[wj + p];
        }
        y[yOff + i * n + j] = bias == null ? s : s + bias[biasOff + j];
      }
    }
  }

  /** dX[M,K] = dY[M,N]·W[N,K]; dX overwritten. */
  public static void matmulBackwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w,
      int wOff, int m, int n, int k) {
    VectorGemm.checkDims(m, n, k);
    for (int i = 0; i < m; i++) {
      int dyi = dyOff + i * n;
      for (int p = 0; p < k; p++) {
        float s = 0f;
        for (int j = 0; j < n; j++) {
          s += dy[dyi + j] * w[wOff + j * k + p];
        }
        dx[dxOff + i * k + p] = s;
      }
    }
  }

  /** dW[N,K] += dY[M,N]ᵀ·X[M,K];  dBias[N] += Σ_m dY[m,:]  (dbias may be null) */
  public static void matmulBackwardWeight(float[] dw, int dwOff, float[] dbias, int dbiasOff,
      float[] dy, int dyOff, float[] x, int xOff, int m, int n, int k) {
    VectorGemm.checkDims(m, n, k);
    for (int j = 0; j < n; j++) {
      for (int p = 0; p < k; p++) {
        float s = 0f;
        for (int i = 0; i < m; i++) {
          s += dy[dyOff + i * n + j] * x[xOff + i * k + p];
        }
        dw[dwOff + j * k + p] += s;
      }
    }
    if (dbias != null) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          dbias[dbiasOff + j] += dy[dyOff + i * n + j];
        }
      }
    }
  }
}
