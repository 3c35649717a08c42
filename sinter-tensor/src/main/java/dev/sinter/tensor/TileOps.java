// Building blocks of the tiled attention kernels (VectorAttention): the register-blocked
// micro-kernel every tile product goes through, a vector exp2 for the softmax, and tile copies.
//
// mm4 computes four rows of C = A·B at a time for the small, cache-resident tiles of attention
// (tens of rows, hs columns). A is read one scalar at a time and broadcast, B as whole vectors, so
// B's rows must hold whole vectors (padded, or hs a multiple of L) while A may be any strided view,
// including a transposed one. The reduction runs in ascending k, so results are deterministic.
//
// Accumulators start from FloatVector.zero inside each method, never from a static FloatVector
// field: C2 keeps loop-carried vectors in registers only when every value merging into them is an
// intrinsic, and a static constant in the phi makes it box on every iteration (about 10x slower).
//
// Legend: L floats per vector; C, A, B row-major float[] with element offsets and row strides.
package dev.sinter.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Micro-kernel, exp2 and tile copies for the tiled attention kernels. */
final class TileOps {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  private TileOps() {}

  /**
   * The micro-kernel: {@code C[r][·] (+)= Σ_{k∈[k0,k1)} A(r, k) · B[k][·]} for the four rows r of C
   * starting at cOff and the first nVec vectors of columns. A(r, k) is {@code a[aOff + r·aRow +
   * k·aK]}, so the same kernel reads A or Aᵀ; B rows are {@code b[bOff + k·ldb ..]}. Sums run in
   * ascending k.
   */
  static void mm4(float[] c, int cOff, int ldc, boolean accumulate,
      float[] a, int aOff, int aRow, int aK, float[] b, int bOff, int ldb, int nVec, int k0, int k1) {
    mm4(c, cOff, ldc, accumulate, null, 0, a, aOff, aRow, aK, b, bOff, ldb, nVec, k0, k1);
  }

  /**
   * {@link #mm4} that, when accumulating, first multiplies row r of C by {@code scale[scaleOff + r]}
   * (null: by nothing): the online softmax's rescaling of the output rows, done as C is loaded
   * instead of in a pass of its own, with the same multiply.
   */
  static void mm4(float[] c, int cOff, int ldc, boolean accumulate, float[] scale, int scaleOff,
      float[] a, int aOff, int aRow, int aK, float[] b, int bOff, int ldb, int nVec, int k0, int k1) {
    // Twelve accumulators, three B vectors and a broadcast fill AVX2's sixteen registers; measured
    // 25% faster than four by two, which leaves the load ports busier than the FMA units. A single
    // vector left after the threes (nVec = 4, 7, ...) goes with the last three as two by two: four
    // accumulators are half the FMA chains the core needs in flight (latency 4 × 2 ports).
    int threes = nVec / 3;
    int rest = nVec - 3 * threes;
    if (rest == 1 && threes > 0) {
      threes--;
      rest = 4;
    }
    int v = 0;
    for (int i = 0; i < threes; i++, v += 3) {
      mm4x3(c, cOff + v * L, ldc, accumulate, scale, scaleOff, a, aOff, aRow, aK, b, bOff + v * L,
          ldb, k0, k1);
    }
    for (; rest >= 2; rest -= 2, v += 2) {
      mm4x2(c, cOff + v * L, ldc, accumulate, scale, scaleOff, a, aOff, aRow, aK, b, bOff + v * L,
          ldb, k0, k1);
    }
    if (rest == 1) {
      mm4x1(c, cOff + v * L, ldc, accumulate, scale, scaleOff, a, aOff, aRow, aK, b, bOff + v * L,
          ldb, k0, k1);
    }
  }

  private static void mm4x3(float[] c, int c0, int ldc, boolean accumulate, float[] scale,
      int scaleOff, float[] a, int aOff, int aRow, int aK, float[] b, int bOff, int ldb, int k0,
      int k1) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector x00 = FloatVector.zero(F);
    FloatVector x01 = FloatVector.zero(F);
    FloatVector x02 = FloatVector.zero(F);
    FloatVector x10 = FloatVector.zero(F);
    FloatVector x11 = FloatVector.zero(F);
    FloatVector x12 = FloatVector.zero(F);
    FloatVector x20 = FloatVector.zero(F);
    FloatVector x21 = FloatVector.zero(F);
    FloatVector x22 = FloatVector.zero(F);
    FloatVector x30 = FloatVector.zero(F);
    FloatVector x31 = FloatVector.zero(F);
    FloatVector x32 = FloatVector.zero(F);
    if (accumulate) {
      x00 = loadC(c, c0, scale, scaleOff);
      x01 = loadC(c, c0 + L, scale, scaleOff);
      x02 = loadC(c, c0 + 2 * L, scale, scaleOff);
      x10 = loadC(c, c1, scale, scaleOff + 1);
      x11 = loadC(c, c1 + L, scale, scaleOff + 1);
      x12 = loadC(c, c1 + 2 * L, scale, scaleOff + 1);
      x20 = loadC(c, c2, scale, scaleOff + 2);
      x21 = loadC(c, c2 + L, scale, scaleOff + 2);
      x22 = loadC(c, c2 + 2 * L, scale, scaleOff + 2);
      x30 = loadC(c, c3, scale, scaleOff + 3);
      x31 = loadC(c, c3 + L, scale, scaleOff + 3);
      x32 = loadC(c, c3 + 2 * L, scale, scaleOff + 3);
    }
    int ai = aOff + k0 * aK;
    int bi = bOff + k0 * ldb;
    for (int k = k0; k < k1; k++, ai += aK, bi += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      FloatVector b1 = FloatVector.fromArray(F, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(F, b, bi + 2 * L);
      FloatVector x = FloatVector.broadcast(F, a[ai]);
      x00 = x.fma(b0, x00);
      x01 = x.fma(b1, x01);
      x02 = x.fma(b2, x02);
      x = FloatVector.broadcast(F, a[ai + aRow]);
      x10 = x.fma(b0, x10);
      x11 = x.fma(b1, x11);
      x12 = x.fma(b2, x12);
      x = FloatVector.broadcast(F, a[ai + 2 * aRow]);
      x20 = x.fma(b0, x20);
      x21 = x.fma(b1, x21);
      x22 = x.fma(b2, x22);
      x = FloatVector.broadcast(F, a[ai + 3 * aRow]);
      x30 = x.fma(b0, x30);
      x31 = x.fma(b1, x31);
      x32 = x.fma(b2, x32);
    }
    x00.intoArray(c, c0);
    x01.intoArray(c, c0 + L);
    x02.intoArray(c, c0 + 2 * L);
    x10.intoArray(c, c1);
    x11.intoArray(c, c1 + L);
    x12.intoArray(c, c1 + 2 * L);
    x20.intoArray(c, c2);
    x21.intoArray(c, c2 + L);
    x22.intoArray(c, c2 + 2 * L);
    x30.intoArray(c, c3);
    x31.intoArray(c, c3 + L);
    x32.intoArray(c, c3 + 2 * L);
  }

  private static void mm4x2(float[] c, int c0, int ldc, boolean accumulate, float[] scale,
      int scaleOff, float[] a, int aOff, int aRow, int aK, float[] b, int bOff, int ldb, int k0,
      int k1) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector x00 = FloatVector.zero(F);
    FloatVector x01 = FloatVector.zero(F);
    FloatVector x10 = FloatVector.zero(F);
    FloatVector x11 = FloatVector.zero(F);
    FloatVector x20 = FloatVector.zero(F);
    FloatVector x21 = FloatVector.zero(F);
    FloatVector x30 = FloatVector.zero(F);
    FloatVector x31 = FloatVector.zero(F);
    if (accumulate) {
      x00 = loadC(c, c0, scale, scaleOff);
      x01 = loadC(c, c0 + L, scale, scaleOff);
      x10 = loadC(c, c1, scale, scaleOff + 1);
      x11 = loadC(c, c1 + L, scale, scaleOff + 1);
      x20 = loadC(c, c2, scale, scaleOff + 2);
      x21 = loadC(c, c2 + L, scale, scaleOff + 2);
      x30 = loadC(c, c3, scale, scaleOff + 3);
      x31 = loadC(c, c3 + L, scale, scaleOff + 3);
    }
    int ai = aOff + k0 * aK;
    int bi = bOff + k0 * ldb;
    for (int k = k0; k < k1; k++, ai += aK, bi += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      FloatVector b1 = FloatVector.fromArray(F, b, bi + L);
      FloatVector x = FloatVector.broadcast(F, a[ai]);
      x00 = x.fma(b0, x00);
      x01 = x.fma(b1, x01);
      x = FloatVector.broadcast(F, a[ai + aRow]);
      x10 = x.fma(b0, x10);
      x11 = x.fma(b1, x11);
      x = FloatVector.broadcast(F, a[ai + 2 * aRow]);
      x20 = x.fma(b0, x20);
      x21 = x.fma(b1, x21);
      x = FloatVector.broadcast(F, a[ai + 3 * aRow]);
      x30 = x.fma(b0, x30);
      x31 = x.fma(b1, x31);
    }
    x00.intoArray(c, c0);
    x01.intoArray(c, c0 + L);
    x10.intoArray(c, c1);
    x11.intoArray(c, c1 + L);
    x20.intoArray(c, c2);
    x21.intoArray(c, c2 + L);
    x30.intoArray(c, c3);
    x31.intoArray(c, c3 + L);
  }

  private static void mm4x1(float[] c, int c0, int ldc, boolean accumulate, float[] scale,
      int scaleOff, float[] a, int aOff, int aRow, int aK, float[] b, int bOff, int ldb, int k0,
      int k1) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector x0 = FloatVector.zero(F);
    FloatVector x1 = FloatVector.zero(F);
    FloatVector x2 = FloatVector.zero(F);
    FloatVector x3 = FloatVector.zero(F);
    if (accumulate) {
      x0 = loadC(c, c0, scale, scaleOff);
      x1 = loadC(c, c1, scale, scaleOff + 1);
      x2 = loadC(c, c2, scale, scaleOff + 2);
      x3 = loadC(c, c3, scale, scaleOff + 3);
    }
    int ai = aOff + k0 * aK;
    int bi = bOff + k0 * ldb;
    for (int k = k0; k < k1; k++, ai += aK, bi += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      x0 = FloatVector.broadcast(F, a[ai]).fma(b0, x0);
      x1 = FloatVector.broadcast(F, a[ai + aRow]).fma(b0, x1);
      x2 = FloatVector.broadcast(F, a[ai + 2 * aRow]).fma(b0, x2);
      x3 = FloatVector.broadcast(F, a[ai + 3 * aRow]).fma(b0, x3);
    }
    x0.intoArray(c, c0);
    x1.intoArray(c, c1);
    x2.intoArray(c, c2);
    x3.intoArray(c, c3);
  }

  /** Row r's vector of C at off for an accumulating product, times scale[s] when scale is set. */
  private static FloatVector loadC(float[] c, int off, float[] scale, int s) {
    FloatVector x = FloatVector.fromArray(F, c, off);
    return scale == null ? x : x.mul(scale[s]);
  }

  // Cephes exp2f minimax coefficients: 2^f ≈ 1 + f·P(f) on [-0.5, 0.5], relative error ~2e-7.
  private static final float E1 = 6.931472028550421e-1f;
  private static final float E2 = 2.402264791363012e-1f;
  private static final float E3 = 5.550332471162809e-2f;
  private static final float E4 = 9.618437357674640e-3f;
  private static final float E5 = 1.339887440266574e-3f;
  private static final float E6 = 1.535336188319500e-4f;
  /** 1.5·2²³: adding it rounds a float to an integer, which then sits in the low mantissa bits. */
  private static final float ROUND = 0x1.8p23f;

  /**
   * 2^x for x ≤ 127, relative error about 2e-7 down to x = -126; x below about -126.5, and -∞,
   * give exactly +0, which is what masked scores need. x = n + f with n = round(x): 2^n is built in
   * the exponent field and 2^f comes from the polynomial.
   */
  static FloatVector exp2(FloatVector x) {
    // At n = -127 the exponent field below becomes 0, so the result is +0 rather than a denormal.
    FloatVector xc = x.max(-127f);
    FloatVector t = xc.add(ROUND);
    FloatVector f = xc.sub(t.sub(ROUND));
    FloatVector p = f.fma(E6, E5);
    p = p.fma(f, FloatVector.broadcast(F, E4));
    p = p.fma(f, FloatVector.broadcast(F, E3));
    p = p.fma(f, FloatVector.broadcast(F, E2));
    p = p.fma(f, FloatVector.broadcast(F, E1));
    p = p.fma(f, FloatVector.broadcast(F, 1f));
    // bits(t) = 0x4B40_0000 + n; shifting (bits + 127) left by 23 drops the constant and leaves
    // the biased exponent n + 127.
    FloatVector pow2n = t.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23)
        .reinterpretAsFloats();
    return p.mul(pow2n);
  }

  /**
   * Copies rows [0, rows) of a strided source into dst rows of width ld, zero-filling columns
   * [width, ld) and whole rows [rows, rowsP).
   */
  static void loadPadded(float[] dst, int dstOff, int ld, float[] src, int srcOff, int srcStride,
      int rows, int rowsP, int width) {
    for (int i = 0; i < rows; i++) {
      System.arraycopy(src, srcOff + i * srcStride, dst, dstOff + i * ld, width);
      Arrays.fill(dst, dstOff + i * ld + width, dstOff + (i + 1) * ld, 0f);
    }
    Arrays.fill(dst, dstOff + rows * ld, dstOff + rowsP * ld, 0f);
  }

  /**
   * dst[dstOff + d·ld + j] = src row j, column d for j in [0, rows), d in [0, width): a tile stored
   * row-major becomes dimension-major so that products over its rows read contiguous vectors.
   * Columns [rows, ld) are zero-filled. Whole groups of L rows are gathered a column at a time
   * (one strided vector load, one contiguous store: 1.6× the scalar copy on a 64 × 64 tile);
   * {@code idx} (at least L ints) is scratch for the gather's offsets.
   */
  static void loadTransposed(float[] dst, int dstOff, int ld, float[] src, int srcOff,
      int srcStride, int rows, int width, int[] idx) {
    int full = rows / L * L;
    if (full > 0) {
      for (int i = 0; i < L; i++) {
        idx[i] = i * srcStride;
      }
      for (int j0 = 0; j0 < full; j0 += L) {
        int s0 = srcOff + j0 * srcStride;
        for (int d = 0; d < width; d++) {
          FloatVector.fromArray(F, src, s0 + d, idx, 0).intoArray(dst, dstOff + d * ld + j0);
        }
      }
    }
    for (int j = full; j < rows; j++) {
      int si = srcOff + j * srcStride;
      for (int d = 0; d < width; d++) {
        dst[dstOff + d * ld + j] = src[si + d];
      }
    }
    if (rows < ld) {
      for (int d = 0; d < width; d++) {
        Arrays.fill(dst, dstOff + d * ld + rows, dstOff + (d + 1) * ld, 0f);
      }
    }
  }

}
