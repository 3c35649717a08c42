// Causal grouped-query self-attention with the Vector API, FlashAttention-2 style: queries and keys
// are processed in tiles with an online softmax, so per head no more than one tile of scores ever
// exists and memory stays O(T) however long the sequence.
//
// Layout. A tile's scores are held transposed, Sᵀ[key][query], with queries along the vector lanes.
// The softmax then runs down the keys with plain lanewise max/add over L queries at a time (no
// horizontal reductions), the running max and sum of each query are vectors, and the only operands
// that need transposing are the query tile (and dO in backward): once per query tile, reused for
// every key tile. K and V rows (and Q, dO rows in backward) are read in place from qkv and dout
// when hs is a whole number of vectors, else from copies padded to hsP.
//
// Every product inside a tile goes through one register-blocked micro-kernel, TileOps.mm4: four
// output rows by up to three vectors of columns, A broadcast one scalar at a time, B loaded as
// vectors, and A addressed through two strides so that it reads either A or Aᵀ:
//   forward   Sᵀ = K·Qᵀ  [BC, BR]        O ← αO + P·V  [BR, hsP]  (α: the online softmax rescaling)
//   backward  Sᵀ = K·Qᵀ, dPᵀ = V·dOᵀ    dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K   [·, hsP]
// Padding is zero-filled, so no product needs a tail loop over hs; causal masking is a lane mask on
// the diagonal tiles only, and key tiles wholly after a query tile are never visited. Within a
// diagonal tile, products start at the first query vector a block of keys is visible to and stop at
// the last key a block of queries can see, so the masked half costs little beyond the mask.
//
// Softmax runs in base 2: scores are scaled by log2(e)/√hs inside one fma and exponentiated with a
// polynomial exp2, since Math.exp per score would cost more than the dot products.
//
// Parallelism and determinism: forward has one task per (batch, kv head, query tile), backward one
// per (batch, kv head). Each task writes outputs no other task touches and sums in a fixed order, so
// results are bitwise identical for any thread count. The G query heads of a group share one task so
// that each K/V tile is copied once for all of them and, in backward, so that dK and dV sum over the
// group's heads inside one task. Backward therefore has B·NKV tasks: enough for a few cores at
// training batch sizes, and the price of determinism without atomics.
//
// Vectors are always built inside the method that uses them rather than kept in static fields: C2
// keeps a vector in registers only when every value merging into a loop variable is an intrinsic,
// and a static FloatVector constant in a loop phi makes it box every iteration (10x slower).
//
// Legend: B batch, T time (sequence length), NH query heads, NKV key/value heads (NH % NKV == 0),
//   G = NH/NKV query heads per kv head, hs head size, C3 = (NH + 2·NKV)·hs the width of a qkv row,
//   L floats per vector, hsP = hs rounded up to L, BR query rows and BC keys per tile.
//   qkv  [B, T, C3]      per row: NH query heads, then NKV key heads, then NKV value heads
//   out  [B, T, NH·hs]
//   lse  [B, NH, T]      natural-log log-sum-exp of each query's scaled scores
//   dqkv [B, T, C3], dout [B, T, NH·hs]
package dev.sinter.tensor;

import static dev.sinter.tensor.TileOps.exp2;
import static dev.sinter.tensor.TileOps.loadPadded;
import static dev.sinter.tensor.TileOps.loadTransposed;
import static dev.sinter.tensor.TileOps.mm4;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Tiled, vectorised, multi-threaded causal self-attention with grouped-query heads. */
public final class VectorAttention {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  /** Query rows per tile: how many queries reuse one copied K/V tile; a multiple of L. */
  static final int BR = 64;
  /** Keys per tile: bounds the scores held at once, BC·BR per task. */
  static final int BC = 64;
  /** Output rows per micro-kernel call. */
  private static final int RB = 4;

  private static final float LOG2E = (float) (1.0 / Math.log(2.0));
  private static final double LN2 = Math.log(2.0);

  static {
    // Query tiles are whole vectors, and since q0, k0 and every block start are multiples of RB,
    // a block of RB keys or queries never straddles a vector boundary when RB divides L.
    if (BR % L != 0 || L % RB != 0 || BC % RB != 0) {
      throw new ExceptionInInitializerError("tile sizes BR=" + BR + " BC=" + BC
          + " do not fit the vector length " + L);
    }
  }

  /** Per-thread tiles, grown on demand and reused across calls and tasks. */
  private static final class Scratch {
    float[] qT;    // [G, hs, BR] query tiles transposed, zero past the last query
    float[] dOT;   // [G, hs, BR] backward: dO tiles transposed
    float[] q;     // [G, BR, hsP] backward: query tiles, when they cannot be read in place
    float[] dO;    // [G, BR, hsP] backward: dO tiles, likewise
    float[] o;     // [G, BR, hsP] forward: unnormalised output; backward: dQ accumulators
    float[] m;     // [G, BR] forward: running max of the scores, log2 units; backward: lse, log2 units
    float[] l;     // [G, BR] forward: running sum of exp2(score - m); backward: D = rowsum(dO ∘ O)
    float[] alpha; // [BR] forward: exp2(mOld - mNew), the rescaling of each output row
    float[] s;     // [BC, BR] Sᵀ, then Pᵀ
    float[] dp;    // [BC, BR] backward: dPᵀ = V·dOᵀ, then dSᵀ
    float[] k;     // [BC, hsP] key tile, when it cannot be read in place
    float[] v;     // [BC, hsP] value tile, likewise
    float[] dk;    // [roundUp(T, RB), hsP] backward: dK of the task's kv head
    float[] dv;    // [roundUp(T, RB), hsP] backward: dV of the task's kv head
    final int[] idx = new int[L]; // offsets of a transposing gather (TileOps.loadTransposed)
    final Tile kTile = new Tile();
    final Tile vTile = new Tile();
    final Tile qTile = new Tile();
    final Tile dOTile = new Tile();

    static float[] grow(float[] a, int n) {
      return a != null && a.length >= n ? a : new float[n];
    }
  }

  /**
   * Where the rows of a K, V, Q or dO tile are read from. When hs is a whole number of vectors the
   * rows are read in place from qkv or dout (row stride ld); otherwise from a copy padded to hsP,
   * so that vector loads over hs never run past a row. Head g of a group starts at off + g·gStride.
   */
  private static final class Tile {
    float[] a;
    int off;
    int ld;
    int gStride;

    void set(float[] a, int off, int ld, int gStride) {
      this.a = a;
      this.off = off;
      this.ld = ld;
      this.gStride = gStride;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private VectorAttention() {}

  /**
   * Forward: {@code out = softmax(mask(Q·Kᵀ/√hs))·V} per query head, and {@code lse} of the scaled
   * masked scores. out and lse are overwritten. Bitwise identical for any pool size.
   *
   * @param out [B, T, NH·hs] at outOff
   * @param lse [B, NH, T] at lseOff
   * @param qkv [B, T, (NH + 2·NKV)·hs] at qkvOff
   */
  public static void forward(ThreadPool pool, float[] out, int outOff, float[] lse, int lseOff,
      float[] qkv, int qkvOff, int b, int t, int nh, int nkv, int hs) {
    ScalarAttention.checkArgs(out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
    int groups = b * nkv;
    int nQt = ceilDiv(t, BR);
    // Later query tiles see more keys; handing them out first keeps the threads' loads even.
    pool.parallelFor(groups * nQt, task -> {
      int qt = nQt - 1 - task / groups;
      int bi = task % groups / nkv;
      int kvh = task % nkv;
      forwardTile(SCRATCH.get(), out, outOff, lse, lseOff, qkv, qkvOff, bi, kvh, qt, t, nh, nkv, hs);
    });
  }

  /**
   * Backward of {@link #forward}: overwrites dqkv with dQ, dK and dV, FlashAttention-2 style:
   * {@code P = exp(S - lse)} is rebuilt from the saved lse, {@code D = rowsum(dO ∘ O)},
   * {@code dS = P ∘ (dO·Vᵀ - D)}, then {@code dV = Pᵀ·dO}, {@code dK = dSᵀ·Q/√hs},
   * {@code dQ = dS·K/√hs}. Bitwise identical for any pool size.
   *
   * @param dqkv [B, T, (NH + 2·NKV)·hs] at dqkvOff, overwritten: every element belongs to exactly one
   *     task (the query heads of a group and its key and value head), which stores it once
   * @param dout [B, T, NH·hs] at doutOff
   * @param qkv the forward input
   * @param out the forward output
   * @param lse the forward log-sum-exp
   */
  public static void backward(ThreadPool pool, float[] dqkv, int dqkvOff, float[] dout, int doutOff,
      float[] qkv, int qkvOff, float[] out, int outOff, float[] lse, int lseOff,
      int b, int t, int nh, int nkv, int hs) {
    ScalarAttention.checkArgs(out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
    ScalarAttention.checkRange("dqkv", dqkv, dqkvOff, (long) b * t * (nh + 2 * nkv) * hs);
    ScalarAttention.checkRange("dout", dout, doutOff, (long) b * t * nh * hs);
    // dK and dV of a kv head sum over all its query heads and query tiles, so one task owns them.
    pool.parallelFor(b * nkv, task -> backwardGroup(SCRATCH.get(), dqkv, dqkvOff, dout, doutOff,
        qkv, qkvOff, out, outOff, lse, lseOff, task / nkv, task % nkv, t, nh, nkv, hs));
  }

  // ---------------------------------------------------------------- forward

  /** One query tile of the G query heads that share kv head kvh, against all visible key tiles. */
  private static void forwardTile(Scratch sc, float[] out, int outOff, float[] lse, int lseOff,
      float[] qkv, int qkvOff, int bi, int kvh, int qt, int t, int nh, int nkv, int hs) {
    int group = nh / nkv;
    int c3 = (nh + 2 * nkv) * hs;
    int hsP = roundUp(hs, L);
    int q0 = qt * BR;
    int rows = Math.min(BR, t - q0);
    int nVecQ = ceilDiv(rows, L);
    float c = (float) (1.0 / Math.sqrt(hs)) * LOG2E;

    float[] qT = sc.qT = Scratch.grow(sc.qT, group * hs * BR);
    float[] o = sc.o = Scratch.grow(sc.o, group * BR * hsP);
    float[] m = sc.m = Scratch.grow(sc.m, group * BR);
    float[] l = sc.l = Scratch.grow(sc.l, group * BR);
    float[] alpha = sc.alpha = Scratch.grow(sc.alpha, BR);
    float[] s = sc.s = Scratch.grow(sc.s, BC * BR);

    int rowBase = qkvOff + bi * t * c3; // qkv row 0 of this batch element
    for (int g = 0; g < group; g++) {
      int h = kvh * group + g;
      // Lanes past the last query are zero queries: finite values that are never stored.
      loadTransposed(qT, g * hs * BR, BR, qkv, rowBase + q0 * c3 + h * hs, c3, rows, hs, sc.idx);
      Arrays.fill(o, g * BR * hsP, (g * BR + BR) * hsP, 0f);
      Arrays.fill(m, g * BR, g * BR + BR, Float.NEGATIVE_INFINITY);
      Arrays.fill(l, g * BR, g * BR + BR, 0f);
    }

    int nKt = ceilDiv(q0 + rows, BC); // key tiles wholly after the last query are never visited
    for (int kt = 0; kt < nKt; kt++) {
      int k0 = kt * BC;
      int kLen = Math.min(BC, t - k0);
      loadKv(sc, qkv, rowBase + k0 * c3 + (nh + kvh) * hs, c3, nkv * hs, kLen, hsP, hs);
      Tile kTile = sc.kTile;
      Tile vTile = sc.vTile;
      for (int g = 0; g < group; g++) {
        int og = g * BR * hsP;
        scoresT(s, kTile, qT, g * hs * BR, q0, rows, nVecQ, k0, kLen, hs);
        onlineSoftmax(s, m, l, g * BR, alpha, q0, rows, nVecQ, k0, kLen, c);
        for (int i0 = 0; i0 < rows; i0 += RB) {
          int colEnd = visibleKeys(q0 + Math.min(i0 + RB, rows) - 1, k0, kLen);
          if (colEnd > 0) {
            // O[i0.., :] = diag(alpha)·O + P[i0.., 0..colEnd) · V[0..colEnd, :]   [RB, hsP]
            // (rows that see no key of this tile keep their max, so their alpha is 1)
            mm4(o, og + i0 * hsP, hsP, true, alpha, i0, s, i0, 1, BR, vTile.a, vTile.off, vTile.ld,
                hsP / L, 0, colEnd);
          }
        }
      }
    }

    for (int g = 0; g < group; g++) {
      int h = kvh * group + g;
      for (int i = 0; i < rows; i++) {
        int r = g * BR + i;
        float inv = 1f / l[r];
        int dst = outOff + (bi * t + q0 + i) * nh * hs + h * hs;
        int src = r * hsP;
        for (int d = 0; d < hs; d++) {
          out[dst + d] = o[src + d] * inv;
        }
        lse[lseOff + (bi * nh + h) * t + q0 + i] = (float) (m[r] * LN2 + Math.log(l[r]));
      }
    }
  }

  /**
   * Sᵀ[j][i] = K[j]·Q[i] for the keys of one tile and the queries that can see them: each block of
   * RB keys starts at the query vector holding its first visible query. Raw, unscaled scores.
   */
  private static void scoresT(float[] s, Tile k, float[] qT, int qTOff, int q0, int rows,
      int nVecQ, int k0, int kLen, int hs) {
    for (int j0 = 0; j0 < kLen; j0 += RB) {
      int first = k0 + j0 - q0; // first query (tile-local) that sees key j0
      if (first >= rows) {
        break;
      }
      int v0 = Math.max(0, first) / L;
      // Sᵀ[j0.., v0·L..] = K[j0.., :] · Qᵀ[:, v0·L..]                  [RB, (nVecQ - v0)·L]
      mm4(s, j0 * BR + v0 * L, BR, false, k.a, k.off + j0 * k.ld, k.ld, 1, qT, qTOff + v0 * L, BR,
          nVecQ - v0, 0, hs);
    }
  }

  /**
   * Folds one key tile of raw scores Sᵀ into the running softmax of every query of the tile, L
   * queries per vector: masks keys after each query, updates the running max m and sum l, writes
   * the rescaling factor exp2(mOld - mNew) of each query to alpha and leaves Pᵀ = exp2(c·Sᵀ - mNew)
   * in place of the scores.
   */
  private static void onlineSoftmax(float[] s, float[] m, float[] l, int mOff, float[] alpha, int q0,
      int rows, int nVecQ, int k0, int kLen, float c) {
    FloatVector cv = FloatVector.broadcast(F, c);
    FloatVector negInf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int vq = 0; vq < nVecQ; vq++) {
      int iv = vq * L;
      // Keys visible to the last real query of this vector; the others see a prefix of them.
      int jEnd = visibleKeys(q0 + Math.min(iv + L, rows) - 1, k0, kLen);
      if (jEnd <= 0) {
        FloatVector.broadcast(F, 1f).intoArray(alpha, iv);
        continue;
      }
      FloatVector mx = negInf;
      for (int j = 0; j < jEnd; j++) {
        int first = k0 + j - q0; // queries before this one (tile-local) must not see key j
        FloatVector x = FloatVector.fromArray(F, s, j * BR + iv);
        if (first > iv) {
          x = x.blend(negInf, F.indexInRange(iv, first));
          x.intoArray(s, j * BR + iv);
        }
        mx = mx.max(x);
      }
      // Every query sees key 0 in the first tile, so mOld is finite whenever mx is -∞.
      FloatVector mOld = FloatVector.fromArray(F, m, mOff + iv);
      FloatVector mNew = mOld.max(mx.mul(cv));
      FloatVector negM = mNew.neg();
      FloatVector sum = FloatVector.zero(F);
      for (int j = 0; j < jEnd; j++) {
        FloatVector p = exp2(FloatVector.fromArray(F, s, j * BR + iv).fma(cv, negM));
        p.intoArray(s, j * BR + iv);
        sum = sum.add(p);
      }
      FloatVector a = exp2(mOld.sub(mNew));
      a.intoArray(alpha, iv);
      mNew.intoArray(m, mOff + iv);
      FloatVector.fromArray(F, l, mOff + iv).fma(a, sum).intoArray(l, mOff + iv);
    }
  }

  // ---------------------------------------------------------------- backward

  /** All query tiles of the G query heads sharing kv head kvh, for one batch element. */
  private static void backwardGroup(Scratch sc, float[] dqkv, int dqkvOff, float[] dout, int doutOff,
      float[] qkv, int qkvOff, float[] out, int outOff, float[] lse, int lseOff,
      int bi, int kvh, int t, int nh, int nkv, int hs) {
    int group = nh / nkv;
    int c3 = (nh + 2 * nkv) * hs;
    int hsP = roundUp(hs, L);
    int tP = roundUp(t, RB);
    float scale = (float) (1.0 / Math.sqrt(hs));
    float c = scale * LOG2E;

    float[] qT = sc.qT = Scratch.grow(sc.qT, group * hs * BR);
    float[] dOT = sc.dOT = Scratch.grow(sc.dOT, group * hs * BR);
    float[] dq = sc.o = Scratch.grow(sc.o, group * BR * hsP);
    float[] lse2 = sc.m = Scratch.grow(sc.m, group * BR);
    float[] dsum = sc.l = Scratch.grow(sc.l, group * BR);
    float[] s = sc.s = Scratch.grow(sc.s, BC * BR);
    float[] dp = sc.dp = Scratch.grow(sc.dp, BC * BR);
    float[] dk = sc.dk = Scratch.grow(sc.dk, tP * hsP);
    float[] dv = sc.dv = Scratch.grow(sc.dv, tP * hsP);
    Arrays.fill(dk, 0, tP * hsP, 0f);
    Arrays.fill(dv, 0, tP * hsP, 0f);

    int rowBase = qkvOff + bi * t * c3;
    int nQt = ceilDiv(t, BR);
    Tile qTile = sc.qTile;
    Tile dOTile = sc.dOTile;
    for (int qt = 0; qt < nQt; qt++) {
      int q0 = qt * BR;
      int rows = Math.min(BR, t - q0);
      int nVecQ = ceilDiv(rows, L);
      int qSrc = rowBase + q0 * c3 + kvh * group * hs;         // query head 0 of the group
      int dOSrc = doutOff + (bi * t + q0) * nh * hs + kvh * group * hs;
      if (hs % L == 0) {
        qTile.set(qkv, qSrc, c3, hs);
        dOTile.set(dout, dOSrc, nh * hs, hs);
      } else {
        sc.q = Scratch.grow(sc.q, group * BR * hsP);
        sc.dO = Scratch.grow(sc.dO, group * BR * hsP);
        for (int g = 0; g < group; g++) {
          loadPadded(sc.q, g * BR * hsP, hsP, qkv, qSrc + g * hs, c3, rows, rows, hs);
          loadPadded(sc.dO, g * BR * hsP, hsP, dout, dOSrc + g * hs, nh * hs, rows, rows, hs);
        }
        qTile.set(sc.q, 0, hsP, BR * hsP);
        dOTile.set(sc.dO, 0, hsP, BR * hsP);
      }
      for (int g = 0; g < group; g++) {
        int h = kvh * group + g;
        loadTransposed(qT, g * hs * BR, BR, qkv, qSrc + g * hs, c3, rows, hs, sc.idx);
        loadTransposed(dOT, g * hs * BR, BR, dout, dOSrc + g * hs, nh * hs, rows, hs, sc.idx);
        int dORow = dOTile.off + g * dOTile.gStride;
        Arrays.fill(dq, g * BR * hsP, (g * BR + BR) * hsP, 0f);
        for (int i = 0; i < BR; i++) {
          int r = g * BR + i;
          if (i < rows) {
            lse2[r] = lse[lseOff + (bi * nh + h) * t + q0 + i] * LOG2E;
            int oRow = outOff + (bi * t + q0 + i) * nh * hs + h * hs;
            float dd = 0f;
            for (int d = 0; d < hs; d++) {
              dd += dOTile.a[dORow + i * dOTile.ld + d] * out[oRow + d];
            }
            dsum[r] = dd;
          } else {
            // Lanes past the last query get P = exp2(-∞) = 0, so they add nothing anywhere.
            lse2[r] = Float.POSITIVE_INFINITY;
            dsum[r] = 0f;
          }
        }
      }

      int nKt = ceilDiv(q0 + rows, BC);
      for (int kt = 0; kt < nKt; kt++) {
        int k0 = kt * BC;
        int kLen = Math.min(BC, t - k0);
        loadKv(sc, qkv, rowBase + k0 * c3 + (nh + kvh) * hs, c3, nkv * hs, kLen, hsP, hs);
        for (int g = 0; g < group; g++) {
          backwardTile(sc, g, q0, rows, nVecQ, k0, kLen, hsP, hs, c, scale);
        }
      }

      for (int g = 0; g < group; g++) {
        int h = kvh * group + g;
        for (int i = 0; i < rows; i++) {
          System.arraycopy(dq, (g * BR + i) * hsP, dqkv, dqkvOff + (bi * t + q0 + i) * c3 + h * hs, hs);
        }
      }
    }

    for (int j = 0; j < t; j++) {
      int dst = dqkvOff + (bi * t + j) * c3 + (nh + kvh) * hs;
      System.arraycopy(dk, j * hsP, dqkv, dst, hs);
      System.arraycopy(dv, j * hsP, dqkv, dst + nkv * hs, hs);
    }
  }

  /**
   * One (query tile, key tile) pair of query head g of the group: rebuilds Pᵀ and dSᵀ block by
   * block of keys, adds each block's Pᵀ·dO and dSᵀ·Q into rows k0.. of dV and dK while it is hot,
   * then adds the tile's dS·K into dQ.
   */
  private static void backwardTile(Scratch sc, int g, int q0, int rows, int nVecQ, int k0, int kLen,
      int hsP, int hs, float c, float scale) {
    float[] s = sc.s;
    float[] dp = sc.dp;
    Tile k = sc.kTile;
    Tile v = sc.vTile;
    Tile q = sc.qTile;
    Tile dO = sc.dOTile;
    int qTg = g * hs * BR; // this head's [hs, BR] tiles
    int rg = g * BR;       // this head's [BR] rows
    FloatVector cv = FloatVector.broadcast(F, c);
    FloatVector zero = FloatVector.zero(F);
    for (int j0 = 0; j0 < kLen; j0 += RB) {
      int first = k0 + j0 - q0;
      if (first >= rows) {
        break;
      }
      int iStart = Math.max(0, first);
      int v0 = iStart / L;
      int sOff = j0 * BR + v0 * L;
      // Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ for keys j0.. and queries from vector v0 [RB, (nVecQ - v0)·L]
      int nv = nVecQ - v0;
      mm4(s, sOff, BR, false, k.a, k.off + j0 * k.ld, k.ld, 1, sc.qT, qTg + v0 * L, BR, nv, 0, hs);
      mm4(dp, sOff, BR, false, v.a, v.off + j0 * v.ld, v.ld, 1, sc.dOT, qTg + v0 * L, BR, nv, 0, hs);
      for (int j = j0; j < Math.min(j0 + RB, kLen); j++) {
        int firstJ = k0 + j - q0;
        for (int vq = v0; vq < nVecQ; vq++) {
          int iv = vq * L;
          int si = j * BR + iv;
          FloatVector negL = FloatVector.fromArray(F, sc.m, rg + iv).neg();
          FloatVector p = exp2(FloatVector.fromArray(F, s, si).fma(cv, negL));
          if (firstJ > iv) {
            p = p.blend(zero, F.indexInRange(iv, firstJ));
          }
          // The 1/√hs of the scores is folded into dS, so dQ and dK need no further scaling.
          FloatVector dd = FloatVector.fromArray(F, sc.l, rg + iv);
          FloatVector ds = p.mul(FloatVector.fromArray(F, dp, si).sub(dd)).mul(scale);
          p.intoArray(s, si);
          ds.intoArray(dp, si);
        }
      }
      int dst = (k0 + j0) * hsP;
      // dV[k0 + j0..] += Pᵀ·dO and dK[k0 + j0..] += dSᵀ·Q over the queries that see them [RB, hsP]
      int dOg = dO.off + g * dO.gStride;
      int qg = q.off + g * q.gStride;
      mm4(sc.dv, dst, hsP, true, s, j0 * BR, BR, 1, dO.a, dOg, dO.ld, hsP / L, iStart, rows);
      mm4(sc.dk, dst, hsP, true, dp, j0 * BR, BR, 1, q.a, qg, q.ld, hsP / L, iStart, rows);
    }
    for (int i0 = 0; i0 < rows; i0 += RB) {
      int colEnd = visibleKeys(q0 + Math.min(i0 + RB, rows) - 1, k0, kLen);
      if (colEnd > 0) {
        // dQ[i0.., :] += dS[i0.., 0..colEnd) · K[0..colEnd, :]          [RB, hsP]
        mm4(sc.o, (g * BR + i0) * hsP, hsP, true, dp, i0, 1, BR, k.a, k.off, k.ld, hsP / L, 0, colEnd);
      }
    }
  }

  // ---------------------------------------------------------------- building blocks

  /**
   * Points sc.kTile and sc.vTile at the key and value rows [0, kLen) of one tile, kRow being the
   * first key row and the value rows vDelta further on. In place when hs is a whole number of
   * vectors and the tile a whole number of RB-row blocks (products read whole blocks of K and V
   * rows); otherwise copied with rows padded to hsP and zero rows up to the next block.
   */
  private static void loadKv(Scratch sc, float[] qkv, int kRow, int c3, int vDelta, int kLen, int hsP,
      int hs) {
    if (hs % L == 0 && kLen % RB == 0) {
      sc.kTile.set(qkv, kRow, c3, 0);
      sc.vTile.set(qkv, kRow + vDelta, c3, 0);
      return;
    }
    int kRows = roundUp(kLen, RB);
    float[] k = sc.k = Scratch.grow(sc.k, BC * hsP);
    float[] v = sc.v = Scratch.grow(sc.v, BC * hsP);
    loadPadded(k, 0, hsP, qkv, kRow, c3, kLen, kRows, hs);
    loadPadded(v, 0, hsP, qkv, kRow + vDelta, c3, kLen, kRows, hs);
    sc.kTile.set(k, 0, hsP, 0);
    sc.vTile.set(v, 0, hsP, 0);
  }

  /** How many keys of the tile [k0, k0 + kLen) query i may attend to (≤ 0: none). */
  private static int visibleKeys(int i, int k0, int kLen) {
    return Math.min(kLen, i - k0 + 1);
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static int roundUp(int a, int b) {
    return ceilDiv(a, b) * b;
  }
}
