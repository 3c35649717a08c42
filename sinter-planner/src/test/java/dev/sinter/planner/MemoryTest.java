// Memory formulas: the ZeRO paper's worked example, Korthikanti's activation formulas and Fig. 1.
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryTest {
  private static double stateGb(int zero) {
    // Ψ = 7.5B, N_d = 64, mixed-precision Adam: 2 (weights) + 2 (gradients) + 12 (K) bytes.
    Estimate.MemoryUse m = MemoryModel.state("first", 7.5e9, 0, 2, 2, 12, zero, 64, 1, 1, 0, 0, 0, 80e9, 80e9, 1);
    return (m.weights() + m.grads() + m.optimizer()) / 1e9;
  }

  @Test
  void zeroWorkedExample() {
    // Rajbhandari et al. 2020 (README §5.4): 120 GB → 31.4 / 16.6 / 1.9 GB.
    assertEquals(120, stateGb(0), 1e-9);
    assertEquals(31.4, stateGb(1), 0.05);
    assertEquals(16.6, stateGb(2), 0.05);
    assertEquals(1.9, stateGb(3), 0.05);
  }

  @Test
  void bf16StateIs18BytesAndFp32Is16() {
    assertEquals(18, Precision.BF16.weightBytes() + Precision.BF16.defaultGradBytes()
        + Precision.BF16.optimizerBytes());
    assertEquals(16, Precision.FP32.weightBytes() + Precision.FP32.defaultGradBytes()
        + Precision.FP32.optimizerBytes()); // the CPU engine's 16 B/parameter
  }

  private static double perLayer(int t, boolean sp, Layout.Recompute rc) {
    ModelSpec s = Fixtures.gpt("175", 96, 12288, 96);
    Job job = Fixtures.job(s, "a100", t);
    Layout l = new Layout(t, 1, 1, 1, 1, 1, 0, rc, 1, 1, Precision.FP16, Layout.Schedule.ONE_F_ONE_B, sp, false,
        false, 0, false);
    return MemoryModel.layerActivations(job, l, false);
  }

  @Test
  void korthikantiPerLayerFormulas() {
    double s = 2048;
    double h = 12288;
    double a = 96;
    double sbh = s * h;
    // No parallelism: s·b·h·(34 + 5·a·s/h).
    assertEquals(sbh * (34 + 5 * a * s / h), perLayer(1, false, Layout.Recompute.NONE), 1);
    // TP only: s·b·h·(10 + 24/t + 5·a·s/(h·t)).
    assertEquals(sbh * (10 + 24.0 / 8 + 5 * a * s / (h * 8)), perLayer(8, false, Layout.Recompute.NONE), 1);
    // TP + SP: (s·b·h/t)·(34 + 5·a·s/h).
    assertEquals(sbh / 8 * (34 + 5 * a * s / h), perLayer(8, true, Layout.Recompute.NONE), 1);
    // TP + SP + selective: 34·s·b·h/t.
    assertEquals(34 * sbh / 8, perLayer(8, true, Layout.Recompute.SELECTIVE), 1);
    // Full recompute: the layer input, 2·s·b·h.
    assertEquals(2 * sbh, perLayer(8, false, Layout.Recompute.FULL), 1);
  }

  @Test
  void activationMemoryMatchesKorthikantiFigure1Within10Percent() {
    for (Validation.MemoryCheck c : Validation.memory(Fixtures.HW, Fixtures.PROFILES)) {
      assertTrue(Math.abs(c.error()) <= 0.10, c.toString());
    }
  }

  @Test
  void interleavingRaisesInFlightActivations() {
    Layout one = new Layout(8, 8, 1, 1, 1, 1, 0, Layout.Recompute.NONE, 1, 64, Precision.FP16,
        Layout.Schedule.ONE_F_ONE_B, false, false, false, 0, false);
    Layout three = new Layout(8, 8, 3, 1, 1, 1, 0, Layout.Recompute.NONE, 1, 64, Precision.FP16,
        Layout.Schedule.INTERLEAVED, false, false, false, 0, false);
    assertEquals(8, MemoryModel.inFlight(one), 1e-12);
    assertEquals(8 * (1 + 7.0 / 24), MemoryModel.inFlight(three), 1e-12);
  }
}
