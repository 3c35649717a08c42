// Training under failures: with a per-chip failure rate λ the cluster fails every M = 1/(n·λ)
// hours; each failure costs a restart R plus, on average, half a checkpoint interval of lost work;
// each checkpoint blocks training for δ. Young's interval τ = √(2·δ·M) minimises the waste, and
//   ETTR = (1 − (R + τ/2)/M) / (1 + δ/τ)
// is the effective-training-time ratio (useful time / wall time; ref README §5.3, §5.8).
// Goodput = MFU × ETTR.
package dev.sinter.planner;

/**
 * Failure assumptions.
 *
 * @param failuresPerChipHour λ; default from Llama 3: 419 interruptions in 54 days on 16,384 GPUs
 * @param checkpointS         δ: seconds training is blocked per checkpoint (NaN = from state size)
 * @param checkpointBytesPerS bandwidth per chip used to size δ when it is not given
 * @param restartS            R: detection, restart and reload time per failure
 */
public record Goodput(double failuresPerChipHour, double checkpointS, double checkpointBytesPerS, double restartS) {
  /** Llama 3 paper (ref README §5.8): 419 unexpected interruptions in 54 days on 16,384 H100s. */
  public static final double LLAMA3_FAILURES_PER_GPU_HOUR = 419.0 / (54 * 24 * 16384.0);

  /** Checks the values. */
  public Goodput {
    if (!(failuresPerChipHour >= 0)) {
      throw new PlanException("--failure-rate", "must be >= 0 failures per chip-hour, got " + failuresPerChipHour);
    }
    if (!(Double.isNaN(checkpointS) || checkpointS >= 0)) {
      throw new PlanException("--checkpoint-s", "must be >= 0, got " + checkpointS);
    }
    if (!(checkpointBytesPerS > 0)) {
      throw new PlanException("--checkpoint-gbps", "must be > 0, got " + checkpointBytesPerS);
    }
    if (!(restartS >= 0)) {
      throw new PlanException("--restart-s", "must be >= 0, got " + restartS);
    }
  }

  /**
   * Defaults: Llama 3's failure rate; δ sized from the model state per chip at 5 GB/s per chip
   * (ESTIMATE: a blocking snapshot to host memory or storage); R = 10 min (MegaScale: detection and
   * diagnosis in under 10 minutes, ref README §5.8).
   */
  public static Goodput defaults() {
    return new Goodput(LLAMA3_FAILURES_PER_GPU_HOUR, Double.NaN, 5e9, 600);
  }

  /**
   * The outcome for a cluster.
   *
   * @param mtbfS       cluster mean time between failures, seconds
   * @param checkpointS δ used
   * @param intervalS   Young's optimal checkpoint interval
   * @param restartS    R used
   * @param ettr        effective training-time ratio (0 when failures outpace progress)
   */
  public record Outcome(double mtbfS, double checkpointS, double intervalS, double restartS, double ettr) {}

  /** Evaluates the model for n chips holding {@code stateBytesPerChip} each. */
  public Outcome evaluate(int chips, double stateBytesPerChip) {
    double delta = Double.isNaN(checkpointS) ? stateBytesPerChip / checkpointBytesPerS : checkpointS;
    if (failuresPerChipHour == 0) {
      return new Outcome(Double.POSITIVE_INFINITY, delta, Double.POSITIVE_INFINITY, restartS, 1.0);
    }
    double m = 3600.0 / (chips * failuresPerChipHour);
    double tau = Math.max(Math.sqrt(2 * delta * m), delta);
    double ettr = (1 - (restartS + tau / 2) / m) / (1 + (tau > 0 ? delta / tau : 0));
    return new Outcome(m, delta, tau, restartS, Math.max(0, ettr));
  }
}
