// The cost model's answer for one model × cluster × layout: step time and where it goes,
// throughput, MFU and HFU, and memory per chip with a feasibility verdict.
package dev.sinter.planner;

/**
 * One evaluated layout.
 *
 * @param layout                the layout
 * @param feasible              whether it fits in device memory
 * @param reason                why not (which memory term overflows), or "" when feasible
 * @param stepS                 seconds per optimizer step
 * @param time                  where the step goes (exposed seconds per step)
 * @param tokensPerS            trained tokens per second, whole cluster
 * @param mfu                   model FLOPs utilisation (model FLOPs/token × tokens/s ÷ chips × peak)
 * @param hfu                   hardware FLOPs utilisation (counts recomputation)
 * @param modelFlopsPerToken    6N + 12·L·H·Q·T (dev.sinter.telemetry.Flops)
 * @param hardwareFlopsPerToken model FLOPs plus what recomputation executes again
 * @param peakBasisFlops        the per-chip peak MFU is quoted against
 * @param memory                bytes per chip on the most loaded pipeline stage
 */
public record Estimate(Layout layout, boolean feasible, String reason, double stepS, Breakdown time,
    double tokensPerS, double mfu, double hfu, double modelFlopsPerToken, double hardwareFlopsPerToken,
    double peakBasisFlops, MemoryUse memory) {

  /**
   * Exposed seconds per step, by cause; they add up to the step time.
   *
   * @param gemm        matrix multiplies (forward and backward, first pass)
   * @param attention   attention core (Q·Kᵀ, softmax·V, or the fused kernel)
   * @param elementwise memory-bound kernels (norms, activations, residuals, softmax, loss)
   * @param recompute   re-running forward work in backward
   * @param tp          tensor-parallel collectives not hidden
   * @param ep          expert all-to-all not hidden
   * @param cp          context-parallel KV exchange not hidden
   * @param pp          pipeline point-to-point sends
   * @param zero3       ZeRO-3 parameter gathers and gradient reductions not hidden
   * @param bubble      pipeline fill and drain
   * @param dp          data-parallel gradient synchronisation not hidden
   * @param optimizer   the optimizer step
   */
  public record Breakdown(double gemm, double attention, double elementwise, double recompute, double tp, double ep,
      double cp, double pp, double zero3, double bubble, double dp, double optimizer) {
    /** Sum of every part. */
    public double total() {
      return gemm + attention + elementwise + recompute + tp + ep + cp + pp + zero3 + bubble + dp + optimizer;
    }

    /** Names in the order of {@link #values()}. */
    public static final String[] NAMES = {"gemm", "attention", "elementwise", "recompute", "tp_comm", "ep_comm",
        "cp_comm", "pp_p2p", "zero3_comm", "bubble", "dp_comm", "optimizer"};

    /** The parts as an array, in the order of {@link #NAMES}. */
    public double[] values() {
      return new double[] {gemm, attention, elementwise, recompute, tp, ep, cp, pp, zero3, bubble, dp, optimizer};
    }
  }

  /**
   * Memory per chip of the binding pipeline stage, in bytes.
   *
   * @param weights     working weights
   * @param grads       gradients
   * @param optimizer   master weights and Adam moments
   * @param activations stored activations of the micro-batches in flight
   * @param logits      the loss's logits (last stage only)
   * @param workingSet   working sets: the layer being recomputed, ZeRO-3 gathered layers
   * @param capacity    device memory
   * @param usable      device memory less the reserve
   * @param stage       "first" or "last": which stage binds
   * @param inFlight    micro-batches whose activations the first stage holds
   */
  public record MemoryUse(double weights, double grads, double optimizer, double activations, double logits,
      double workingSet, double capacity, double usable, String stage, double inFlight) {
    /** Bytes in use. */
    public double total() {
      return weights + grads + optimizer + activations + logits + workingSet;
    }

    /** Usable bytes left (negative when over). */
    public double headroom() {
      return usable - total();
    }
  }
}
