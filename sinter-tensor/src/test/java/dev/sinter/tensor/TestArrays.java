// Seeded test data and float-vs-double comparisons for the kernel tests.
//
// Slices live at a non-zero offset inside a larger array: input padding is NaN, so a kernel that
// reads outside its slice poisons its result, and output padding is a sentinel that must survive.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

final class TestArrays {
  static final int PAD = 5;
  static final float SENTINEL = 1234.5f;

  private TestArrays() {}

  /** Gaussian values times scale in [off, off+n) of an array padded with NaN on both sides. */
  static float[] input(Random rnd, int off, int n, double scale) {
    float[] a = new float[off + n + PAD];
    Arrays.fill(a, Float.NaN);
    for (int i = 0; i < n; i++) {
      a[off + i] = (float) (rnd.nextGaussian() * scale);
    }
    return a;
  }

  /** An output slice: sentinel everywhere, to be overwritten in [off, off+n) only. */
  static float[] output(int off, int n) {
    float[] a = new float[off + n + PAD];
    Arrays.fill(a, SENTINEL);
    return a;
  }

  /** An accumulating output slice: random values in [off, off+n) that the kernel must add to. */
  static float[] prefilled(Random rnd, int off, int n) {
    float[] a = output(off, n);
    for (int i = 0; i < n; i++) {
      a[off + i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  static double[] toDouble(float[] a, int off, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = a[off + i];
    }
    return d;
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /**
   * Passes when every |actual − expected| ≤ rtol·|expected| + atol·max|expected|, i.e. relative
   * accuracy for large entries and an absolute floor, scaled to the data, for entries near zero.
   */
  static void assertClose(String what, float[] actual, int off, double[] expected, double rtol, double atol) {
    double scale = maxAbs(expected);
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[off + i] - expected[i]);
      double tol = rtol * Math.abs(expected[i]) + atol * scale;
      if (!(err <= tol) && (worst < 0 || err - tol > worstExcess || Double.isNaN(err))) {
        worst = i;
        worstExcess = err - tol;
      }
    }
    if (worst >= 0) {
      fail(what + ": element " + worst + " is " + actual[off + worst] + ", expected " + expected[worst]
          + " (rtol " + rtol + ", atol " + atol + " x max " + scale + ")");
    }
  }

  /** Everything outside [off, off+n) still holds the sentinel. */
  static void assertPaddingIntact(String what, float[] a, int off, int n) {
    for (int i = 0; i < a.length; i++) {
      if ((i < off || i >= off + n) && a[i] != SENTINEL) {
        fail(what + ": wrote " + a[i] + " at " + i + ", outside the slice [" + off + ", " + (off + n) + ")");
      }
    }
  }

  static void assertBitwise(String what, float[] expected, float[] actual) {
    int i = diffIndex(expected, actual);
    if (i >= 0) {
      fail(what + ": element " + i + " is " + actual[i] + " here but " + expected[i] + " with one thread");
    }
  }

  private static int diffIndex(float[] a, float[] b) {
    if (a.length != b.length) {
      return Math.min(a.length, b.length);
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return i;
      }
    }
    return -1;
  }
}
