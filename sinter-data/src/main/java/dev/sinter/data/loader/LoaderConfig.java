// Settings of a TokenLoader, validated once.
package dev.sinter.data.loader;

/**
 * How a {@link TokenLoader} cuts, orders and distributes windows.
 *
 * @param seqLen T, tokens per input sequence; windows hold T + 1 tokens (inputs and targets)
 * @param seed selects the per-epoch permutations of window order
 * @param shuffle false reads windows in stream order every epoch (for evaluation)
 * @param rank this data-parallel rank, in [0, worldSize)
 * @param worldSize number of data-parallel ranks reading the same shards
 */
public record LoaderConfig(int seqLen, long seed, boolean shuffle, int rank, int worldSize) {

  /** Checks the ranges. */
  public LoaderConfig {
    if (seqLen < 1) {
      throw new IllegalArgumentException("seqLen must be >= 1, got " + seqLen);
    }
    if (worldSize < 1) {
      throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank must be in [0, " + worldSize + "), got " + rank);
    }
  }

  /** A single-rank, shuffled configuration. */
  public static LoaderConfig of(int seqLen, long seed) {
    return new LoaderConfig(seqLen, seed, true, 0, 1);
  }

  /** A copy for another rank of a world of {@code worldSize}. */
  public LoaderConfig forRank(int rank, int worldSize) {
    return new LoaderConfig(seqLen, seed, shuffle, rank, worldSize);
  }
}
