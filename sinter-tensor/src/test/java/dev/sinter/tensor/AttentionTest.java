// Tests for causal grouped-query attention: a naive double-precision reference checked by finite
// differences, ScalarAttention and VectorAttention checked against it over awkward sizes, then the
// contract details (accumulation, offsets, bitwise equality across thread counts, argument checks).
//
// Legend: B batch, T time, NH query heads, NKV key/value heads, hs head size,
//   C3 = (NH + 2·NKV)·hs. qkv [B, T, C3], out [B, T, NH·hs], lse [B, NH, T].
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionTest {

  /** A problem size plus the amplitude of the random inputs (large amplitude: peaky softmax). */
  record Shape(int b, int t, int nh, int nkv, int hs, float amp) {
    int c3() {
      return (nh + 2 * nkv) * hs;
    }

    int qkvSize() {
      return b * t * c3();
    }

    int outSize() {
      return b * t * nh * hs;
    }

    int lseSize() {
      return b * nh * t;
    }

    long seed() {
      return 1_000_003L * t + 10_007L * hs + 101L * nh + 11L * nkv + b + Float.floatToIntBits(amp);
    }

    @Override
    public String toString() {
      return "B=" + b + " T=" + t + " NH=" + nh + " NKV=" + nkv + " hs=" + hs + " amp=" + amp;
    }
  }

  static Stream<Shape> shapes() {
    return Stream.of(
        new Shape(1, 1, 1, 1, 4, 1f),
        new Shape(2, 7, 4, 2, 8, 1f),
        new Shape(1, 37, 6, 3, 12, 1f),
        new Shape(2, 70, 4, 1, 16, 1f),
        new Shape(1, 130, 2, 2, 64, 1f),
        new Shape(1, 150, 4, 2, 20, 1f),   // hs tail with several tiles and G = 2
        new Shape(2, 90, 4, 2, 32, 1f),    // llama-tiny's head size: rows of 4 vectors (2 + 2)
        new Shape(1, 70, 2, 1, 56, 1f),    // rows of 7 vectors (3 + 2 + 2)
        new Shape(1, 100, 2, 1, 16, 3f));  // peaky scores: the running max moves between tiles
  }

  private static ThreadPool pool1;
  private static ThreadPool pool2;
  private static ThreadPool pool3;

  @BeforeAll
  static void startPools() {
    pool1 = new ThreadPool(1);
    pool2 = new ThreadPool(2);
    pool3 = new ThreadPool(3);
  }

  @AfterAll
  static void stopPools() {
    pool1.close();
    pool2.close();
    pool3.close();
  }

  // ---------------------------------------------------------------- the double reference

  /** Naive forward: materialises the causal softmax of each (batch, head). */
  static void refForward(double[] out, double[] lse, double[] qkv, Shape s) {
    int c3 = s.c3();
    int g = s.nh / s.nkv;
    double[][] p = new double[s.t][s.t]; // [T, T] causal probabilities
    for (int bi = 0; bi < s.b; bi++) {
      for (int h = 0; h < s.nh; h++) {
        int kvh = h / g;
        probabilities(p, lse, qkv, s, bi, h);
        for (int i = 0; i < s.t; i++) {
          int o = (bi * s.t + i) * s.nh * s.hs + h * s.hs;
          for (int d = 0; d < s.hs; d++) {
            double acc = 0;
            for (int j = 0; j <= i; j++) {
              acc += p[i][j] * qkv[(bi * s.t + j) * c3 + (s.nh + s.nkv + kvh) * s.hs + d];
            }
            out[o + d] = acc;
          }
        }
      }
    }
  }

  /** Fills p with the causal softmax of head h and, if lse is not null, its log-sum-exp. */
  private static void probabilities(double[][] p, double[] lse, double[] qkv, Shape s, int bi, int h) {
    int c3 = s.c3();
    int kvh = h / (s.nh / s.nkv);
    double scale = 1.0 / Math.sqrt(s.hs);
    for (int i = 0; i < s.t; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j <= i; j++) {
        int q = (bi * s.t + i) * c3 + h * s.hs;
        int k = (bi * s.t + j) * c3 + (s.nh + kvh) * s.hs;
        double dot = 0;
        for (int d = 0; d < s.hs; d++) {
          dot += qkv[q + d] * qkv[k + d];
        }
        p[i][j] = dot * scale;
        max = Math.max(max, p[i][j]);
      }
      double sum = 0;
      for (int j = 0; j <= i; j++) {
        p[i][j] = Math.exp(p[i][j] - max);
        sum += p[i][j];
      }
      for (int j = 0; j <= i; j++) {
        p[i][j] /= sum;
      }
      if (lse != null) {
        lse[(bi * s.nh + h) * s.t + i] = max + Math.log(sum);
      }
    }
  }

  /** Naive backward through the materialised softmax; dqkv is overwritten. */
  static void refBackward(double[] dqkv, double[] dout, double[] qkv, Shape s) {
    Arrays.fill(dqkv, 0);
    int c3 = s.c3();
    int g = s.nh / s.nkv;
    double scale = 1.0 / Math.sqrt(s.hs);
    double[][] p = new double[s.t][s.t];
    double[] dp = new double[s.t];
    for (int bi = 0; bi < s.b; bi++) {
      for (int h = 0; h < s.nh; h++) {
        int kvh = h / g;
        probabilities(p, null, qkv, s, bi, h);
        for (int i = 0; i < s.t; i++) {
          int dO = (bi * s.t + i) * s.nh * s.hs + h * s.hs;
          int q = (bi * s.t + i) * c3 + h * s.hs;
          // softmax backward: dS_ij = P_ij (dP_ij - Σ_k P_ik dP_ik)
          double pdp = 0;
          for (int j = 0; j <= i; j++) {
            int v = (bi * s.t + j) * c3 + (s.nh + s.nkv + kvh) * s.hs;
            double acc = 0;
            for (int d = 0; d < s.hs; d++) {
              acc += dout[dO + d] * qkv[v + d];
              dqkv[v + d] += p[i][j] * dout[dO + d];
            }
            dp[j] = acc;
            pdp += p[i][j] * acc;
          }
          for (int j = 0; j <= i; j++) {
            double ds = p[i][j] * (dp[j] - pdp) * scale;
            int k = (bi * s.t + j) * c3 + (s.nh + kvh) * s.hs;
            for (int d = 0; d < s.hs; d++) {
              dqkv[q + d] += ds * qkv[k + d];
              dqkv[k + d] += ds * qkv[q + d];
            }
          }
        }
      }
    }
  }

  /** The reference's own gradient agrees with central differences of L = Σ out·R. */
  @Test
  void doubleReferenceMatchesFiniteDifferences() {
    Shape s = new Shape(2, 5, 4, 2, 3, 1f);
    long seed = s.seed();
    Random rnd = new Random(seed);
    double[] qkv = new double[s.qkvSize()];
    double[] r = new double[s.outSize()];
    for (int i = 0; i < qkv.length; i++) {
      qkv[i] = 2 * rnd.nextDouble() - 1;
    }
    for (int i = 0; i < r.length; i++) {
      r[i] = 2 * rnd.nextDouble() - 1;
    }
    double[] grad = new double[qkv.length];
    refBackward(grad, r, qkv, s);
    double h = 1e-5;
    for (int e = 0; e < qkv.length; e++) {
      double x = qkv[e];
      qkv[e] = x + h;
      double lp = loss(qkv, r, s);
      qkv[e] = x - h;
      double lm = loss(qkv, r, s);
      qkv[e] = x;
      double fd = (lp - lm) / (2 * h);
      double err = Math.abs(fd - grad[e]) / Math.max(1e-3, Math.max(Math.abs(fd), Math.abs(grad[e])));
      if (err > 1e-6) {
        fail("seed " + seed + " " + s + ": d/dqkv[" + e + "] analytic " + grad[e]
            + " vs finite difference " + fd + " (relative error " + err + ")");
      }
    }
  }

  private static double loss(double[] qkv, double[] r, Shape s) {
    double[] out = new double[s.outSize()];
    refForward(out, new double[s.lseSize()], qkv, s);
    double l = 0;
    for (int i = 0; i < out.length; i++) {
      l += out[i] * r[i];
    }
    return l;
  }

  // ---------------------------------------------------------------- float kernels vs reference

  /** Both float implementations behind one shape so that every check runs on each. */
  interface Impl {
    void forward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff, Shape s);

    void backward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff,
        float[] out, int outOff, float[] lse, int lseOff, Shape s);
  }

  static final Impl SCALAR = new Impl() {
    @Override
    public void forward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
        Shape s) {
      ScalarAttention.forward(out, outOff, lse, lseOff, qkv, qkvOff, s.b, s.t, s.nh, s.nkv, s.hs);
    }

    @Override

    public void backward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff,
        float[] out, int outOff, float[] lse, int lseOff, Shape s) {
      ScalarAttention.backward(dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, out, outOff, lse, lseOff,
          s.b, s.t, s.nh, s.nkv, s.hs);
    }
  };

  static Impl vector(ThreadPool pool) {
    return new Impl() {
      @Override
      public void forward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
          Shape s) {
        VectorAttention.forward(pool, out, outOff, lse, lseOff, qkv, qkvOff,
            s.b, s.t, s.nh, s.nkv, s.hs);
      }

      @Override

      public void backward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff,
          float[] out, int outOff, float[] lse, int lseOff, Shape s) {
        VectorAttention.backward(pool, dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, out, outOff,
            lse, lseOff, s.b, s.t, s.nh, s.nkv, s.hs);
      }
    };
  }

  /** Random inputs of one shape, and the float results of one implementation on them. */
  static final class Run {
    final float[] qkv;
    final float[] dout;
    final float[] out;
    final float[] lse;
    final float[] dqkv;

    Run(Shape s, long seed) {
      Random rnd = new Random(seed);
      qkv = random(rnd, s.qkvSize(), s.amp);
      dout = random(rnd, s.outSize(), 1f);
      out = new float[s.outSize()];
      lse = new float[s.lseSize()];
      dqkv = new float[s.qkvSize()];
      // Backward overwrites dqkv: a NaN it failed to overwrite, or read, would show.
      Arrays.fill(dqkv, Float.NaN);
    }

    Run exec(Impl impl, Shape s) {
      impl.forward(out, 0, lse, 0, qkv, 0, s);
      impl.backward(dqkv, 0, dout, 0, qkv, 0, out, 0, lse, 0, s);
      return this;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void scalarMatchesDoubleReference(Shape s) {
    checkAgainstReference(SCALAR, s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void vectorMatchesDoubleReference(Shape s) {
    checkAgainstReference(vector(pool2), s);
  }

  private static void checkAgainstReference(Impl impl, Shape s) {
    long seed = s.seed();
    Run run = new Run(s, seed).exec(impl, s);
    double[] qkv = toDouble(run.qkv);
    double[] out = new double[s.outSize()];
    double[] lse = new double[s.lseSize()];
    double[] dqkv = new double[s.qkvSize()];
    refForward(out, lse, qkv, s);
    refBackward(dqkv, toDouble(run.dout), qkv, s);
    String where = "seed " + seed + " " + s + ": ";
    assertClose(where + "out", run.out, out, 1e-4);
    assertClose(where + "lse", run.lse, lse, 1e-5);
    assertClose(where + "dqkv", run.dqkv, dqkv, 1e-4);
  }

  /** The vector kernel against the scalar one on a sequence of many tiles. */
  @Test
  void vectorMatchesScalarOnLongSequence() {
    Shape s = new Shape(1, 600, 2, 1, 8, 1.5f);
    long seed = s.seed();
    Run vec = new Run(s, seed).exec(vector(pool2), s);
    Run ref = new Run(s, seed).exec(SCALAR, s);
    String where = "seed " + seed + " " + s + ": ";
    assertClose(where + "out", vec.out, toDouble(ref.out), 1e-4);
    assertClose(where + "lse", vec.lse, toDouble(ref.lse), 1e-5);
    assertClose(where + "dqkv", vec.dqkv, toDouble(ref.dqkv), 2e-4);
  }

  // ---------------------------------------------------------------- contract details

  @Test
  void backwardOverwritesDqkv() {
    Shape s = new Shape(2, 70, 4, 2, 12, 1f);
    long seed = s.seed();
    float[] prefill = random(new Random(seed + 1), s.qkvSize(), 1f);
    for (Impl impl : new Impl[] {vector(pool2), SCALAR}) {
      Run fresh = new Run(s, seed).exec(impl, s); // dqkv starts as NaN (see Run)
      Run run = new Run(s, seed);
      impl.forward(run.out, 0, run.lse, 0, run.qkv, 0, s);
      System.arraycopy(prefill, 0, run.dqkv, 0, prefill.length);
      impl.backward(run.dqkv, 0, run.dout, 0, run.qkv, 0, run.out, 0, run.lse, 0, s);
      for (int i = 0; i < prefill.length; i++) {
        if (Float.floatToIntBits(fresh.dqkv[i]) != Float.floatToIntBits(run.dqkv[i])) {
          fail("seed " + seed + " " + s + ": dqkv[" + i + "] = " + run.dqkv[i] + " after a prefill of "
              + prefill[i] + ", but " + fresh.dqkv[i] + " from NaN");
        }
      }
    }
  }

  @Test
  void honoursOffsetsAndLeavesNeighboursAlone() {
    Shape s = new Shape(2, 37, 4, 2, 12, 1f);
    long seed = s.seed();
    int outOff = 5;
    int lseOff = 3;
    int qkvOff = 11;
    int dqkvOff = 13;
    int doutOff = 17;
    int guard = 7;
    float sentinel = 12345.5f;
    for (Impl impl : new Impl[] {vector(pool2), SCALAR}) {
      Run plain = new Run(s, seed).exec(impl, s);
      float[] qkv = embed(plain.qkv, qkvOff, guard, sentinel);
      float[] dout = embed(plain.dout, doutOff, guard, sentinel);
      float[] out = embed(new float[s.outSize()], outOff, guard, sentinel);
      float[] lse = embed(new float[s.lseSize()], lseOff, guard, sentinel);
      float[] dqkv = embed(new float[s.qkvSize()], dqkvOff, guard, sentinel);
      impl.forward(out, outOff, lse, lseOff, qkv, qkvOff, s);
      impl.backward(dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, out, outOff, lse, lseOff, s);
      String where = "seed " + seed + " " + s + ": ";
      assertEmbedded(where + "out", plain.out, out, outOff, guard, sentinel);
      assertEmbedded(where + "lse", plain.lse, lse, lseOff, guard, sentinel);
      assertEmbedded(where + "dqkv", plain.dqkv, dqkv, dqkvOff, guard, sentinel);
    }
  }

  @Test
  void vectorIsBitwiseIdenticalAcrossThreadCounts() {
    for (Shape s : new Shape[] {new Shape(2, 130, 4, 2, 20, 1f), new Shape(3, 150, 6, 6, 8, 2f)}) {
      long seed = s.seed();
      Run one = new Run(s, seed).exec(vector(pool1), s);
      for (ThreadPool pool : new ThreadPool[] {pool2, pool3}) {
        Run many = new Run(s, seed).exec(vector(pool), s);
        String where = "seed " + seed + " " + s + ", " + pool.threads() + " threads vs 1: ";
        assertArrayEquals(one.out, many.out, where + "out");
        assertArrayEquals(one.lse, many.lse, where + "lse");
        assertArrayEquals(one.dqkv, many.dqkv, where + "dqkv");
      }
    }
  }

  @Test
  void rejectsBadShapes() {
    float[] qkv = new float[1000];
    float[] out = new float[1000];
    float[] lse = new float[1000];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VectorAttention.forward(pool1, out, 0, lse, 0, qkv, 0, 1, 4, 3, 2, 4));
    assertTrue(e.getMessage().contains("NH=3"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ScalarAttention.forward(out, 0, lse, 0, qkv, 0, 1, 0, 2, 2, 4));
    // qkv of B=2, T=8, NH=NKV=4, hs=8 needs 1536 floats.
    e = assertThrows(IllegalArgumentException.class,
        () -> VectorAttention.forward(pool1, new float[2048], 0, lse, 0, qkv, 0, 2, 8, 4, 4, 8));
    assertTrue(e.getMessage().startsWith("qkv"), e.getMessage());
  }

  @Test
  void exp2IsAccurateAndFlushesToZero() {
    int l = FloatVector.SPECIES_PREFERRED.length();
    float[] x = new float[l];
    float[] y = new float[l];
    for (float start = -126f; start < 0.5f; start += 0.0137f * l) {
      for (int i = 0; i < l; i++) {
        x[i] = start + 0.0137f * i;
      }
      TileOps.exp2(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
      for (int i = 0; i < l; i++) {
        double exact = Math.pow(2, x[i]);
        assertTrue(Math.abs(y[i] - exact) <= 3e-7 * exact,
            "exp2(" + x[i] + ") = " + y[i] + ", exact " + exact);
      }
    }
    Arrays.fill(x, Float.NEGATIVE_INFINITY);
    x[0] = -127f;
    if (l > 1) {
      x[1] = -200f;
    }
    TileOps.exp2(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
    for (int i = 0; i < l; i++) {
      assertEquals(0f, y[i], "exp2(" + x[i] + ")");
    }
  }

  // ---------------------------------------------------------------- helpers

  private static float[] random(Random rnd, int n, float amp) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = amp * (2 * rnd.nextFloat() - 1);
    }
    return a;
  }

  private static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /**
   * Asserts |got - want| ≤ rtol·(|want| + max|want|/10) elementwise: relative for the large entries,
   * and relative to the tensor's scale for entries near zero, whose error comes from cancelling sums.
   */
  private static void assertClose(String what, float[] got, double[] want, double rtol) {
    assertEquals(want.length, got.length, what + " length");
    double scale = 0;
    for (double w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(got[i] - want[i]);
      if (!(err <= rtol * (Math.abs(want[i]) + 0.1 * scale))) {
        fail(what + "[" + i + "] = " + got[i] + ", reference " + want[i] + " (error " + err
            + ", tensor max " + scale + ", rtol " + rtol + ")");
      }
    }
  }

  private static float[] embed(float[] a, int off, int guard, float sentinel) {
    float[] e = new float[off + a.length + guard];
    Arrays.fill(e, sentinel);
    System.arraycopy(a, 0, e, off, a.length);
    return e;
  }

  private static void assertEmbedded(String what, float[] want, float[] got, int off, int guard,
      float sentinel) {
    for (int i = 0; i < off; i++) {
      assertEquals(sentinel, got[i], what + ": element before the offset was written");
    }
    for (int i = 0; i < guard; i++) {
      assertEquals(sentinel, got[off + want.length + i], what + ": element past the end was written");
    }
    assertArrayEquals(want, Arrays.copyOfRange(got, off, off + want.length), what + " at an offset");
  }
}
