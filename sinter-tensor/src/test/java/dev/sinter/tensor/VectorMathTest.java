// The polynomial exp behind every vector softmax, sigmoid and GELU: its accuracy over the whole
// float range, its clamping, and the bit-for-bit agreement of its scalar twin used in loop tails.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {
  private static final int L = VectorMath.L;

  @Test
  void expIsAccurateAndItsScalarTwinAgreesBitwise() {
    int n = 1 << 20;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = -87.3f + (88.3f + 87.3f) * i / (n - 1); // a dense sweep of the unclamped range
    }
    float[] y = new float[n];
    for (int i = 0; i < n; i += L) {
      VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, i)).intoArray(y, i);
    }
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double ref = Math.exp(x[i]);
      worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
      if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(VectorMath.exp(x[i]))) {
        fail("scalar exp(" + x[i] + ") = " + VectorMath.exp(x[i]) + " but the vector lane gives " + y[i]);
      }
    }
    assertTrue(worst < 3e-7, "worst relative error of exp is " + worst);
  }

  @Test
  void expNonPositiveMatchesExpBelowItsBound() {
    float[] x = new float[4 * L];
    for (int i = 0; i < x.length; i++) {
      x[i] = -100f + 188f * i / x.length;
    }
    for (int i = 0; i < x.length; i += L) {
      FloatVector v = FloatVector.fromArray(VectorMath.S, x, i);
      float[] a = VectorMath.exp(v).toArray();
      float[] b = VectorMath.expNonPositive(v).toArray();
      for (int j = 0; j < L; j++) {
        assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "at x = " + x[i + j]);
      }
    }
  }

  @Test
  void expClampsToFiniteNormalValuesAndKeepsNaN() {
    float[] x = new float[L];
    float[] special = {-1e30f, -1000f, -88f, 89f, 1000f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
    for (int i = 0; i < L; i++) {
      x[i] = special[i % special.length];
    }
    float[] y = VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, 0)).toArray();
    for (int i = 0; i < L; i++) {
      if (Float.isNaN(x[i])) {
        assertTrue(Float.isNaN(y[i]), "exp(NaN) must stay NaN");
      } else {
        assertTrue(Float.isFinite(y[i]) && y[i] >= Float.MIN_NORMAL, "exp(" + x[i] + ") = " + y[i]);
      }
      assertEquals(Float.floatToRawIntBits(VectorMath.exp(x[i])), Float.floatToRawIntBits(y[i]),
          "scalar twin at " + x[i]);
    }
  }
}
