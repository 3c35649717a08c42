// Register-blocked micro-kernels of VectorGemm: C[MR, NR] (+)= Ap[kc, MR]ᵀ · Bp[kc, NR].
//
// Ap is a packed A micro-panel (for each p: the MR values A[0..MR-1, p]), Bp a packed B micro-panel
// (for each p: NR = NV·lanes consecutive values B[p, 0..NR-1]), both zero-padded, so the inner loop
// has no edge cases. Every index is an invariant plus the loop counter times a constant, which lets
// C2 hoist all range checks out of the loop; all accumulators are locals, so they stay in
// registers. One micro-tile per call and no manual unrolling: a loop over several micro-tiles
// inside one method, or a 2× unroll, left C2 reloading loop invariants from the stack and cost
// 10 % in L1 (measured).
// The epilogue adds C (accumulate) or bias (first pass of an overwriting product) and stores; an
// edge tile (fewer than MR rows or NR columns of C exist) stores through lane masks.
package dev.sinter.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

final class GemmMicroKernel {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  private GemmMicroKernel() {}

  /**
   * 4 × 2 vectors, for 256-bit (and 128-bit) vectors: C[mr, nr] (+)= Ap · Bp with the A micro-panel
   * at aOff (for each p, the 4 values A[0..3, p]) and the B micro-panel at bOff (for each p, the
   * 2·lanes values B[p, 0..]). c[cOff + r·ldc + j] for r &lt; mr, j &lt; nr receives the product,
   * plus the old C when {@code load}, plus bias[biasOff + j] when bias is non-null.
   */
  static void kernel4x2(int kc, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, int ldc, int mr, int nr, boolean load, float[] bias, int biasOff) {
    final int nrFull = 2 * L;
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int pa = aOff + p * 4;
      int pb = bOff + p * nrFull;
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector av = FloatVector.broadcast(S, a[pa]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, a[pa + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, a[pa + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, a[pa + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
    }
    if (mr == 4 && nr == nrFull) {
      FloatVector z0 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff);
      FloatVector z1 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + L);
      store(c, cOff, c00, load, z0);
      store(c, cOff + L, c01, load, z1);
      store(c, cOff + ldc, c10, load, z0);
      store(c, cOff + ldc + L, c11, load, z1);
      store(c, cOff + 2 * ldc, c20, load, z0);
      store(c, cOff + 2 * ldc + L, c21, load, z1);
      store(c, cOff + 3 * ldc, c30, load, z0);
      store(c, cOff + 3 * ldc + L, c31, load, z1);
      return;
    }
    VectorMask<Float> m0 = S.indexInRange(0, nr);
    VectorMask<Float> m1 = S.indexInRange(L, nr);
    FloatVector z0 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff, m0);
    FloatVector z1 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + L, m1);
    storeMasked(c, cOff, c00, load, z0, m0);
    storeMasked(c, cOff + L, c01, load, z1, m1);
    if (mr > 1) {
      storeMasked(c, cOff + ldc, c10, load, z0, m0);
      storeMasked(c, cOff + ldc + L, c11, load, z1, m1);
    }
    if (mr > 2) {
      storeMasked(c, cOff + 2 * ldc, c20, load, z0, m0);
      storeMasked(c, cOff + 2 * ldc + L, c21, load, z1, m1);
    }
    if (mr > 3) {
      storeMasked(c, cOff + 3 * ldc, c30, load, z0, m0);
      storeMasked(c, cOff + 3 * ldc + L, c31, load, z1, m1);
    }
  }

  /** 6 × 4 vectors, for 512-bit vectors (32 registers); same contract as {@link #kernel4x2}. */
  static void kernel6x4(int kc, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, int ldc, int mr, int nr, boolean load, float[] bias, int biasOff) {
    final int nrFull = 4 * L;
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    FloatVector c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int pa = aOff + p * 6;
      int pb = bOff + p * nrFull;
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector b2 = FloatVector.fromArray(S, b, pb + 2 * L);
      FloatVector b3 = FloatVector.fromArray(S, b, pb + 3 * L);
      FloatVector av = FloatVector.broadcast(S, a[pa]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      c02 = av.fma(b2, c02);
      c03 = av.fma(b3, c03);
      av = FloatVector.broadcast(S, a[pa + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      c12 = av.fma(b2, c12);
      c13 = av.fma(b3, c13);
      av = FloatVector.broadcast(S, a[pa + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      c22 = av.fma(b2, c22);
      c23 = av.fma(b3, c23);
      av = FloatVector.broadcast(S, a[pa + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      c32 = av.fma(b2, c32);
      c33 = av.fma(b3, c33);
      av = FloatVector.broadcast(S, a[pa + 4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      c42 = av.fma(b2, c42);
      c43 = av.fma(b3, c43);
      av = FloatVector.broadcast(S, a[pa + 5]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
      c52 = av.fma(b2, c52);
      c53 = av.fma(b3, c53);
    }
    VectorMask<Float> m0 = S.indexInRange(0, nr);
    VectorMask<Float> m1 = S.indexInRange(L, nr);
    VectorMask<Float> m2 = S.indexInRange(2 * L, nr);
    VectorMask<Float> m3 = S.indexInRange(3 * L, nr);
    boolean full = nr == nrFull;
    FloatVector z0 = biasRow(bias, biasOff, m0, full);
    FloatVector z1 = biasRow(bias, biasOff + L, m1, full);
    FloatVector z2 = biasRow(bias, biasOff + 2 * L, m2, full);
    FloatVector z3 = biasRow(bias, biasOff + 3 * L, m3, full);
    // One row per call keeps this epilogue short; it runs once per kc·24 FMAs.
    row4(c, cOff, c00, c01, c02, c03, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    if (mr > 1) {
      row4(c, cOff + ldc, c10, c11, c12, c13, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    }
    if (mr > 2) {
      row4(c, cOff + 2 * ldc, c20, c21, c22, c23, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    }
    if (mr > 3) {
      row4(c, cOff + 3 * ldc, c30, c31, c32, c33, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    }
    if (mr > 4) {
      row4(c, cOff + 4 * ldc, c40, c41, c42, c43, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    }
    if (mr > 5) {
      row4(c, cOff + 5 * ldc, c50, c51, c52, c53, load, z0, z1, z2, z3, m0, m1, m2, m3, full);
    }
  }

  private static FloatVector biasRow(float[] bias, int off, VectorMask<Float> m, boolean full) {
    if (bias == null) {
      return null;
    }
    return full ? FloatVector.fromArray(S, bias, off) : FloatVector.fromArray(S, bias, off, m);
  }

  private static void row4(float[] c, int off, FloatVector v0, FloatVector v1, FloatVector v2,
      FloatVector v3, boolean load, FloatVector z0, FloatVector z1, FloatVector z2, FloatVector z3,
      VectorMask<Float> m0, VectorMask<Float> m1, VectorMask<Float> m2, VectorMask<Float> m3,
      boolean full) {
    if (full) {
      store(c, off, v0, load, z0);
      store(c, off + L, v1, load, z1);
      store(c, off + 2 * L, v2, load, z2);
      store(c, off + 3 * L, v3, load, z3);
    } else {
      storeMasked(c, off, v0, load, z0, m0);
      storeMasked(c, off + L, v1, load, z1, m1);
      storeMasked(c, off + 2 * L, v2, load, z2, m2);
      storeMasked(c, off + 3 * L, v3, load, z3, m3);
    }
  }

  private static void store(float[] c, int off, FloatVector v, boolean load, FloatVector bias) {
    if (load) {
      v = FloatVector.fromArray(S, c, off).add(v);
    }
    if (bias != null) {
      v = v.add(bias);
    }
    v.intoArray(c, off);
  }

  private static void storeMasked(float[] c, int off, FloatVector v, boolean load, FloatVector bias,
      VectorMask<Float> m) {
    if (!m.anyTrue()) {
      return;
    }
    if (load) {
      v = FloatVector.fromArray(S, c, off, m).add(v);
    }
    if (bias != null) {
      v = v.add(bias);
    }
    v.intoArray(c, off, m);
  }
}
