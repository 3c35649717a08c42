// What one optimizer step did, measured: the record behind the console line and the JSONL row.
package dev.sinter.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics of one optimizer step. Times in milliseconds; the four parts sum to (almost) stepMs.
 *
 * @param step       1-based step number
 * @param loss       mean training loss over the step's micro-batches
 * @param lr         learning rate applied
 * @param gradNorm   global gradient L2 norm before clipping
 * @param tokensPerS tokens per second of this step
 * @param mfu        model FLOPs utilisation against the peak
 * @param hfu        hardware FLOPs utilisation (counts recomputation); equals mfu without it
 * @param commMs     time inside collectives (on any thread); 0 on a single rank
 * @param exposedCommMs time the training thread waited on communication (not hidden by compute)
 * @param rankStepMs every data-parallel rank's step time, by rank (null on a single rank)
 * @param commBytes  bytes this rank sent during the step, per collective kind (null on a single rank)
 */
public record StepStats(int step, double loss, double lr, double gradNorm, double stepMs,
    double dataMs, double forwardMs, double backwardMs, double optimizerMs, double tokensPerS,
    double mfu, double hfu, double commMs, double exposedCommMs, double[] rankStepMs,
    Map<String, Long> commBytes) {

  /**
   * The rank whose step took longest, if it lags the median by more than {@code fraction}
   * (e.g. 0.2 = 20 %), else -1.
   */
  public int straggler(double fraction) {
    if (rankStepMs == null || rankStepMs.length < 2) {
      return -1;
    }
    double[] sorted = rankStepMs.clone();
    java.util.Arrays.sort(sorted);
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    int slowest = 0;
    for (int r = 1; r < rankStepMs.length; r++) {
      if (rankStepMs[r] > rankStepMs[slowest]) {
        slowest = r;
      }
    }
    return rankStepMs[slowest] > median * (1 + fraction) ? slowest : -1;
  }

  /** The JSONL row (stable field names). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("loss", loss);
    m.put("lr", lr);
    m.put("grad_norm", gradNorm);
    m.put("step_ms", stepMs);
    m.put("data_ms", dataMs);
    m.put("forward_ms", forwardMs);
    m.put("backward_ms", backwardMs);
    m.put("optimizer_ms", optimizerMs);
    m.put("tokens_per_s", tokensPerS);
    m.put("mfu", mfu);
    m.put("hfu", hfu);
    m.put("comm_ms", commMs);
    m.put("comm_exposed_ms", exposedCommMs);
    if (rankStepMs != null) {
      m.put("rank_step_ms", rankStepMs);
      m.put("comm_bytes", commBytes);
    }
    return m;
  }
}
