// The three matmul forms of training on the Vector API: packed, cache-blocked, multi-threaded.
//
// Legend: M rows (tokens), N output features, K input features. Row-major flat float[] with
// element offsets; outputs first, then inputs, then sizes (llm.c order).
//   forward          Y[M,N]  = X[M,K]·W[N,K]ᵀ (+ bias[N])   GEMM A = X,  B = Wᵀ (read transposed)
//   backward input   dX[M,K]  = dY[M,N]·W[N,K]              GEMM A = dY, B = W
//   backward weight  dW[N,K] += dY[M,N]ᵀ·X[M,K]             GEMM A = dYᵀ (read transposed), B = X
//                    dBias[N] += Σ_m dY[m,:]                 summed while dYᵀ is packed
// All three run on GemmDriver (blocking in GemmBlocking, micro-kernels in GemmMicroKernel). The
// work is split into tasks that depend only on (M, N, K), and each output element is reduced over
// K in a fixed order, so results are bitwise identical for any number of threads. ScalarGemm is the
// reference these are tested against.
package dev.sinter.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Fast fp32 matrix products for the forward and backward passes of linear layers.
 *
 * <p>Products of at least 128³ multiply-adds run on all threads of {@code pool} (null: the calling
 * thread alone); smaller ones stay on the calling thread. Results do not depend on the pool's size.
 * Each calling thread keeps its own packing buffers (double-buffered K chunks of both operands,
 * at most 64 MiB, about 45 MiB on the GPT-2-small shapes), reused by every later call.
 */
public final class VectorGemm {
  static final GemmBlocking BLOCKING = GemmBlocking.forLanes(GemmMicroKernel.L);
  // Packing buffers belong to the calling thread, which owns the call; pool workers only fill them.
  private static final ThreadLocal<GemmDriver> DRIVER =
      ThreadLocal.withInitial(() -> new GemmDriver(BLOCKING));

  private VectorGemm() {}

  /** Bits of the vector registers the kernels use (256 for AVX2, 512 for AVX-512). */
  public static int vectorBits() {
    return GemmMicroKernel.S.vectorBitSize();
  }

  /** Y[M,N] = X[M,K]·W[N,K]ᵀ (+ bias[N]); Y overwritten; bias may be null. */
  public static void matmul(ThreadPool pool, float[] y, int yOff, float[] x, int xOff, float[] w,
      int wOff, float[] bias, int biasOff, int m, int n, int k) {
    checkDims(m, n, k);
    checkRange("y", y, yOff, (long) m * n);
    checkRange("x", x, xOff, (long) m * k);
    checkRange("w", w, wOff, (long) n * k);
    if (bias != null) {
      checkRange("bias", bias, biasOff, n);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          y[yOff + i * n + j] = bias == null ? 0f : bias[biasOff + j];
        }
      }
      return;
    }
    if (m <= GemmRows.MAX_ROWS) {
      GemmRows.matmul(pool, y, yOff, x, xOff, w, wOff, bias, biasOff, m, n, k);
      return;
    }
    DRIVER.get().gemm(pool, y, yOff, n, x, xOff, k, false, w, wOff, k, true, m, n, k,
        false, bias, biasOff, null, 0);
  }

  /** dX[M,K] = dY[M,N]·W[N,K]; dX overwritten. */
  public static void matmulBackwardInput(ThreadPool pool, float[] dx, int dxOff, float[] dy,
      int dyOff, float[] w, int wOff, int m, int n, int k) {
    checkDims(m, n, k);
    checkRange("dx", dx, dxOff, (long) m * k);
    checkRange("dy", dy, dyOff, (long) m * n);
    checkRange("w", w, wOff, (long) n * k);
    if (n == 0) {
      Arrays.fill(dx, dxOff, dxOff + m * k, 0f);
      return;
    }
    DRIVER.get().gemm(pool, dx, dxOff, k, dy, dyOff, n, false, w, wOff, k, false, m, k, n,
        false, null, 0, null, 0);
  }

  /** dW[N,K] += dY[M,N]ᵀ·X[M,K];  dBias[N] += Σ_m dY[m,:]  (dbias may be null) */
  public static void matmulBackwardWeight(ThreadPool pool, float[] dw, int dwOff, float[] dbias,
      int dbiasOff, float[] dy, int dyOff, float[] x, int xOff, int m, int n, int k) {
    checkDims(m, n, k);
    checkRange("dw", dw, dwOff, (long) n * k);
    checkRange("dy", dy, dyOff, (long) m * n);
    checkRange("x", x, xOff, (long) m * k);
    if (dbias != null) {
      checkRange("dbias", dbias, dbiasOff, n);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      // No dW to compute, so no packing of dYᵀ to fuse the bias gradient into.
      if (dbias != null) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            dbias[dbiasOff + j] += dy[dyOff + i * n + j];
          }
        }
      }
      return;
    }
    DRIVER.get().gemm(pool, dw, dwOff, k, dy, dyOff, n, true, x, xOff, k, false, n, k, m,
        true, null, 0, dbias, dbiasOff);
  }

  static void checkDims(int m, int n, int k) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("negative matmul size: m=" + m + " n=" + n + " k=" + k);
    }
  }

  static void checkRange(String name, float[] a, int off, long len) {
    Objects.requireNonNull(a, name);
    if (off < 0 || len > a.length - (long) off) {
      throw new IndexOutOfBoundsException(name + ": [" + off + ", " + off + " + " + len
          + ") is outside an array of " + a.length);
    }
  }
}
