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
// edge tile (fewer than MR rows or NR columns of C exist) spills its accumulators and stores with
// scalar code, so the hot kernel never touches a lane mask.
package dev.sinter.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

final class GemmMicroKernel {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  /** Per-thread spill space for edge tiles: up to 6 rows of 4 vectors. */
  private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[6 * 4 * L]);

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
    // The A index is the loop variable and the B index a multiple of it plus a constant, so each
    // step costs 18 instructions for its 6 loads and 8 FMAs (a counter p with both indices derived
    // from it cost 21; that matters when the core's other hardware thread is busy and the two
    // share dispatch). The int arithmetic wraps consistently, so pb is exact.
    final int aEnd = aOff + 4 * kc;
    final int delta = bOff - (nrFull / 4) * aOff;
    for (int pa = aOff; pa < aEnd; pa += 4) {
      int pb = delta + (nrFull / 4) * pa;
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
    float[] t = EDGE.get();
    c00.intoArray(t, 0);
    c01.intoArray(t, L);
    c10.intoArray(t, nrFull);
    c11.intoArray(t, nrFull + L);
    c20.intoArray(t, 2 * nrFull);
    c21.intoArray(t, 2 * nrFull + L);
    c30.intoArray(t, 3 * nrFull);
    c31.intoArray(t, 3 * nrFull + L);
    storeEdge(t, nrFull, c, cOff, ldc, mr, nr, load, bias, biasOff);
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
    if (mr == 6 && nr == nrFull) {
      FloatVector z0 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + 0 * L);
      FloatVector z1 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + 1 * L);
      FloatVector z2 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + 2 * L);
      FloatVector z3 = bias == null ? null : FloatVector.fromArray(S, bias, biasOff + 3 * L);
      store(c, cOff + 0 * ldc + 0 * L, c00, load, z0);
      store(c, cOff + 0 * ldc + 1 * L, c01, load, z1);
      store(c, cOff + 0 * ldc + 2 * L, c02, load, z2);
      store(c, cOff + 0 * ldc + 3 * L, c03, load, z3);
      store(c, cOff + 1 * ldc + 0 * L, c10, load, z0);
      store(c, cOff + 1 * ldc + 1 * L, c11, load, z1);
      store(c, cOff + 1 * ldc + 2 * L, c12, load, z2);
      store(c, cOff + 1 * ldc + 3 * L, c13, load, z3);
      store(c, cOff + 2 * ldc + 0 * L, c20, load, z0);
      store(c, cOff + 2 * ldc + 1 * L, c21, load, z1);
      store(c, cOff + 2 * ldc + 2 * L, c22, load, z2);
      store(c, cOff + 2 * ldc + 3 * L, c23, load, z3);
      store(c, cOff + 3 * ldc + 0 * L, c30, load, z0);
      store(c, cOff + 3 * ldc + 1 * L, c31, load, z1);
      store(c, cOff + 3 * ldc + 2 * L, c32, load, z2);
      store(c, cOff + 3 * ldc + 3 * L, c33, load, z3);
      store(c, cOff + 4 * ldc + 0 * L, c40, load, z0);
      store(c, cOff + 4 * ldc + 1 * L, c41, load, z1);
      store(c, cOff + 4 * ldc + 2 * L, c42, load, z2);
      store(c, cOff + 4 * ldc + 3 * L, c43, load, z3);
      store(c, cOff + 5 * ldc + 0 * L, c50, load, z0);
      store(c, cOff + 5 * ldc + 1 * L, c51, load, z1);
      store(c, cOff + 5 * ldc + 2 * L, c52, load, z2);
      store(c, cOff + 5 * ldc + 3 * L, c53, load, z3);
      return;
    }
    float[] t = EDGE.get();
    c00.intoArray(t, 0);
    c01.intoArray(t, 0 * nrFull + 1 * L);
    c02.intoArray(t, 0 * nrFull + 2 * L);
    c03.intoArray(t, 0 * nrFull + 3 * L);
    c10.intoArray(t, 1 * nrFull + 0 * L);
    c11.intoArray(t, 1 * nrFull + 1 * L);
    c12.intoArray(t, 1 * nrFull + 2 * L);
    c13.intoArray(t, 1 * nrFull + 3 * L);
    c20.intoArray(t, 2 * nrFull + 0 * L);
    c21.intoArray(t, 2 * nrFull + 1 * L);
    c22.intoArray(t, 2 * nrFull + 2 * L);
    c23.intoArray(t, 2 * nrFull + 3 * L);
    c30.intoArray(t, 3 * nrFull + 0 * L);
    c31.intoArray(t, 3 * nrFull + 1 * L);
    c32.intoArray(t, 3 * nrFull + 2 * L);
    c33.intoArray(t, 3 * nrFull + 3 * L);
    c40.intoArray(t, 4 * nrFull + 0 * L);
    c41.intoArray(t, 4 * nrFull + 1 * L);
    c42.intoArray(t, 4 * nrFull + 2 * L);
    c43.intoArray(t, 4 * nrFull + 3 * L);
    c50.intoArray(t, 5 * nrFull + 0 * L);
    c51.intoArray(t, 5 * nrFull + 1 * L);
    c52.intoArray(t, 5 * nrFull + 2 * L);
    c53.intoArray(t, 5 * nrFull + 3 * L);
    storeEdge(t, nrFull, c, cOff, ldc, mr, nr, load, bias, biasOff);
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

  /**
   * Epilogue of an edge tile (fewer than MR rows or NR columns of C exist): the accumulators were
   * spilled to {@code t} ([MR, nrFull]) and are added here with the same operation order as
   * {@link #store} — (C + acc) + bias — so an element gets the same bits whichever path wrote it.
   * Keeping masks out of the kernels matters: a masked epilogue inside the kernel let C2 box the
   * accumulators once edge tiles appeared, slowing every later call about sevenfold (measured).
   */
  private static void storeEdge(float[] t, int nrFull, float[] c, int cOff, int ldc, int mr, int nr,
      boolean load, float[] bias, int biasOff) {
    for (int r = 0; r < mr; r++) {
      int row = cOff + r * ldc;
      for (int j = 0; j < nr; j++) {
        float v = t[r * nrFull + j];
        if (load) {
          v = c[row + j] + v;
        }
        if (bias != null) {
          v = v + bias[biasOff + j];
        }
        c[row + j] = v;
      }
    }
  }

}
