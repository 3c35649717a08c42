// Picks the next token from logits: greedy, or temperature with optional top-k and nucleus (top-p)
// filtering, from a seeded generator so a generation can be reproduced exactly.
package dev.sinter.model;

import dev.sinter.tensor.Rng;
import java.util.Arrays;

/** A seeded token sampler. temperature 0 means greedy (arg-max). */
public final class Sampler {
  private final double temperature;
  private final int topK;
  private final double topP;
  private final Rng rng;

  /**
   * @param temperature 0 for greedy, else the softmax temperature (&gt; 0)
   * @param topK        keep only the k most likely tokens; 0 = no limit
   * @param topP        keep the smallest set whose probability reaches p; 1 = no limit
   */
  public Sampler(double temperature, int topK, double topP, long seed) {
    if (!(temperature >= 0)) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.rng = new Rng(seed);
  }

  /** Chooses a token id from {@code logits} (not modified). */
  public int sample(float[] logits) {
    int v = logits.length;
    if (temperature == 0) {
      int best = 0;
      for (int i = 1; i < v; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    // sort candidate ids by logit, descending; ties by id so the order is fully determined
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
    int keep = topK > 0 ? Math.min(topK, v) : v;
    double max = logits[order[0]];
    double[] probs = new double[keep];
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      probs[i] = Math.exp((logits[order[i]] - max) / temperature);
      sum += probs[i];
    }
    double cum = 0;
    int cut = keep;
    for (int i = 0; i < keep; i++) {
      probs[i] /= sum;
      cum += probs[i];
      if (cum >= topP) {
        cut = i + 1;
        break;
      }
    }
    double total = 0;
    for (int i = 0; i < cut; i++) {
      total += probs[i];
    }
    double u = rng.nextDouble() * total;
    for (int i = 0; i < cut; i++) {
      u -= probs[i];
      if (u < 0) {
        return order[i];
      }
    }
    return order[cut - 1];
  }
}
