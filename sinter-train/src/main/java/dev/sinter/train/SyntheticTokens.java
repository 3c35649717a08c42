// A built-in corpus with learnable structure, for tests, benchmarks and quick checks: a fixed random
// Markov chain in which every token has three possible successors with probabilities 0.7, 0.2 and
// 0.1. A model that learns the chain reaches the chain's entropy, about 0.80 nats per token, far
// below the ln(V) of guessing; so "the loss falls" is a meaningful test, and the floor is known.
package dev.sinter.train;

import dev.sinter.tensor.Rng;

/** Markov-chain windows; window i depends only on (seed, i), so seeking is exact. */
public final class SyntheticTokens implements TokenSource {
  /** The entropy of the successor distribution (0.7, 0.2, 0.1) in nats: the best achievable loss. */
  public static final double ENTROPY_NATS = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));

  private final int vocab;
  private final long seed;
  private final int[] successors; // [V, 3]
  private long position;

  /**
   * @param vocab V, the number of token ids
   * @param seed  seeds the order of windows; the chain itself is fixed for a given V
   */
  public SyntheticTokens(int vocab, long seed) {
    if (vocab < 2) {
      throw new IllegalArgumentException("synthetic data needs a vocabulary of at least 2, got " + vocab);
    }
    this.vocab = vocab;
    this.seed = seed;
    this.successors = new int[vocab * 3];
    Rng rng = new Rng(0x5EED_C4A1L + vocab);
    for (int i = 0; i < successors.length; i++) {
      successors[i] = rng.nextInt(vocab);
    }
  }

  @Override
  public void next(int[] tokens, int[] targets, int b, int t) {
    int[] window = new int[t + 1];
    for (int i = 0; i < b; i++) {
      Rng rng = Rng.derive(seed, "window-" + (position + i));
      window[0] = rng.nextInt(vocab);
      for (int j = 1; j <= t; j++) {
        double u = rng.nextDouble();
        int choice = u < 0.7 ? 0 : u < 0.9 ? 1 : 2;
        window[j] = successors[window[j - 1] * 3 + choice];
      }
      System.arraycopy(window, 0, tokens, i * t, t);
      System.arraycopy(window, 1, targets, i * t, t);
    }
    position += b;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public void seek(long p) {
    this.position = p;
  }

  @Override
  public String describe() {
    return "synthetic Markov chain (V=" + vocab + ", floor " + String.format("%.3f", ENTROPY_NATS) + " nats)";
  }
}
