// The one FLOPs-per-token formula of Sinter. The engine's measured MFU and the planner's predicted
// MFU both come from here, so the two always mean the same thing.
//
// Model FLOPs per token (PaLM, Chowdhery et al. 2022, App. B):  6·N + 12·L·H·Q·T
//   N  parameters that take part in matrix multiplies: every parameter except an untied input
//      embedding and a learned position table, which are only looked up (a tied embedding counts
//      once, as the output head). Norm gains and biases are included; they are negligible.
//   L layers, H query heads, Q head size, T training sequence length.
//   The attention term counts the full T×T score matrix, as PaLM, Megatron and nanoGPT do, even
//   though causal attention needs only the lower triangle (our kernels skip the masked half), so
//   our MFU is comparable with published figures. Rematerialisation is not model FLOPs.
// Hardware FLOPs add what recomputation executes again: one forward of every block, that is
//   2·N_blocks + 4·L·H·Q·T per token. HFU = hardware FLOPs / peak; HFU ≥ MFU.
// One FMA = 2 FLOPs.
package dev.sinter.telemetry;

/** FLOPs per token for a decoder-only transformer; shared by telemetry and the planner. */
public final class Flops {
  private Flops() {}

  /**
   * The shape numbers the formula needs.
   *
   * @param matmulParams N: parameters used in matrix multiplies (see the file header)
   * @param blockParams  parameters inside the transformer blocks (what recomputation re-runs)
   * @param layers       L
   * @param heads        H, query heads
   * @param headSize     Q
   * @param seqLen       T, the training sequence length
   */
  public record Shape(long matmulParams, long blockParams, int layers, int heads, int headSize, int seqLen) {}

  /** Attention FLOPs per token in the forward pass, full (non-causal) count: 4·L·H·Q·T. */
  public static double attentionForwardPerToken(Shape s) {
    return 4.0 * s.layers() * s.heads() * s.headSize() * (double) s.seqLen();
  }

  /** Model FLOPs per trained token: 6·N + 12·L·H·Q·T. */
  public static double modelPerToken(Shape s) {
    return 6.0 * s.matmulParams() + 3.0 * attentionForwardPerToken(s);
  }

  /** Hardware FLOPs per trained token: model FLOPs, plus one more block forward if recomputing. */
  public static double hardwarePerToken(Shape s, boolean recompute) {
    double f = modelPerToken(s);
    if (recompute) {
      f += 2.0 * s.blockParams() + attentionForwardPerToken(s);
    }
    return f;
  }

  /** Forward-only FLOPs per token (evaluation, generation without a cache): 2·N + 4·L·H·Q·T. */
  public static double forwardPerToken(Shape s) {
    return 2.0 * s.matmulParams() + attentionForwardPerToken(s);
  }

  /** Model FLOPs utilisation: achieved model FLOP/s over peak FLOP/s. */
  public static double utilisation(double flopsPerToken, double tokensPerSecond, double peakFlops) {
    return peakFlops <= 0 ? 0 : flopsPerToken * tokensPerSecond / peakFlops;
  }
}
