// What is being planned: a model on a cluster at a sequence length, with a training budget and the
// efficiency profile of the cluster's chip.
package dev.sinter.planner;

/**
 * @param model      the model's derived shape
 * @param cluster    chips and count
 * @param seqLen     training sequence length
 * @param tokens     training budget in tokens (0 = only per-step figures)
 * @param efficiency the efficiency profile used for the cluster's chip
 */
public record Job(ModelShape model, Cluster cluster, int seqLen, double tokens, Efficiency efficiency) {
  /** Checks the sequence length and budget. */
  public Job {
    if (seqLen < 1) {
      throw new PlanException("--seq", "sequence length must be >= 1, got " + seqLen);
    }
    if (!(tokens >= 0)) {
      throw new PlanException("--tokens", "must be >= 0, got " + tokens);
    }
  }

  /** The same job with another chip (e.g. at the low or high end of its sourced range). */
  public Job withChip(Chip c) {
    return new Job(model, new Cluster(c, cluster.count()), seqLen, tokens, efficiency);
  }
}
