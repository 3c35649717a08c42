// The FLOPs formula (dev.sinter.telemetry.Flops, through ModelShape) against the reference's derived
// cross-checks (shared/reference/README.md §3.4 and §5).
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sinter.telemetry.Flops;
import org.junit.jupiter.api.Test;

class FlopsCrossCheckTest {
  /** MFU of a Korthikanti Table 5 run: tokens/s from the step time, our FLOPs, 312 TF per A100. */
  private static double korthikantiMfu(int layers, int hidden, int heads, int gpus, int batch, double stepS) {
    ModelShape m = new ModelShape(Fixtures.gpt("k", layers, hidden, heads));
    double tokensPerS = batch * 2048.0 / stepS;
    return Flops.utilisation(m.modelFlopsPerToken(2048), tokensPerS, gpus * 312e12);
  }

  @Test
  void korthikanti175bMfuFromItsStepTime() {
    // README §3.4: 64·2048/13.75 = 9,533 tokens/s → 160.3 TF/GPU → 51.4 % (reported 51.4 %).
    assertEquals(0.514, korthikantiMfu(96, 12288, 96, 64, 64, 13.75), 0.0015);
  }

  @Test
  void korthikantiOtherModelsMatchTheDerivedMfus() {
    // README §3.4 re-derives 41.7 / 56.0 / 56.3 % (reported 41.5 / 56.0 / 56.3).
    assertEquals(0.417, korthikantiMfu(48, 6144, 64, 8, 4, 1.10), 0.0015);
    assertEquals(0.560, korthikantiMfu(105, 20480, 128, 280, 280, 37.83), 0.0015);
    assertEquals(0.563, korthikantiMfu(128, 25600, 160, 512, 512, 71.49), 0.0015);
  }

  @Test
  void narayananParameterCountsMatchTable1() {
    int[][] rows = {{24, 2304, 24}, {30, 3072, 32}, {36, 4096, 32}, {40, 6144, 48}, {48, 8192, 64}, {60, 10240, 80},
        {80, 12288, 96}, {96, 16384, 128}, {105, 20480, 128}, {128, 25600, 160}};
    double[] billions = {1.7, 3.6, 7.5, 18.4, 39.1, 76.1, 145.6, 310.1, 529.6, 1008.0};
    for (int i = 0; i < rows.length; i++) {
      double p = new ModelShape(Fixtures.gpt("n", rows[i][0], rows[i][1], rows[i][2])).totalParams / 1e9;
      assertEquals(billions[i], p, Math.max(0.05, 0.002 * billions[i]), "row " + i);
    }
  }

  @Test
  void narayanan1tTrainingTimeIs84Days() {
    // README §3.4: 8·T·P/(n·X), T = 450B tokens, n = 3,072, X = 163 TF → 83.9 days (paper: "84 days").
    double p = new ModelShape(Fixtures.gpt("1t", 128, 25600, 160)).totalParams;
    assertEquals(83.9, 8 * 450e9 * p / (3072 * 163e12) / 86400, 0.15);
  }

  @Test
  void recomputationMakesEquation3() {
    // Narayanan eq.(3) per token = 96·L·h²·(1 + s/6h + V/16Lh) / s... i.e. 8N_blocks + 16·L·h·s + 6·V·h.
    ModelSpec s = Fixtures.gpt("175", 96, 12288, 96);
    ModelShape m = new ModelShape(s);
    double ours = Flops.hardwarePerToken(m.flopsShape(2048), true);
    double eq3 = Validation.eq3Flops(s, 1, 2048) / 2048;
    assertEquals(1, ours / eq3, 0.002); // differences: biases and norms (< 0.2 %)
  }

  @Test
  void deepSeekV3Has37bActiveAnd250GflopPerTokenCountingCausalHalf() {
    ModelShape m = new ModelShape(ModelCatalog.load("deepseek-v3-671b"));
    ModelSpec s = m.spec;
    double h = s.hidden();
    // Without the MTP module (its layer, projection and second pass through the head).
    double active = m.activeParams - s.mtpDepth() * (m.mtpActive + m.embedParams);
    assertEquals(37e9, active, 0.02 * 37e9);
    double attnFull = 12.0 * s.layers() * s.heads() * m.attnHeadSize * 4096;
    // Insights into DeepSeek-V3 Table 2 (README §5.2): 250 GFLOP/token at s = 4096, causal attention half.
    assertEquals(250e9, 6 * active + attnFull / 2, 0.01 * 250e9);
    assertEquals(671e9, m.totalParams - s.mtpDepth() * m.mtpParams, 0.01 * 671e9);
    assertEquals(7168, (int) h);
  }

  @Test
  void deepSeekV4ProIs16tTotalAnd49bActive() {
    ModelShape m = new ModelShape(ModelCatalog.load("deepseek-v4-pro-1.6t"));
    double mtp = m.spec.mtpDepth();
    assertEquals(1.6e12, m.totalParams, 0.02 * 1.6e12);
    assertEquals(49e9, m.activeParams - mtp * (m.mtpActive + m.embedParams), 0.01 * 49e9);
  }

  @Test
  void cloudMatrix384PeakOnBothBases() {
    Chip c = Fixtures.HW.get("910c");
    // README §3.4: 384 × 752 TF = 288.8 PF; on the 707.8 TF basis 271.8 PF.
    assertEquals(288.8e15, 384 * c.fp16Flops(), 0.05e15);
    assertEquals(271.8e15, 384 * c.bf16Flops(), 0.05e15);
  }

  @Test
  void bloomEnergyPointIsTheA100AllInPower() {
    // README §3.4: 433,196 kWh / 1,082,990 GPU-h = 0.40 kW per GPU-hour.
    assertEquals(433196.0 / 1082990.0 * 1000, Fixtures.HW.get("a100").allInW(), 1.0);
  }
}
