// The device mesh: how the world's ranks factor into data, tensor, pipeline and expert parallel
// degrees, validated once. Rank r's coordinates are r in mixed radix with tp fastest (tensor
// parallel ranks are neighbours, so they share the fastest links), then ep, then dp, then pp.
// Each dimension's group is the set of ranks that agree on every other coordinate.
package dev.sinter.comm;

/**
 * Parallel degrees; their product must be the world size.
 *
 * @param dp data parallel (replicas, or ZeRO shards)
 * @param tp tensor parallel
 * @param pp pipeline parallel
 * @param ep expert parallel; experts are split over ep ranks that are also data-parallel peers
 *           for the dense layers, so ep must divide dp
 */
public record ParallelDims(int dp, int tp, int pp, int ep) {
  /** The dimensions, in the order of the rank layout (fastest first). */
  public enum Dim { TP, DP, PP }

  public ParallelDims {
    for (int[] d : new int[][] {{dp, 'd'}, {tp, 't'}, {pp, 'p'}, {ep, 'e'}}) {
      if (d[0] < 1) {
        throw new IllegalArgumentException("parallel." + (char) d[1] + "p must be at least 1, got " + d[0]);
      }
    }
    if (dp % ep != 0) {
      throw new IllegalArgumentException("parallel.ep (" + ep + ") must divide parallel.dp (" + dp
          + "): expert-parallel ranks are carved out of the data-parallel ones");
    }
  }

  /** Pure data parallelism over {@code world} ranks. */
  public static ParallelDims dataParallel(int world) {
    return new ParallelDims(world, 1, 1, 1);
  }

  /** Ranks the mesh needs. */
  public int world() {
    return dp * tp * pp;
  }

  /**
   * Checks the mesh against the world it runs in.
   *
   * @throws IllegalArgumentException naming the degrees and the world size when they disagree
   */
  public void requireWorld(int worldSize) {
    if (world() != worldSize) {
      throw new IllegalArgumentException("parallel degrees dp " + dp + " x tp " + tp + " x pp " + pp + " = " + world()
          + " ranks, but the job has " + worldSize + "; make their product the world size");
    }
  }

  /** Coordinate of {@code rank} along {@code d}. */
  public int coord(int rank, Dim d) {
    return switch (d) {
      case TP -> rank % tp;
      case DP -> rank / tp % dp;
      case PP -> rank / (tp * dp);
    };
  }

  /**
   * The color that {@link Communicator#split} needs to form {@code rank}'s group along {@code d}:
   * ranks with equal coordinates on every other dimension share it.
   */
  public int color(int rank, Dim d) {
    int t = coord(rank, Dim.TP);
    int x = coord(rank, Dim.DP);
    int p = coord(rank, Dim.PP);
    return switch (d) {
      case TP -> p * dp + x;
      case DP -> p * tp + t;
      case PP -> x * tp + t;
    };
  }
}
