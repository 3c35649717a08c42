// Differential tests of VectorGemm against ScalarGemm, and thread-count independence.
//
// Tolerance: both sides sum K products in float, each within about K·u·Σ|terms| of the exact value
// (u = 2⁻²⁴), so the bound is 2·(K+2)·u·(Σ|x·w| + |bias| + |initial|) per element, computed with
// ScalarGemm on the absolute values. Seeds are fixed per case (override the base with
// -Dsinter.test.seed=N) and printed in every failure message.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VectorGemmTest {
  private static final long BASE_SEED = Long.getLong("sinter.test.seed", 20_260_115L);
  private static final double U = Math.ulp(1f) / 2;

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

  /** m, n, k: ones, primes, sizes just off the register and cache blocks, and degenerate sizes. */
  static List<int[]> shapes() {
    int lanes = GemmMicroKernel.L;
    int nr = VectorGemm.BLOCKING.nr();
    int mr = VectorGemm.BLOCKING.mr();
    List<int[]> s = new ArrayList<>(List.of(
        new int[] {1, 1, 1}, new int[] {1, 7, 3}, new int[] {7, 1, 5}, new int[] {3, 5, 1},
        new int[] {2, 3, 4}, new int[] {7, 13, 33}, new int[] {33, 33, 33},
        new int[] {mr, nr, lanes}, new int[] {mr + 1, nr + 1, 2}, new int[] {mr - 1, nr - 1, 9},
        new int[] {17, 2 * lanes + 3, 257}, new int[] {129, 65, 31}, new int[] {61, 129, 300},
        new int[] {150, 131, 141}, new int[] {145, 257, 97}, new int[] {5, 300, 513}));
    s.add(new int[] {0, 4, 3});
    s.add(new int[] {4, 0, 3});
    s.add(new int[] {4, 3, 0});
    return s;
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void forwardMatchesScalar(int[] shape) {
    for (boolean withBias : new boolean[] {false, true}) {
      Case c = new Case(shape, withBias ? 1 : 2);
      float[] bias = withBias ? c.vec(c.n, 3) : null;
      int bo = withBias ? 3 : 0;
      float[] y = c.vec(c.m * c.n, 5);
      float[] yRef = y.clone();
      VectorGemm.matmul(pool2, y, 5, c.x, 1, c.w, 2, bias, bo, c.m, c.n, c.k);
      ScalarGemm.matmul(yRef, 5, c.x, 1, c.w, 2, bias, bo, c.m, c.n, c.k);
      float[] bound = new float[y.length];
      ScalarGemm.matmul(bound, 5, abs(c.x), 1, abs(c.w), 2, bias == null ? null : abs(bias), bo,
          c.m, c.n, c.k);
      c.assertClose("forward bias=" + withBias, yRef, y, bound, null, 5, c.m * c.n);
    }
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void backwardInputMatchesScalar(int[] shape) {
    Case c = new Case(shape, 3);
    float[] dy = c.vec(c.m * c.n, 4);
    // dX starts as garbage (NaN inside, random around it): it is overwritten, never read.
    float[] dx = c.vec(c.m * c.k, 6);
    java.util.Arrays.fill(dx, 6, 6 + c.m * c.k, Float.NaN);
    float[] dxRef = dx.clone();
    VectorGemm.matmulBackwardInput(pool2, dx, 6, dy, 4, c.w, 2, c.m, c.n, c.k);
    ScalarGemm.matmulBackwardInput(dxRef, 6, dy, 4, c.w, 2, c.m, c.n, c.k);
    float[] bound = new float[dx.length];
    ScalarGemm.matmulBackwardInput(bound, 6, abs(dy), 4, abs(c.w), 2, c.m, c.n, c.k);
    c.assertClose("backward input", dxRef, dx, bound, null, 6, c.m * c.k);
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void backwardWeightMatchesScalar(int[] shape) {
    for (boolean withBias : new boolean[] {false, true}) {
      Case c = new Case(shape, withBias ? 4 : 5);
      float[] dy = c.vec(c.m * c.n, 4);
      float[] dw = c.vec(c.n * c.k, 7);
      float[] dwRef = dw.clone();
      float[] initial = dw.clone();
      float[] db = withBias ? c.vec(c.n, 2) : null;
      float[] dbRef = withBias ? db.clone() : null;
      VectorGemm.matmulBackwardWeight(pool2, dw, 7, db, 2, dy, 4, c.x, 1, c.m, c.n, c.k);
      ScalarGemm.matmulBackwardWeight(dwRef, 7, dbRef, 2, dy, 4, c.x, 1, c.m, c.n, c.k);
      float[] bound = new float[dw.length];
      ScalarGemm.matmulBackwardWeight(bound, 7, null, 0, abs(dy), 4, abs(c.x), 1, c.m, c.n, c.k);
      c.assertClose("backward weight", dwRef, dw, bound, initial, 7, c.n * c.k);
      if (withBias) {
        // Both sum dY down each column in increasing m starting from dBias: the same float ops.
        assertArrayEquals(dbRef, db, "dbias, " + c);
      }
    }
  }

  /** Tiny blocks force many K chunks, tiles and pack super-blocks through every edge path. */
  static List<GemmBlocking> tinyBlockings() {
    int lanes = GemmMicroKernel.L;
    return List.of(
        new GemmBlocking(lanes, 4, 2, 5, 8, 2 * lanes, 600),
        new GemmBlocking(lanes, 4, 2, 64, 12, 4 * lanes, 1 << 20),
        new GemmBlocking(lanes, 6, 4, 7, 12, 4 * lanes, 900));
  }

  @ParameterizedTest
  @MethodSource("tinyBlockings")
  void driverMatchesScalarUnderTinyBlocking(GemmBlocking bl) {
    GemmDriver driver = new GemmDriver(bl);
    for (int[] shape : new int[][] {{1, 1, 1}, {9, 37, 23}, {50, 45, 61}, {131, 70, 129}}) {
      Case c = new Case(shape, 6);
      float[] bias = c.vec(c.n, 0);
      float[] y = new float[c.m * c.n];
      float[] yRef = new float[c.m * c.n];
      driver.gemm(pool3, y, 0, c.n, c.x, 1, c.k, false, c.w, 2, c.k, true, c.m, c.n, c.k,
          false, bias, 0, null, 0);
      ScalarGemm.matmul(yRef, 0, c.x, 1, c.w, 2, bias, 0, c.m, c.n, c.k);
      float[] bound = new float[y.length];
      ScalarGemm.matmul(bound, 0, abs(c.x), 1, abs(c.w), 2, abs(bias), 0, c.m, c.n, c.k);
      c.assertClose("driver forward " + bl, yRef, y, bound, null, 0, y.length);

      float[] dy = c.vec(c.m * c.n, 0);
      float[] dw = c.vec(c.n * c.k, 0);
      float[] dwRef = dw.clone();
      float[] initial = dw.clone();
      float[] db = c.vec(c.n, 0);
      float[] dbRef = db.clone();
      driver.gemm(pool3, dw, 0, c.k, dy, 0, c.n, true, c.x, 1, c.k, false, c.n, c.k, c.m,
          true, null, 0, db, 0);
      ScalarGemm.matmulBackwardWeight(dwRef, 0, dbRef, 0, dy, 0, c.x, 1, c.m, c.n, c.k);
      float[] bound2 = new float[dw.length];
      ScalarGemm.matmulBackwardWeight(bound2, 0, null, 0, abs(dy), 0, abs(c.x), 1, c.m, c.n, c.k);
      c.assertClose("driver backward weight " + bl, dwRef, dw, bound2, initial, 0, dw.length);
      assertArrayEquals(dbRef, db, "driver dbias " + bl + ", " + c);
    }
  }

  @Test
  void resultsAreBitwiseIdenticalForAnyThreadCount() {
    int[][] cases = {{150, 131, 141}, {301, 257, 96}, {64, 515, 200}};
    for (int[] shape : cases) {
      Case c = new Case(shape, 7);
      float[] bias = c.vec(c.n, 0);
      float[] dy = c.vec(c.m * c.n, 0);
      float[] dx0 = c.vec(c.m * c.k, 0);
      float[] dw0 = c.vec(c.n * c.k, 0);
      float[] db0 = c.vec(c.n, 0);
      float[][] y = new float[3][];
      float[][] dx = new float[3][];
      float[][] dw = new float[3][];
      float[][] db = new float[3][];
      ThreadPool[] pools = {pool1, pool2, pool3};
      for (int t = 0; t < 3; t++) {
        y[t] = new float[c.m * c.n];
        VectorGemm.matmul(pools[t], y[t], 0, c.x, 1, c.w, 2, bias, 0, c.m, c.n, c.k);
        dx[t] = dx0.clone();
        VectorGemm.matmulBackwardInput(pools[t], dx[t], 0, dy, 0, c.w, 2, c.m, c.n, c.k);
        dw[t] = dw0.clone();
        db[t] = db0.clone();
        VectorGemm.matmulBackwardWeight(pools[t], dw[t], 0, db[t], 0, dy, 0, c.x, 1,
            c.m, c.n, c.k);
      }
      for (int t = 1; t < 3; t++) {
        String what = " differs between 1 and " + pools[t].threads() + " threads, " + c;
        assertArrayEquals(y[0], y[t], "forward" + what);
        assertArrayEquals(dx[0], dx[t], "backward input" + what);
        assertArrayEquals(dw[0], dw[t], "backward weight" + what);
        assertArrayEquals(db[0], db[t], "dbias" + what);
      }
    }
  }

  @Test
  void tinyBlockingIsBitwiseIdenticalForAnyThreadCount() {
    GemmBlocking bl = new GemmBlocking(GemmMicroKernel.L, 4, 2, 9, 8, 2 * GemmMicroKernel.L, 700);
    Case c = new Case(new int[] {137, 129, 131}, 8);
    float[] out1 = new float[c.m * c.n];
    float[] out3 = new float[c.m * c.n];
    new GemmDriver(bl).gemm(pool1, out1, 0, c.n, c.x, 1, c.k, false, c.w, 2, c.k, true,
        c.m, c.n, c.k, false, null, 0, null, 0);
    new GemmDriver(bl).gemm(pool3, out3, 0, c.n, c.x, 1, c.k, false, c.w, 2, c.k, true,
        c.m, c.n, c.k, false, null, 0, null, 0);
    assertArrayEquals(out1, out3, "1 vs 3 threads, " + c);
  }

  @ParameterizedTest
  @MethodSource("tinyBlockings")
  @Timeout(60)
  void moreThreadsThanCoresWaitingOnEachOtherGiveTheSameBits(GemmBlocking bl) {
    // Six threads on a small machine get descheduled in the middle of packing tasks that others
    // wait for; the weight gradient with its bias row sums runs several K chunks and row blocks.
    Case c = new Case(new int[] {131, 70, 129}, 11);
    float[] dy = c.vec(c.m * c.n, 0);
    float[] dw1 = new float[c.n * c.k];
    float[] db1 = new float[c.n];
    new GemmDriver(bl).gemm(pool1, dw1, 0, c.k, dy, 0, c.n, true, c.x, 1, c.k, false, c.n, c.k,
        c.m, true, null, 0, db1, 0);
    try (ThreadPool pool6 = new ThreadPool(6)) {
      GemmDriver driver = new GemmDriver(bl);
      for (int rep = 0; rep < 20; rep++) {
        float[] dw = new float[c.n * c.k];
        float[] db = new float[c.n];
        driver.gemm(pool6, dw, 0, c.k, dy, 0, c.n, true, c.x, 1, c.k, false, c.n, c.k, c.m, true,
            null, 0, db, 0);
        assertArrayEquals(dw1, dw, "dW, 6 threads, repetition " + rep);
        assertArrayEquals(db1, db, "dbias, 6 threads, repetition " + rep);
      }
    }
  }

  @Test
  @Timeout(30)
  void aFailedPackingTaskFailsTheCallInsteadOfStallingTheTilesWaitingForIt() {
    // The driver does not check bounds (VectorGemm does); a too-short A makes a packing task of
    // the first, dataflow phase throw while tiles of other threads wait for that row block.
    GemmBlocking bl = new GemmBlocking(GemmMicroKernel.L, 4, 2, 64, 12, 2 * GemmMicroKernel.L, 1 << 20);
    Case c = new Case(new int[] {96, 80, 48}, 9);
    float[] shortA = java.util.Arrays.copyOf(c.x, c.m * c.k - 40 * c.k);
    float[] y = new float[c.m * c.n];
    GemmDriver driver = new GemmDriver(bl);
    assertThrows(IndexOutOfBoundsException.class, () -> driver.gemm(pool3, y, 0, c.n, shortA, 0,
        c.k, false, c.w, 0, c.k, true, c.m, c.n, c.k, false, null, 0, null, 0));
    // The driver is usable afterwards and gives the same bits as a fresh one.
    float[] again = new float[c.m * c.n];
    float[] fresh = new float[c.m * c.n];
    driver.gemm(pool3, again, 0, c.n, c.x, 0, c.k, false, c.w, 0, c.k, true, c.m, c.n, c.k,
        false, null, 0, null, 0);
    new GemmDriver(bl).gemm(pool1, fresh, 0, c.n, c.x, 0, c.k, false, c.w, 0, c.k, true,
        c.m, c.n, c.k, false, null, 0, null, 0);
    assertArrayEquals(fresh, again);
  }

  @Test
  void whereThePackedPanelsStartDoesNotChangeABit() {
    GemmBlocking bl = GemmBlocking.forLanes(GemmMicroKernel.L);
    Case c = new Case(new int[] {70, 90, 300}, 10);
    float[][] y = new float[3][c.m * c.n];
    float[][] dw = new float[3][];
    int[] shifts = {0, 4, 5};
    for (int i = 0; i < 3; i++) {
      GemmDriver d = new GemmDriver(bl, shifts[i]);
      d.gemm(pool3, y[i], 0, c.n, c.x, 1, c.k, false, c.w, 2, c.k, true, c.m, c.n, c.k, false,
          null, 0, null, 0);
      dw[i] = new float[c.n * c.k];
      d.gemm(pool3, dw[i], 0, c.k, y[0], 0, c.n, true, c.x, 1, c.k, false, c.n, c.k, c.m, true,
          null, 0, null, 0);
    }
    for (int i = 1; i < 3; i++) {
      assertArrayEquals(y[0], y[i], "forward with B shifted by " + shifts[i]);
      assertArrayEquals(dw[0], dw[i], "backward weight with B shifted by " + shifts[i]);
    }
  }

  @Test
  void alignmentShiftPutsElementsOnTheTargetBoundary() {
    // 64-byte objects, 16-byte float[] header: 4 floats reach 32 bytes, 12 reach 64.
    assertEquals(4, ArrayAlignment.floatShift(64, 16, 32));
    assertEquals(12, ArrayAlignment.floatShift(64, 16, 64));
    // Compact headers (12 bytes): 5 floats reach 32.
    assertEquals(5, ArrayAlignment.floatShift(64, 12, 32));
    // The default 8-byte object alignment says nothing about 32-byte boundaries.
    assertEquals(0, ArrayAlignment.floatShift(8, 16, 32));
    assertEquals(0, ArrayAlignment.floatShift(0, 0, 32));
  }

  @Test
  void rejectsOutOfRangeOperands() {
    float[] small = new float[5];
    float[] big = new float[100];
    assertThrows(IndexOutOfBoundsException.class,
        () -> VectorGemm.matmul(pool1, small, 0, big, 0, big, 0, null, 0, 2, 3, 4));
    assertThrows(IndexOutOfBoundsException.class,
        () -> VectorGemm.matmulBackwardInput(pool1, big, 0, big, 98, big, 0, 2, 3, 4));
    assertThrows(IllegalArgumentException.class,
        () -> VectorGemm.matmulBackwardWeight(pool1, big, 0, null, 0, big, 0, big, 0, -1, 3, 4));
  }

  @Test
  void evenSplitLeavesNoSliver() {
    assertEquals(128, GemmDriver.evenSplit(1024, 144, 4));
    assertEquals(256, GemmDriver.evenSplit(3072, 256, 16));
    assertEquals(256, GemmDriver.evenSplit(768, 256, 1));
    assertEquals(4, GemmDriver.evenSplit(1, 144, 4));
  }

  private static float[] abs(float[] a) {
    float[] r = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = Math.abs(a[i]);
    }
    return r;
  }

  /** The operands of one random case: x[M,K] at offset 1 and w[N,K] at offset 2. */
  private static final class Case {
    final int m;
    final int n;
    final int k;
    final long seed;
    final SplittableRandom rnd;
    final float[] x;
    final float[] w;

    Case(int[] shape, int salt) {
      m = shape[0];
      n = shape[1];
      k = shape[2];
      seed = BASE_SEED + 1_000_003L * (m * 1_000_000L + n * 1000L + k) + salt;
      rnd = new SplittableRandom(seed);
      x = vec(m * k, 1);
      w = vec(n * k, 2);
    }

    /** Random values in [-1, 1) after {@code off} leading elements and two trailing ones. */
    float[] vec(int size, int off) {
      float[] a = new float[off + size + 2];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      return a;
    }

    void assertClose(String what, float[] expected, float[] actual, float[] absSum,
        float[] initial, int off, int len) {
      for (int i = 0; i < expected.length; i++) {
        if (i < off || i >= off + len) {
          if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
            fail(what + ": wrote outside the output at " + i + ", " + this);
          }
          continue;
        }
        double scale = absSum[i] + (initial == null ? 0 : Math.abs(initial[i]));
        double tol = 2 * (k + 2) * U * scale + Float.MIN_NORMAL;
        if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
          fail(String.format("%s: element %d (row %d) expected %s but was %s (tolerance %.3g), %s",
              what, i - off, (i - off) / Math.max(1, n), expected[i], actual[i], tol, this));
        }
      }
    }

    @Override
    public String toString() {
      return "m=" + m + " n=" + n + " k=" + k + " seed=" + seed;
    }
  }
}
