// Whole-model gradient check: for every parameter tensor, the analytic directional derivative g·d
// along a random direction d supported on that tensor must match the central difference
// (L(p + εd) − L(p − εd)) / 2ε. Each layer's own finite-difference check runs in double precision
// in the tensor module; this test proves the layers are wired together correctly, in float, so the
// tolerance is set for float rounding. Also: recomputation changes nothing, bit for bit.
package dev.sinter.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.Rng;
import dev.sinter.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransformerGradientTest {

  static ModelConfig tiny(String flavour) {
    return switch (flavour) {
      case "llama" -> new ModelConfig(23, 16, 2, 4, 2, 24, 16, "rmsnorm", "swiglu", "rope", false, false,
          1e-5, 10000, 0.3);
      case "llama-tied-bias" -> new ModelConfig(23, 16, 2, 4, 4, 24, 16, "rmsnorm", "swiglu", "rope", true, true,
          1e-5, 10000, 0.3);
      case "gpt2" -> new ModelConfig(23, 16, 2, 4, 4, 32, 16, "layernorm", "gelu", "learned", true, true,
          1e-5, 10000, 0.3);
      default -> throw new IllegalArgumentException(flavour);
    };
  }

  static int[][] batch(ModelConfig cfg, int b, int t, long seed) {
    Rng rng = new Rng(seed);
    int[] tokens = new int[b * t];
    int[] targets = new int[b * t];
    for (int i = 0; i < b * t; i++) {
      tokens[i] = rng.nextInt(cfg.vocabSize());
      targets[i] = i % 7 == 3 ? -1 : rng.nextInt(cfg.vocabSize()); // some ignored targets
    }
    return new int[][] {tokens, targets};
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "llama-tied-bias", "gpt2"})
  void directionalDerivativeMatchesFiniteDifferencePerTensor(String flavour) {
    long seed = 20261129L;
    ModelConfig cfg = tiny(flavour);
    int b = 2;
    int t = 7;
    try (ThreadPool pool = new ThreadPool(2)) {
      Transformer model = new Transformer(cfg, Kernels.create("scalar", pool), false);
      model.initialize(seed);
      int[][] data = batch(cfg, b, t, seed + 1);
      model.forward(data[0], data[1], b, t, 1f);
      model.backward();
      float[] g = model.grads.clone();
      float[] p0 = model.params.clone();
      Rng rng = new Rng(seed + 2);
      List<String> failures = new ArrayList<>();
      for (ParameterLayout.Tensor tensor : model.layout().tensors()) {
        double[] d = new double[tensor.size()];
        double analytic = 0;
        for (int i = 0; i < d.length; i++) {
          d[i] = rng.nextGaussian();
          analytic += g[tensor.offset() + i] * d[i];
        }
        // 1e-3: small enough that curvature is negligible (1e-2 showed 2-6 % truncation error on
        // the Llama flavour), large enough that float rounding is (worst error seen: 1.6e-3)
        double eps = 1e-3;
        double lp = lossAt(model, p0, tensor, d, eps, data, b, t);
        double lm = lossAt(model, p0, tensor, d, -eps, data, b, t);
        double numeric = (lp - lm) / (2 * eps);
        double err = Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic));
        if (err > 5e-3) {
          failures.add(String.format("%s: analytic %.6g numeric %.6g (rel err %.2g)", tensor.name(), analytic, numeric, err));
        }
      }
      System.arraycopy(p0, 0, model.params, 0, p0.length);
      assertTrue(failures.isEmpty(), "seed " + seed + ", " + flavour + ": " + String.join("; ", failures));
    }
  }

  private static double lossAt(Transformer model, float[] p0, ParameterLayout.Tensor tensor, double[] d,
      double eps, int[][] data, int b, int t) {
    System.arraycopy(p0, 0, model.params, 0, p0.length);
    for (int i = 0; i < d.length; i++) {
      model.params[tensor.offset() + i] = (float) (p0[tensor.offset() + i] + eps * d[i]);
    }
    return model.forward(data[0], data[1], b, t, 1f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2"})
  void recomputationGivesBitwiseIdenticalGradients(String flavour) {
    ModelConfig cfg = tiny(flavour);
    int[][] data = batch(cfg, 3, 9, 7);
    float[][] grads = new float[2][];
    double[] losses = new double[2];
    for (int r = 0; r < 2; r++) {
      try (ThreadPool pool = new ThreadPool(2)) {
        Transformer model = new Transformer(cfg, Kernels.create("auto", pool), r == 1);
        model.initialize(5);
        losses[r] = model.forward(data[0], data[1], 3, 9, 1f);
        model.backward();
        grads[r] = model.grads;
      }
    }
    assertEquals(losses[0], losses[1]);
    assertArrayEquals(grads[0], grads[1]);
  }
}
