// Vector building blocks shared by VectorOps: a polynomial exp, row reductions, and the fixed-size
// partitions that make parallel kernels independent of the thread count.
//
// Two rules keep every result bitwise reproducible, whatever the thread count and whether a method
// runs in the interpreter, C1 or C2:
//   - only IEEE-exact lane operations (add, mul, fma, div, sqrt, compare, blend, bit shifts) are
//     used; the Vector API's EXP lane op is avoided because its compiled form (SVML on x86) and its
//     Java fallback (Math.exp per lane) disagree in the last bit for a few percent of inputs;
//   - horizontal sums add the lanes in lane order rather than through reduceLanes(ADD), whose order
//     the API leaves unspecified.
// Legend: n elements of a row or range; L lanes of the preferred float species.
package dev.sinter.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

final class VectorMath {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  /**
   * Elements per task of elementwise loops and per partial of range reductions: 128 KiB of floats
   * amortises the hand-off to a worker (about a microsecond), and as a multiple of every vector
   * width it keeps the scalar tail at the very end of the range, whatever the partition.
   */
  static final int CHUNK = 1 << 15;
  /** Row kernels hand out about this many elements per task. */
  static final int ROW_GRAIN = 1 << 15;
  /** Rows per partial sum in kernels that reduce across rows (the norms' dweight and dbias). */
  static final int REDUCE_ROWS = 64;

  /** Body of a parallel loop over the half-open range [from, to) of rows or elements. */
  interface Range {
    void run(int from, int to);
  }

  private VectorMath() {}

  // ---------------------------------------------------------------- partitions

  /** Runs body over [0, rows) in blocks of about ROW_GRAIN elements; rows are independent. */
  static void forRows(ThreadPool pool, int rows, int cols, Range body) {
    int per = Math.max(1, ROW_GRAIN / Math.max(1, cols));
    forBlocks(pool, rows, per, body);
  }

  /** Runs body over [0, n) in CHUNK-sized pieces. */
  static void forChunks(ThreadPool pool, int n, Range body) {
    forBlocks(pool, n, CHUNK, body);
  }

  /** Task i covers [i·block, min(n, (i+1)·block)); the count depends only on n and block. */
  static void forBlocks(ThreadPool pool, int n, int block, Range body) {
    int tasks = Math.ceilDiv(n, block);
    if (tasks <= 1) {
      if (n > 0) {
        body.run(0, n);
      }
      return;
    }
    pool.parallelFor(tasks, i -> {
      int from = i * block;
      body.run(from, from + Math.min(block, n - from)); // (i + 1)·block could overflow near 2^31
    });
  }

  /**
   * dst[i] += Σ_k part[k·c + i] for k in chunk order: the cross-row half of a fixed-partition
   * reduction, whose per-chunk partials were written by tasks of REDUCE_ROWS rows each.
   */
  static void addPartials(float[] dst, int dstOff, float[] part, int chunks, int c) {
    int i = 0;
    for (int end = S.loopBound(c); i < end; i += L) {
      FloatVector acc = FloatVector.fromArray(S, part, i);
      for (int k = 1; k < chunks; k++) {
        acc = acc.add(FloatVector.fromArray(S, part, k * c + i));
      }
      FloatVector.fromArray(S, dst, dstOff + i).add(acc).intoArray(dst, dstOff + i);
    }
    for (; i < c; i++) {
      float acc = part[i];
      for (int k = 1; k < chunks; k++) {
        acc += part[k * c + i];
      }
      dst[dstOff + i] += acc;
    }
  }

  // ---------------------------------------------------------------- exp and friends

  private static final float EXP_LO = -87.33654f; // the float just above ln(2^-126): results stay normal
  private static final float EXP_HI = 88.3762626647949f;  // keeps 2^n below 2^128
  private static final float LOG2E = 1.44269504088896341f;
  // 1.5·2^23: adding it rounds to an integer and leaves that integer in the low mantissa bits.
  private static final float ROUND_MAGIC = 12582912f;
  private static final float LN2_HI = 0.693359375f; // ln 2 split so that n·LN2_HI is exact
  private static final float LN2_LO = -2.12194440e-4f;
  // e^r ≈ 1 + r + r²·(C2 + C3·r + C4·r² + C5·r³) on |r| ≤ ln2/2, fitted for relative error
  // (1.1e-7, 1.7e-7 once evaluated in float). One degree below Cephes' expf, which measured 20%
  // slower here for accuracy these kernels cannot use.
  private static final float C2 = 0.499992311000824f;
  private static final float C3 = 0.16667114198207855f;
  private static final float C4 = 0.041890114545822144f;
  private static final float C5 = 0.008312525227665901f;

  /**
   * e^x per lane, relative error below 3e-7 for x in [-87.3, 88.3]; inputs outside are clamped, so
   * the result stays finite and normal (about 1.2e-38 to 2.4e38). NaN stays NaN.
   */
  static FloatVector exp(FloatVector x) {
    // compare+blend rather than min/max: Java's min/max NaN and -0.0 rules cost three extra ops on AVX2.
    x = x.blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI));
    return expNonPositive(x);
  }

  /**
   * {@link #exp(FloatVector)} for x ≤ 88.3 only, such as the x − max of a softmax: it skips the
   * upper clamp, which is 10% of the cost.
   */
  static FloatVector expNonPositive(FloatVector x) {
    x = x.blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO));
    FloatVector nm = x.fma(bc(LOG2E), bc(ROUND_MAGIC)); // round(x/ln2) + 1.5·2^23
    FloatVector n = nm.sub(ROUND_MAGIC);
    FloatVector r = n.fma(bc(-LN2_HI), x);
    r = n.fma(bc(-LN2_LO), r);
    FloatVector p = bc(C5).fma(r, bc(C4));
    p = p.fma(r, bc(C3));
    p = p.fma(r, bc(C2));
    p = p.fma(r.mul(r), r).add(1f);
    // The low bits of nm are n + 0x400000; shifting n+127 into the exponent field gives 2^n, and
    // the magic number's own bits fall off the top.
    FloatVector pow2 = nm.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23)
        .reinterpretAsFloats();
    return p.mul(pow2);
  }

  /** The scalar twin of {@link #exp(FloatVector)}, bit for bit, for loop tails. */
  static float exp(float x) {
    if (x > EXP_HI) {
      x = EXP_HI;
    }
    if (x < EXP_LO) {
      x = EXP_LO;
    }
    float nm = Math.fma(x, LOG2E, ROUND_MAGIC);
    float n = nm - ROUND_MAGIC;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(C5, r, C4);
    p = Math.fma(p, r, C3);
    p = Math.fma(p, r, C2);
    p = Math.fma(p, r * r, r) + 1f;
    return p * Float.intBitsToFloat((Float.floatToRawIntBits(nm) + 127) << 23);
  }

  static FloatVector bc(float v) {
    return FloatVector.broadcast(S, v);
  }

  // ---------------------------------------------------------------- horizontal sums

  /** Lanes added in lane order, the same in every compilation tier. */
  static float hsum(FloatVector v) {
    float s = 0f;
    for (int i = 0; i < L; i++) {
      s += v.lane(i);
    }
    return s;
  }

  static double hsum(DoubleVector v) {
    double s = 0;
    for (int i = 0; i < v.length(); i++) {
      s += v.lane(i);
    }
    return s;
  }

  // ---------------------------------------------------------------- row reductions
  // Two accumulators hide the add latency; rows of interest (C = 768, V = 50257) are long enough.

  /** Σ a[i]. */
  static float sum(float[] a, int off, int n) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    int i = 0;
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      s0 = s0.add(FloatVector.fromArray(S, a, off + i));
      s1 = s1.add(FloatVector.fromArray(S, a, off + i + L));
    }
    for (int end = S.loopBound(n); i < end; i += L) {
      s0 = s0.add(FloatVector.fromArray(S, a, off + i));
    }
    float s = hsum(s0.add(s1));
    for (; i < n; i++) {
      s += a[off + i];
    }
    return s;
  }

  /** Σ a[i]·b[i]. */
  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    int i = 0;
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
      s1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), s1);
    }
    for (int end = S.loopBound(n); i < end; i += L) {
      s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
    }
    float s = hsum(s0.add(s1));
    for (; i < n; i++) {
      s = Math.fma(a[aOff + i], b[bOff + i], s);
    }
    return s;
  }

  /** Σ a[i]·b[i]·c[i]. */
  static float dot3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    int i = 0;
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      FloatVector ab0 = FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i));
      FloatVector ab1 = FloatVector.fromArray(S, a, aOff + i + L).mul(FloatVector.fromArray(S, b, bOff + i + L));
      s0 = ab0.fma(FloatVector.fromArray(S, c, cOff + i), s0);
      s1 = ab1.fma(FloatVector.fromArray(S, c, cOff + i + L), s1);
    }
    for (int end = S.loopBound(n); i < end; i += L) {
      FloatVector ab0 = FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i));
      s0 = ab0.fma(FloatVector.fromArray(S, c, cOff + i), s0);
    }
    float s = hsum(s0.add(s1));
    for (; i < n; i++) {
      s = Math.fma(a[aOff + i] * b[bOff + i], c[cOff + i], s);
    }
    return s;
  }

  /** Σ (a[i] - mean)², the second pass of a two-pass variance. */
  static float sumSquaredDeviations(float[] a, int off, int n, float mean) {
    FloatVector mv = bc(mean);
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    int i = 0;
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      FloatVector d0 = FloatVector.fromArray(S, a, off + i).sub(mv);
      FloatVector d1 = FloatVector.fromArray(S, a, off + i + L).sub(mv);
      s0 = d0.fma(d0, s0);
      s1 = d1.fma(d1, s1);
    }
    for (int end = S.loopBound(n); i < end; i += L) {
      FloatVector d0 = FloatVector.fromArray(S, a, off + i).sub(mv);
      s0 = d0.fma(d0, s0);
    }
    float s = hsum(s0.add(s1));
    for (; i < n; i++) {
      float d = a[off + i] - mean;
      s = Math.fma(d, d, s);
    }
    return s;
  }

  /** max a[i]; n must be positive. */
  static float max(float[] a, int off, int n) {
    FloatVector m0 = bc(Float.NEGATIVE_INFINITY);
    FloatVector m1 = m0;
    int i = 0;
    // compare+blend, not max(): max is associative here, and the blend is cheaper than Java's max on AVX2.
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      FloatVector x0 = FloatVector.fromArray(S, a, off + i);
      FloatVector x1 = FloatVector.fromArray(S, a, off + i + L);
      m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
      m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
    }
    for (int end = S.loopBound(n); i < end; i += L) {
      FloatVector x0 = FloatVector.fromArray(S, a, off + i);
      m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
    }
    m0 = m0.blend(m1, m1.compare(VectorOperators.GT, m0));
    float m = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < L; j++) {
      m = Math.max(m, m0.lane(j));
    }
    for (; i < n; i++) {
      m = Math.max(m, a[off + i]);
    }
    return m;
  }

  /** Block over which exp values are summed in float before joining the double total. */
  private static final int EXP_SUM_BLOCK = 1024;

  /**
   * out[i] = e^(x[i] - shift) and returns Σ out[i]; shift must be at least max x − 88, as the
   * row maximum is. Float partial sums cover at most
   * EXP_SUM_BLOCK elements before they join a double total, so a 50257-wide row loses no more
   * than a short row. out may alias x.
   */
  static double expShiftSum(float[] out, int outOff, float[] x, int xOff, int n, float shift) {
    FloatVector sh = bc(shift);
    double total = 0;
    int i = 0;
    int vecEnd = S.loopBound(n);
    // One exp call site in one simple loop: unrolling it pushes C2 past its inlining budget, and
    // a vector that escapes into a call is boxed on every iteration.
    while (i < vecEnd) {
      int blockEnd = Math.min(vecEnd, i + EXP_SUM_BLOCK);
      FloatVector s = FloatVector.zero(S);
      for (; i < blockEnd; i += L) {
        FloatVector e = expNonPositive(FloatVector.fromArray(S, x, xOff + i).sub(sh));
        e.intoArray(out, outOff + i);
        s = s.add(e);
      }
      total += hsum(s);
    }
    for (; i < n; i++) {
      float e = exp(x[xOff + i] - shift);
      out[outOff + i] = e;
      total += e;
    }
    return total;
  }

  /** a[i] *= s. */
  static void scaleInPlace(float[] a, int off, int n, float s) {
    FloatVector sv = bc(s);
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += L) {
      FloatVector.fromArray(S, a, off + i).mul(sv).intoArray(a, off + i);
    }
    for (; i < n; i++) {
      a[off + i] *= s;
    }
  }

  /**
   * Σ x[i]² in double: each lane is widened before it is squared, so nothing rounds in float. A
   * preferred float vector is widened in two parts (its low and high halves), so this class uses
   * no float species but the preferred one: one 128-bit FloatVector anywhere in the process
   * pollutes the type profiles of FloatVector.fromArray/intoArray, and a kernel compiled after that
   * can lose its intrinsics and run 20× slower (found in the GEMM kernel, see GemmPack).
   */
  static double sumOfSquaresDouble(float[] x, int off, int n) {
    // Four accumulators: one would leave the loop waiting on the FMA latency at a third of memory speed.
    DoubleVector s0 = DoubleVector.zero(D);
    DoubleVector s1 = DoubleVector.zero(D);
    DoubleVector s2 = DoubleVector.zero(D);
    DoubleVector s3 = DoubleVector.zero(D);
    int i = 0;
    for (int end = n - 2 * L; i <= end; i += 2 * L) {
      FloatVector f0 = FloatVector.fromArray(S, x, off + i);
      FloatVector f1 = FloatVector.fromArray(S, x, off + i + L);
      DoubleVector d0 = (DoubleVector) f0.convertShape(VectorOperators.F2D, D, 0);
      DoubleVector d1 = (DoubleVector) f0.convertShape(VectorOperators.F2D, D, 1);
      DoubleVector d2 = (DoubleVector) f1.convertShape(VectorOperators.F2D, D, 0);
      DoubleVector d3 = (DoubleVector) f1.convertShape(VectorOperators.F2D, D, 1);
      s0 = d0.fma(d0, s0);
      s1 = d1.fma(d1, s1);
      s2 = d2.fma(d2, s2);
      s3 = d3.fma(d3, s3);
    }
    double s = hsum(s0.add(s1).add(s2.add(s3)));
    for (; i < n; i++) {
      double v = x[off + i];
      s = Math.fma(v, v, s);
    }
    return s;
  }
}
