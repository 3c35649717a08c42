// Packing of GEMM operands into the micro-panel layouts that GemmMicroKernel streams.
//
// A[M,K] is read as a(i, p) = a[aOff + i·lda + p], or transposed, a[aOff + p·lda + i].
// B[K,N] is read as b(p, j) = b[bOff + p·ldb + j], or transposed, b[bOff + j·ldb + p].
// Per K chunk [p0, p0+kc): an A micro-panel (mr rows) is stored p-major, mr values per p; a B
// micro-panel (nr columns) p-major, nr values per p. Rows and columns past the edge of the matrix
// are zero so the micro-kernel never branches. Every loop writes sequentially and reads from a
// few sequential streams (whole rows of a row-major B at a time), never the other way round.
package dev.sinter.tensor;

import static dev.sinter.tensor.GemmMicroKernel.L;
import static dev.sinter.tensor.GemmMicroKernel.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

final class GemmPack {
  /**
   * Values of p handled together by the transposing packers (see their comments). For A the block
   * reads one 64-byte line from each of A_P_BLOCK rows of the source, reused by 4 panels; 16 rows
   * keep those lines in L1 (0.8 ns per element from DRAM, against 1.1 for 64 rows and 0.9 for 8).
   * When the source's row stride is a multiple of 4 KiB, every row maps to the same L1 sets and
   * 16 rows overflow their 8 ways, so the block halves (dY of a 3072-wide layer: 2.0 ms → 1.6 ms).
   */
  private static final int P_BLOCK = 64;
  private static final int A_P_BLOCK = 16;

  private GemmPack() {}

  /**
   * Packs A rows [i0, i0+rows), K range [p0, p0+kc), as ceil(rows/mr) consecutive micro-panels of
   * mr·kc floats from dst[d], each p-major (mr values per p); rows past the edge are zero.
   *
   * @param sums if non-null (transposed A only), sums[sumsOff + r] += a(i0+r, p) for each p in
   *     increasing order, one float add at a time (the order of a plain loop over p)
   */
  static void packA(float[] dst, int d, float[] a, int aOff, int lda, boolean trans,
      int i0, int rows, int mr, int p0, int kc, float[] sums, int sumsOff) {
    if (trans) {
      packATransposed(dst, d, a, aOff, lda, i0, rows, mr, p0, kc, sums, sumsOff);
      return;
    }
    for (int q = 0; q * mr < rows; q++) {
      int panel = d + q * mr * kc;
      int src = aOff + (i0 + q * mr) * lda + p0;
      int n = Math.min(mr, rows - q * mr);
      if (n == 4 && mr == 4) {
        // Four read streams and one sequential write stream: no strided stores.
        for (int p = 0; p < kc; p++) {
          int o = panel + 4 * p;
          dst[o] = a[src + p];
          dst[o + 1] = a[src + lda + p];
          dst[o + 2] = a[src + 2 * lda + p];
          dst[o + 3] = a[src + 3 * lda + p];
        }
      } else if (n == 6 && mr == 6) {
        for (int p = 0; p < kc; p++) {
          int o = panel + 6 * p;
          dst[o] = a[src + p];
          dst[o + 1] = a[src + lda + p];
          dst[o + 2] = a[src + 2 * lda + p];
          dst[o + 3] = a[src + 3 * lda + p];
          dst[o + 4] = a[src + 4 * lda + p];
          dst[o + 5] = a[src + 5 * lda + p];
        }
      } else {
        for (int p = 0; p < kc; p++) {
          for (int r = 0; r < mr; r++) {
            dst[panel + p * mr + r] = r < n ? a[src + r * lda + p] : 0f;
          }
        }
      }
    }
  }

  /** {@link #packA} for a(i, p) = a[aOff + p·lda + i]: each p is a contiguous run of rows. */
  private static void packATransposed(float[] dst, int d, float[] a, int aOff, int lda, int i0,
      int rows, int mr, int p0, int kc, float[] sums, int sumsOff) {
    int full = rows / mr;
    int tail = rows - full * mr;
    int block = lda % 1024 == 0 ? A_P_BLOCK / 2 : A_P_BLOCK;
    // Blocks of `block` values of p: the block's source lines stay in L1 while every panel gets
    // its block·mr contiguous floats, so no more than one destination stream is open at a time.
    for (int pb = 0; pb < kc; pb += block) {
      int pe = Math.min(kc, pb + block);
      for (int q = 0; q < full; q++) {
        int t = d + q * mr * kc;
        int f = aOff + i0 + q * mr;
        if (mr == 4) {
          // Whole 8-float vectors where they fit: each copies this p's 4 values and 4 that the
          // next p's copy overwrites, 1.3–1.7× faster than 4-float copies (measured on dY of
          // 768–3072 columns). The panel's last p, and a run whose 8-float reads would pass the
          // end of the array, take the 4-float copy: a constant-length arraycopy, which C2 turns
          // into one 128-bit move. Not a 128-bit FloatVector: a second species in the process
          // pollutes the type profiles of FloatVector.fromArray/intoArray, and a micro-kernel
          // compiled after that lost its store intrinsic and ran at 4 GFLOP/s instead of 80 in one
          // JVM start of four (measured).
          int wideEnd = L != 8 || f + (p0 + pe - 1) * lda + L > a.length ? pb
              : pe == kc ? pe - 1 : pe;
          for (int p = pb; p < wideEnd; p++) {
            FloatVector.fromArray(S, a, f + (p0 + p) * lda).intoArray(dst, t + 4 * p);
          }
          for (int p = wideEnd; p < pe; p++) {
            System.arraycopy(a, f + (p0 + p) * lda, dst, t + 4 * p, 4);
          }
        } else {
          for (int p = pb; p < pe; p++) {
            System.arraycopy(a, f + (p0 + p) * lda, dst, t + mr * p, mr);
          }
        }
      }
      if (tail > 0) {
        int t = d + full * mr * kc;
        int f = aOff + i0 + full * mr;
        for (int p = pb; p < pe; p++) {
          for (int r = 0; r < mr; r++) {
            dst[t + mr * p + r] = r < tail ? a[f + (p0 + p) * lda + r] : 0f;
          }
        }
      }
    }
    if (sums != null) {
      // Lane j adds a(i0+j, p) to sums[j]: per row, the same sequence of float adds as a loop.
      int vecEnd = rows / L * L;
      for (int p = 0; p < kc; p++) {
        int src = aOff + (p0 + p) * lda + i0;
        for (int v = 0; v < vecEnd; v += L) {
          FloatVector.fromArray(S, sums, sumsOff + v).add(FloatVector.fromArray(S, a, src + v))
              .intoArray(sums, sumsOff + v);
        }
        for (int r = vecEnd; r < rows; r++) {
          sums[sumsOff + r] += a[src + r];
        }
      }
    }
  }

  /**
   * Packs rows [pFrom, pTo) of the K chunk [p0, p0+kc) of a row-major B, b(p, j) = b[bOff + p·ldb
   * + j], columns [j0, j0+cols), into the ceil(cols/nr) micro-panels of the chunk at dst[d]. Whole
   * rows at a time, so the source is read sequentially.
   */
  static void packBRows(float[] dst, int d, float[] b, int bOff, int ldb, int j0, int cols, int nr,
      int p0, int kc, int pFrom, int pTo) {
    int full = cols / nr;
    int tail = cols - full * nr;
    for (int p = pFrom; p < pTo; p++) {
      int src = bOff + (p0 + p) * ldb + j0;
      int o = d + p * nr;
      for (int q = 0; q < full; q++) {
        for (int v = 0; v < nr; v += L) {
          FloatVector.fromArray(S, b, src + q * nr + v).intoArray(dst, o + q * nr * kc + v);
        }
      }
      if (tail > 0) {
        int t = o + full * nr * kc;
        System.arraycopy(b, src + full * nr, dst, t, tail);
        Arrays.fill(dst, t + tail, t + nr, 0f);
      }
    }
  }

  /**
   * Packs a transposed B, b(p, j) = b[bOff + j·ldb + p], columns [j0, j0+cols), K range
   * [p0, p0+kc), as ceil(cols/nr) consecutive micro-panels of nr·kc floats from dst[d]; columns
   * past the edge are zero.
   */
  static void packBTransposed(float[] dst, int d, float[] b, int bOff, int ldb, int j0, int cols,
      int nr, int p0, int kc) {
    for (int q = 0; q * nr < cols; q++) {
      int c0 = q * nr;
      packBPanelTransposed(dst, d + q * nr * kc, b, bOff + (j0 + c0) * ldb + p0, ldb,
          Math.min(nr, cols - c0), nr, kc);
    }
  }

  /**
   * One transposed B micro-panel: column j of the panel is row j of b (kc contiguous values from
   * src + j·ldb). Row by row, so reads are sequential; nr is 2 or 4 vectors (GemmBlocking), and
   * spelling it as a compile-time constant in each branch lets C2 drop the range checks and unroll.
   */
  private static void packBPanelTransposed(float[] dst, int panel, float[] b, int src, int ldb,
      int n, int nr, int kc) {
    if (n < nr) {
      Arrays.fill(dst, panel, panel + nr * kc, 0f);
    }
    // Blocks of P_BLOCK values of p keep the destination block (P_BLOCK·nr floats) in L1 across
    // the nr source rows.
    if (nr == 2 * L) {
      for (int pb = 0; pb < kc; pb += P_BLOCK) {
        int pe = Math.min(kc, pb + P_BLOCK);
        for (int j = 0; j < n; j++) {
          int s = src + j * ldb;
          int o = panel + j;
          for (int p = pb; p < pe; p++) {
            dst[o + p * (2 * L)] = b[s + p];
          }
        }
      }
    } else {
      for (int pb = 0; pb < kc; pb += P_BLOCK) {
        int pe = Math.min(kc, pb + P_BLOCK);
        for (int j = 0; j < n; j++) {
          int s = src + j * ldb;
          int o = panel + j;
          for (int p = pb; p < pe; p++) {
            dst[o + p * (4 * L)] = b[s + p];
          }
        }
      }
    }
  }
}
