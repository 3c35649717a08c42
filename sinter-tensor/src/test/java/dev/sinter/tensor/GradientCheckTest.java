// Finite-difference gradient checks, in double, of every backward in RefOps.
//
// For a random R, L = Σ out·R has ∂L/∂out = R, so feeding R to a backward must give ∂L/∂input;
// central differences of L confirm it element by element. Once these pass, RefOps is the ground
// truth that ScalarOps and VectorOps are compared against.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class GradientCheckTest {
  private static final double H = 1e-5;
  private static final double RTOL = 1e-6;
  private static final double ATOL = 1e-9;
  private static final double EPS = 1e-5;

  @Test
  void rmsnorm() {
    long seed = 11;
    Random rnd = new Random(seed);
    int rows = 3;
    int c = 7;
    double[] x = gaussian(rnd, rows * c, 1.5);
    double[] w = gaussian(rnd, c, 1);
    double[] r = gaussian(rnd, rows * c, 1);
    DoubleSupplier loss = () -> {
      double[] out = new double[rows * c];
      RefOps.rmsnormForward(out, new double[rows], x, w, rows, c, EPS);
      return dot(out, r);
    };
    double[] rstd = new double[rows];
    RefOps.rmsnormForward(new double[rows * c], rstd, x, w, rows, c, EPS);
    double[] dx = new double[rows * c];
    double[] dw = new double[c];
    RefOps.rmsnormBackward(dx, dw, r, x, w, rstd, rows, c);
    check("rmsnorm dx", seed, x, dx, loss);
    check("rmsnorm dweight", seed, w, dw, loss);
  }

  @Test
  void layernorm() {
    long seed = 12;
    Random rnd = new Random(seed);
    int rows = 3;
    int c = 9;
    double[] x = gaussian(rnd, rows * c, 2);
    double[] w = gaussian(rnd, c, 1);
    double[] b = gaussian(rnd, c, 1);
    double[] r = gaussian(rnd, rows * c, 1);
    DoubleSupplier loss = () -> {
      double[] out = new double[rows * c];
      RefOps.layernormForward(out, new double[rows], new double[rows], x, w, b, rows, c, EPS);
      return dot(out, r);
    };
    double[] mean = new double[rows];
    double[] rstd = new double[rows];
    RefOps.layernormForward(new double[rows * c], mean, rstd, x, w, b, rows, c, EPS);
    double[] dx = new double[rows * c];
    double[] dw = new double[c];
    double[] db = new double[c];
    RefOps.layernormBackward(dx, dw, db, r, x, w, mean, rstd, rows, c);
    check("layernorm dx", seed, x, dx, loss);
    check("layernorm dweight", seed, w, dw, loss);
    check("layernorm dbias", seed, b, db, loss);
  }

  @Test
  void swiglu() {
    long seed = 13;
    Random rnd = new Random(seed);
    int rows = 2;
    int f = 5;
    double[] gu = gaussian(rnd, rows * 2 * f, 2);
    double[] r = gaussian(rnd, rows * f, 1);
    DoubleSupplier loss = () -> {
      double[] out = new double[rows * f];
      RefOps.swigluForward(out, gu, rows, f);
      return dot(out, r);
    };
    double[] dgu = new double[rows * 2 * f];
    RefOps.swigluBackward(dgu, r, gu, rows, f);
    check("swiglu dgu", seed, gu, dgu, loss);
  }

  @Test
  void gelu() {
    long seed = 14;
    Random rnd = new Random(seed);
    double[] x = gaussian(rnd, 20, 2.5);
    double[] r = gaussian(rnd, 20, 1);
    DoubleSupplier loss = () -> {
      double[] out = new double[x.length];
      RefOps.geluForward(out, x);
      return dot(out, r);
    };
    double[] dx = new double[x.length];
    RefOps.geluBackward(dx, r, x);
    check("gelu dx", seed, x, dx, loss);
  }

  @Test
  void rope() {
    long seed = 15;
    Random rnd = new Random(seed);
    int b = 2;
    int t = 3;
    int heads = 2;
    int hs = 6;
    int stride = heads * hs + 4; // trailing columns (the v part of a qkv row) pass through
    double[] cos = new double[t * hs / 2];
    double[] sin = new double[t * hs / 2];
    for (int p = 0; p < t; p++) {
      for (int i = 0; i < hs / 2; i++) {
        double angle = p * Math.pow(10000, -2.0 * i / hs) + 0.3;
        cos[p * hs / 2 + i] = Math.cos(angle);
        sin[p * hs / 2 + i] = Math.sin(angle);
      }
    }
    double[] x = gaussian(rnd, b * t * stride, 1);
    double[] r = gaussian(rnd, b * t * stride, 1);
    DoubleSupplier loss = () -> {
      double[] y = x.clone();
      RefOps.rope(y, stride, cos, sin, b, t, heads, hs, false);
      return dot(y, r);
    };
    double[] dx = r.clone();
    RefOps.rope(dx, stride, cos, sin, b, t, heads, hs, true);
    check("rope dx (inverse rotation)", seed, x, dx, loss);
  }

  @Test
  void softmax() {
    long seed = 16;
    Random rnd = new Random(seed);
    int rows = 3;
    int c = 6;
    double[] x = gaussian(rnd, rows * c, 2);
    double[] r = gaussian(rnd, rows * c, 1);
    DoubleSupplier loss = () -> {
      double[] y = new double[rows * c];
      RefOps.softmaxForward(y, x, rows, c);
      return dot(y, r);
    };
    double[] y = new double[rows * c];
    RefOps.softmaxForward(y, x, rows, c);
    double[] dx = new double[rows * c];
    RefOps.softmaxBackward(dx, r, y, rows, c);
    check("softmax dx", seed, x, dx, loss);
  }

  @Test
  void crossEntropyOfMeanLoss() {
    long seed = 17;
    Random rnd = new Random(seed);
    int rows = 4;
    int v = 7;
    int[] targets = {3, -1, 0, 6};
    double[] logits = gaussian(rnd, rows * v, 3);
    DoubleSupplier loss = () -> {
      double[] losses = new double[rows];
      RefOps.crossEntropy(losses, logits.clone(), targets, rows, v, 1.0 / rows);
      double s = 0;
      for (double l : losses) {
        s += l;
      }
      return s / rows;
    };
    double[] grad = logits.clone();
    RefOps.crossEntropy(new double[rows], grad, targets, rows, v, 1.0 / rows);
    check("crossEntropy dlogits", seed, logits, grad, loss);
  }

  /** Compares analytic[j] with the central difference of loss in param[j], for every j. */
  private static void check(String what, long seed, double[] param, double[] analytic, DoubleSupplier loss) {
    for (int j = 0; j < param.length; j++) {
      double orig = param[j];
      param[j] = orig + H;
      double up = loss.getAsDouble();
      param[j] = orig - H;
      double down = loss.getAsDouble();
      param[j] = orig;
      double numeric = (up - down) / (2 * H);
      double err = Math.abs(numeric - analytic[j]);
      if (!(err <= RTOL * Math.max(Math.abs(numeric), Math.abs(analytic[j])) + ATOL)) {
        fail(what + " (seed " + seed + "): element " + j + " analytic " + analytic[j] + " vs finite difference "
            + numeric);
      }
    }
  }

  private static double[] gaussian(Random rnd, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextGaussian() * scale;
    }
    return a;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
