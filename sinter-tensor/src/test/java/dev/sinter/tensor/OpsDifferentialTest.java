// Differential tests: ScalarOps and VectorOps (on one and on three threads) against the double
// references in RefOps, over awkward sizes (below, at and around the vector width, a row of 768,
// a vocabulary of 50257), at non-zero offsets, with gradient outputs pre-filled so that
// accumulation is checked too.
// Legend: C channels, F hidden width of the MLP, V vocabulary, B batch, T time, hs head size.
package dev.sinter.tensor;

import static dev.sinter.tensor.TestArrays.assertClose;
import static dev.sinter.tensor.TestArrays.assertPaddingIntact;
import static dev.sinter.tensor.TestArrays.input;
import static dev.sinter.tensor.TestArrays.output;
import static dev.sinter.tensor.TestArrays.prefilled;
import static dev.sinter.tensor.TestArrays.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OpsDifferentialTest {
  private static final ThreadPool ONE = new ThreadPool(1);
  private static final ThreadPool THREE = new ThreadPool(3);
  private static final int[] ROWS = {1, 3, 17};
  private static final int[] WIDTHS = {1, 7, 8, 9, 33, 768};
  private static final int[] LENGTHS = {1, 7, 8, 9, 33, 768, VectorMath.CHUNK + 13};
  private static final float EPS = 1e-5f;
  // Float kernels against double: ~170 ulp relative, plus an absolute floor of ~17 ulp of the
  // largest value for entries that are small because of cancellation. The worst case measured
  // over these tests uses a sixth of it.
  private static final double RTOL = 1e-5;
  private static final double ATOL = 1e-6;

  static Stream<Kernels> impls() {
    return Stream.of(new ScalarKernels(ONE), new VectorKernels(ONE), new VectorKernels(THREE));
  }

  @AfterAll
  static void closePools() {
    ONE.close();
    THREE.close();
  }

  private static long seed(String kernel, int a, int b) {
    return kernel.hashCode() * 1_000_003L + a * 10_007L + b;
  }

  @ParameterizedTest
  @MethodSource("impls")
  void rmsnorm(Kernels ops) {
    for (int rows : ROWS) {
      for (int c : WIDTHS) {
        long seed = seed("rmsnorm", rows, c);
        String ctx = ops + " rmsnorm rows=" + rows + " C=" + c + " seed=" + seed;
        Random rnd = new Random(seed);
        int n = rows * c;
        float[] x = input(rnd, 3, n, 1.5);
        float[] w = input(rnd, 1, c, 1);
        float[] out = output(4, n);
        float[] rstd = output(2, rows);
        ops.rmsnormForward(out, 4, rstd, 2, x, 3, w, 1, rows, c, EPS);

        double[] xd = toDouble(x, 3, n);
        double[] wd = toDouble(w, 1, c);
        double[] outRef = new double[n];
        double[] rstdRef = new double[rows];
        RefOps.rmsnormForward(outRef, rstdRef, xd, wd, rows, c, EPS);
        assertClose(ctx + " out", out, 4, outRef, RTOL, ATOL);
        assertClose(ctx + " rstd", rstd, 2, rstdRef, RTOL, 0);
        assertPaddingIntact(ctx + " out", out, 4, n);
        assertPaddingIntact(ctx + " rstd", rstd, 2, rows);

        float[] dout = input(rnd, 6, n, 1);
        float[] dx = prefilled(rnd, 5, n);
        float[] dw = prefilled(rnd, 3, c);
        double[] dxRef = toDouble(dx, 5, n);
        double[] dwRef = toDouble(dw, 3, c);
        RefOps.rmsnormBackward(dxRef, dwRef, toDouble(dout, 6, n), xd, wd, toDouble(rstd, 2, rows), rows, c);
        ops.rmsnormBackward(dx, 5, dw, 3, dout, 6, x, 3, w, 1, rstd, 2, rows, c);
        assertClose(ctx + " dx", dx, 5, dxRef, RTOL, ATOL);
        assertClose(ctx + " dweight", dw, 3, dwRef, RTOL, ATOL);
        assertPaddingIntact(ctx + " dx", dx, 5, n);
        assertPaddingIntact(ctx + " dweight", dw, 3, c);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void layernorm(Kernels ops) {
    for (int rows : ROWS) {
      for (int c : WIDTHS) {
        long seed = seed("layernorm", rows, c);
        String ctx = ops + " layernorm rows=" + rows + " C=" + c + " seed=" + seed;
        Random rnd = new Random(seed);
        int n = rows * c;
        float[] x = input(rnd, 3, n, 2);
        for (int i = 0; i < n; i++) {
          x[3 + i] += 5; // a mean well away from zero, where a one-pass variance would cancel
        }
        float[] w = input(rnd, 1, c, 1);
        float[] b = input(rnd, 2, c, 1);
        float[] out = output(4, n);
        float[] mean = output(1, rows);
        float[] rstd = output(2, rows);
        ops.layernormForward(out, 4, mean, 1, rstd, 2, x, 3, w, 1, b, 2, rows, c, EPS);

        double[] xd = toDouble(x, 3, n);
        double[] wd = toDouble(w, 1, c);
        double[] outRef = new double[n];
        double[] meanRef = new double[rows];
        double[] rstdRef = new double[rows];
        RefOps.layernormForward(outRef, meanRef, rstdRef, xd, wd, toDouble(b, 2, c), rows, c, EPS);
        assertClose(ctx + " out", out, 4, outRef, RTOL, ATOL);
        assertClose(ctx + " mean", mean, 1, meanRef, RTOL, 0);
        // With C = 1 the variance is 0 and rstd = 1/sqrt(eps); elsewhere rstd is well conditioned.
        assertClose(ctx + " rstd", rstd, 2, rstdRef, c == 1 ? 1e-3 : RTOL, 0);
        assertPaddingIntact(ctx + " out", out, 4, n);
        assertPaddingIntact(ctx + " mean", mean, 1, rows);
        assertPaddingIntact(ctx + " rstd", rstd, 2, rows);

        float[] dout = input(rnd, 6, n, 1);
        float[] dx = prefilled(rnd, 5, n);
        float[] dw = prefilled(rnd, 3, c);
        float[] db = prefilled(rnd, 4, c);
        double[] dxRef = toDouble(dx, 5, n);
        double[] dwRef = toDouble(dw, 3, c);
        double[] dbRef = toDouble(db, 4, c);
        RefOps.layernormBackward(dxRef, dwRef, dbRef, toDouble(dout, 6, n), xd, wd, toDouble(mean, 1, rows),
            toDouble(rstd, 2, rows), rows, c);
        ops.layernormBackward(dx, 5, dw, 3, db, 4, dout, 6, x, 3, w, 1, mean, 1, rstd, 2, rows, c);
        assertClose(ctx + " dx", dx, 5, dxRef, RTOL, ATOL);
        assertClose(ctx + " dweight", dw, 3, dwRef, RTOL, ATOL);
        assertClose(ctx + " dbias", db, 4, dbRef, RTOL, ATOL);
        assertPaddingIntact(ctx + " dx", dx, 5, n);
        assertPaddingIntact(ctx + " dweight", dw, 3, c);
        assertPaddingIntact(ctx + " dbias", db, 4, c);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void swiglu(Kernels ops) {
    for (int rows : ROWS) {
      for (int f : WIDTHS) {
        long seed = seed("swiglu", rows, f);
        String ctx = ops + " swiglu rows=" + rows + " F=" + f + " seed=" + seed;
        Random rnd = new Random(seed);
        float[] gu = input(rnd, 2, rows * 2 * f, 3);
        float[] out = output(3, rows * f);
        ops.swigluForward(out, 3, gu, 2, rows, f);
        double[] gud = toDouble(gu, 2, rows * 2 * f);
        double[] outRef = new double[rows * f];
        RefOps.swigluForward(outRef, gud, rows, f);
        assertClose(ctx + " out", out, 3, outRef, RTOL, ATOL);
        assertPaddingIntact(ctx + " out", out, 3, rows * f);

        float[] dout = input(rnd, 4, rows * f, 1);
        float[] dgu = output(1, rows * 2 * f); // overwritten: a kernel that read it would add the sentinel
        double[] dguRef = new double[rows * 2 * f];
        RefOps.swigluBackward(dguRef, toDouble(dout, 4, rows * f), gud, rows, f);
        ops.swigluBackward(dgu, 1, dout, 4, gu, 2, rows, f);
        assertClose(ctx + " dgu", dgu, 1, dguRef, RTOL, ATOL);
        assertPaddingIntact(ctx + " dgu", dgu, 1, rows * 2 * f);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void gelu(Kernels ops) {
    for (int n : LENGTHS) {
      long seed = seed("gelu", n, 0);
      String ctx = ops + " gelu n=" + n + " seed=" + seed;
      Random rnd = new Random(seed);
      float[] x = input(rnd, 3, n, 3);
      float[] out = output(2, n);
      ops.geluForward(out, 2, x, 3, n);
      double[] xd = toDouble(x, 3, n);
      double[] outRef = new double[n];
      RefOps.geluForward(outRef, xd);
      assertClose(ctx + " out", out, 2, outRef, RTOL, ATOL);
      assertPaddingIntact(ctx + " out", out, 2, n);

      float[] dout = input(rnd, 1, n, 1);
      float[] dx = output(4, n); // overwritten: a kernel that read it would add the sentinel
      double[] dxRef = new double[n];
      RefOps.geluBackward(dxRef, toDouble(dout, 1, n), xd);
      ops.geluBackward(dx, 4, dout, 1, x, 3, n);
      assertClose(ctx + " dx", dx, 4, dxRef, RTOL, ATOL);
      assertPaddingIntact(ctx + " dx", dx, 4, n);
    }
  }

  /**
   * Inputs where exp under- or overflows: the results must stay finite and within 1e-6 absolute or
   * 1e-5 relative of the reference. Twenty-five values cover a vector body and a scalar tail.
   */
  @ParameterizedTest
  @MethodSource("impls")
  void saturatedActivations(Kernels ops) {
    float[] x = {0f, -0f, 1e-6f, -1e-6f, 5f, -5f, 10f, -10f, 20f, -20f, 30f, -30f, 44f, -44f, 50f, -50f, 88f,
        -88f, 100f, -100f, 1e3f, -1e3f, 3e4f, -3e4f, -9f};
    int n = x.length;
    double[] xd = toDouble(x, 0, n);
    double[] ones = new double[n];
    Arrays.fill(ones, 1);
    float[] onesF = new float[n];
    Arrays.fill(onesF, 1f);
    String ctx = ops + " saturated";

    double[] ref = new double[n];
    RefOps.geluForward(ref, xd);
    float[] out = new float[n];
    ops.geluForward(out, 0, x, 0, n);
    assertCloseAbsolute(ctx + " gelu", out, ref);
    ref = new double[n];
    RefOps.geluBackward(ref, ones, xd);
    out = new float[n];
    ops.geluBackward(out, 0, onesF, 0, x, 0, n);
    assertCloseAbsolute(ctx + " gelu dx", out, ref);

    // One SwiGLU row: the values above as gates, up = 1.
    float[] gu = new float[2 * n];
    System.arraycopy(x, 0, gu, 0, n);
    System.arraycopy(onesF, 0, gu, n, n);
    double[] gud = toDouble(gu, 0, 2 * n);
    ref = new double[n];
    RefOps.swigluForward(ref, gud, 1, n);
    out = new float[n];
    ops.swigluForward(out, 0, gu, 0, 1, n);
    assertCloseAbsolute(ctx + " swiglu", out, ref);
    ref = new double[2 * n];
    RefOps.swigluBackward(ref, ones, gud, 1, n);
    out = new float[2 * n];
    ops.swigluBackward(out, 0, onesF, 0, gu, 0, 1, n);
    assertCloseAbsolute(ctx + " swiglu dgu", out, ref);
  }

  private static void assertCloseAbsolute(String what, float[] actual, double[] expected) {
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      if (!(err <= 1e-5 * Math.abs(expected[i]) + 1e-6)) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void rope(Kernels ops) {
    int[][] cases = { // b, t, heads, hs, extra columns after the rotated heads
        {1, 1, 1, 2, 0}, {2, 3, 3, 8, 8}, {1, 17, 2, 18, 5}, {2, 5, 4, 64, 67}, {3, 4, 2, 34, 1}};
    for (int[] k : cases) {
      int b = k[0];
      int t = k[1];
      int heads = k[2];
      int hs = k[3];
      int stride = heads * hs + k[4];
      long seed = seed("rope", b * 1000 + t, heads * 1000 + hs);
      String ctx = ops + " rope B=" + b + " T=" + t + " heads=" + heads + " hs=" + hs + " seed=" + seed;
      Random rnd = new Random(seed);
      float[] cos = new float[t * hs / 2];
      float[] sin = new float[t * hs / 2];
      for (int p = 0; p < t; p++) {
        for (int i = 0; i < hs / 2; i++) {
          double angle = p * Math.pow(10000, -2.0 * i / hs);
          cos[p * hs / 2 + i] = (float) Math.cos(angle);
          sin[p * hs / 2 + i] = (float) Math.sin(angle);
        }
      }
      int n = b * t * stride;
      float[] x0 = input(rnd, 3, n, 1);
      double[] ref = toDouble(x0, 3, n);
      RefOps.rope(ref, stride, toDouble(cos, 0, cos.length), toDouble(sin, 0, sin.length), b, t, heads, hs, false);
      float[] x = x0.clone();
      ops.rope(x, 3, stride, cos, sin, b, t, heads, hs, false);
      assertClose(ctx + " forward", x, 3, ref, RTOL, ATOL);
      for (int r = 0; r < b * t; r++) {
        for (int i = heads * hs; i < stride; i++) {
          assertEquals(x0[3 + r * stride + i], x[3 + r * stride + i], ctx + ": column " + i + " must pass through");
        }
      }
      ops.rope(x, 3, stride, cos, sin, b, t, heads, hs, true);
      assertClose(ctx + " inverse of forward", x, 3, toDouble(x0, 3, n), RTOL, ATOL);
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void addAndScale(Kernels ops) {
    for (int n : LENGTHS) {
      long seed = seed("add", n, 0);
      String ctx = ops + " n=" + n + " seed=" + seed;
      Random rnd = new Random(seed);
      float[] a = input(rnd, 2, n, 1);
      float[] b = input(rnd, 5, n, 1);
      double[] sum = new double[n];
      double[] scaled = new double[n];
      for (int i = 0; i < n; i++) {
        sum[i] = a[2 + i] + b[5 + i];
        scaled[i] = a[2 + i] * 0.37f;
      }
      float[] out = output(1, n);
      ops.add(out, 1, a, 2, b, 5, n);
      assertClose(ctx + " add", out, 1, sum, 0, 0);
      assertPaddingIntact(ctx + " add", out, 1, n);
      float[] aliased = a.clone();
      ops.add(aliased, 2, aliased, 2, b, 5, n);
      assertClose(ctx + " add in place", aliased, 2, sum, 0, 0);
      ops.scale(a, 2, n, 0.37f);
      assertClose(ctx + " scale", a, 2, scaled, 0, 0);
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void crossEntropy(Kernels ops) {
    for (int rows : ROWS) {
      for (int v : new int[] {5, 1000}) {
        checkCrossEntropy(ops, rows, v);
      }
    }
    checkCrossEntropy(ops, 3, 50257);
  }

  private static void checkCrossEntropy(Kernels ops, int rows, int v) {
    long seed = seed("crossEntropy", rows, v);
    String ctx = ops + " crossEntropy rows=" + rows + " V=" + v + " seed=" + seed;
    Random rnd = new Random(seed);
    float[] logits = input(rnd, 3, rows * v, 3);
    int[] targets = new int[rows + 2];
    for (int r = 0; r < rows; r++) {
      targets[2 + r] = rnd.nextInt(v);
    }
    if (rows > 1) {
      targets[2 + 1] = -1;
    }
    float gradScale = 1f / rows;
    double[] gradRef = toDouble(logits, 3, rows * v);
    double[] lossRef = new double[rows];
    int[] refTargets = Arrays.copyOfRange(targets, 2, 2 + rows);
    RefOps.crossEntropy(lossRef, gradRef, refTargets, rows, v, gradScale);
    float[] losses = output(1, rows);
    ops.crossEntropy(losses, 1, logits, 3, targets, 2, rows, v, gradScale);
    assertClose(ctx + " losses", losses, 1, lossRef, RTOL, ATOL);
    assertClose(ctx + " dlogits", logits, 3, gradRef, RTOL, ATOL);
    assertPaddingIntact(ctx + " losses", losses, 1, rows);
    if (rows > 1) {
      assertEquals(0f, losses[1 + 1], ctx + ": an ignored row has loss 0");
      for (int i = 0; i < v; i++) {
        assertEquals(0f, logits[3 + v + i], ctx + ": an ignored row has gradient 0");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void softmax(Kernels ops) {
    for (int rows : ROWS) {
      for (int c : WIDTHS) {
        long seed = seed("softmax", rows, c);
        String ctx = ops + " softmax rows=" + rows + " C=" + c + " seed=" + seed;
        Random rnd = new Random(seed);
        float[] x = input(rnd, 2, rows * c, 4);
        double[] ref = new double[rows * c];
        RefOps.softmaxForward(ref, toDouble(x, 2, rows * c), rows, c);
        float[] out = output(5, rows * c);
        ops.softmax(out, 5, x, 2, rows, c);
        assertClose(ctx, out, 5, ref, RTOL, ATOL);
        assertPaddingIntact(ctx, out, 5, rows * c);
        ops.softmax(x, 2, x, 2, rows, c);
        assertClose(ctx + " in place", x, 2, ref, RTOL, ATOL);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void adamwTracksDoubleOverSteps(Kernels ops) {
    for (int n : new int[] {5, 2 * VectorMath.CHUNK + 37}) {
      long seed = seed("adamw", n, 0);
      String ctx = ops + " adamw n=" + n + " seed=" + seed;
      Random rnd = new Random(seed);
      int off = 3;
      float[] p = input(rnd, off, n, 1);
      float[] m = output(off, n);
      float[] v = output(off, n);
      Arrays.fill(m, off, off + n, 0f);
      Arrays.fill(v, off, off + n, 0f);
      double[] pd = toDouble(p, off, n);
      double[] md = new double[n];
      double[] vd = new double[n];
      float lr = 1e-2f;
      float beta1 = 0.9f;
      float beta2 = 0.95f;
      float eps = 1e-8f;
      float wd = 0.1f;
      for (int step = 1; step <= 5; step++) {
        float[] g = input(rnd, off, n, 0.1);
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        ops.adamw(p, g, m, v, off, off, n, lr, beta1, beta2, eps, wd, bc1, bc2);
        RefOps.adamw(pd, toDouble(g, off, n), md, vd, lr, beta1, beta2, eps, wd, step);
        assertClose(ctx + " p after step " + step, p, off, pd, RTOL, ATOL);
        assertClose(ctx + " m after step " + step, m, off, md, RTOL, ATOL);
        assertClose(ctx + " v after step " + step, v, off, vd, RTOL, ATOL);
      }
      assertPaddingIntact(ctx + " m", m, off, n);
      assertPaddingIntact(ctx + " v", v, off, n);
    }
  }

  @ParameterizedTest
  @MethodSource("impls")
  void sumOfSquaresMatchesDouble(Kernels ops) {
    for (int n : new int[] {0, 1, 7, 1000, 3 * VectorMath.CHUNK + 5}) {
      long seed = seed("sumOfSquares", n, 0);
      Random rnd = new Random(seed);
      float[] x = input(rnd, 4, n, 2);
      BigDecimal exact = BigDecimal.ZERO;
      for (int i = 0; i < n; i++) {
        BigDecimal xi = new BigDecimal(x[4 + i]);
        exact = exact.add(xi.multiply(xi));
      }
      double expected = exact.doubleValue();
      double actual = ops.sumOfSquares(x, 4, n);
      assertEquals(expected, actual, 1e-13 * expected, ops + " sumOfSquares n=" + n + " seed=" + seed);
    }
  }

  @Test
  void adamwVectorAgreesWithScalarBitwise() {
    long seed = 42;
    Random rnd = new Random(seed);
    int n = VectorMath.CHUNK + 11;
    float[] p = input(rnd, 0, n, 1);
    float[] g = input(rnd, 0, n, 0.1);
    float[] m = input(rnd, 0, n, 0.01);
    float[] v = input(rnd, 0, n, 0.001);
    for (int i = 0; i < n; i++) {
      v[i] = Math.abs(v[i]);
    }
    float[] p2 = p.clone();
    float[] m2 = m.clone();
    float[] v2 = v.clone();
    ScalarOps.adamw(p, g, m, v, 0, 0, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
    VectorOps.adamw(THREE, p2, g, m2, v2, 0, 0, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
    TestArrays.assertBitwise("adamw p, seed " + seed, p, p2);
    TestArrays.assertBitwise("adamw m, seed " + seed, m, m2);
    TestArrays.assertBitwise("adamw v, seed " + seed, v, v2);
  }

  /** A ZeRO shard: moments hold only [off, off+n) of the parameters, at index 0; same bits as in place. */
  @Test
  void adamwOnACompactShardMatchesTheFullUpdate() {
    long seed = 43;
    Random rnd = new Random(seed);
    int total = 3 * VectorMath.CHUNK + 5;
    int off = VectorMath.CHUNK / 2 + 3;
    int n = VectorMath.CHUNK + 17;
    float[] p = input(rnd, 0, total, 1);
    float[] g = input(rnd, 0, total, 0.1);
    float[] m = input(rnd, 0, total, 0.01);
    float[] v = input(rnd, 0, total, 0.001);
    for (int i = 0; i < total; i++) {
      v[i] = Math.abs(v[i]);
    }
    float[] p2 = p.clone();
    float[] m2 = java.util.Arrays.copyOfRange(m, off, off + n);
    float[] v2 = java.util.Arrays.copyOfRange(v, off, off + n);
    float[] p3 = p.clone();
    float[] m3 = m2.clone();
    float[] v3 = v2.clone();
    ScalarOps.adamw(p, g, m, v, off, off, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
    VectorOps.adamw(THREE, p2, g, m2, v2, off, 0, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
    ScalarOps.adamw(p3, g, m3, v3, off, 0, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
    TestArrays.assertBitwise("sharded adamw p (vector), seed " + seed, p, p2);
    TestArrays.assertBitwise("sharded adamw p (scalar), seed " + seed, p, p3);
    TestArrays.assertBitwise("sharded adamw m, seed " + seed, java.util.Arrays.copyOfRange(m, off, off + n), m2);
    TestArrays.assertBitwise("sharded adamw v, seed " + seed, java.util.Arrays.copyOfRange(v, off, off + n), v3);
  }
}
