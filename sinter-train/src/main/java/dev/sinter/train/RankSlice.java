// One data-parallel rank's share of a token source: the source yields the global micro-batch
// (B windows) and rank r keeps rows r, r + world, r + 2·world, … . Every rank advances the source by
// the whole global batch, so the ranks together see exactly what one rank would see with the same
// global batch — the property the N-rank vs 1-rank equivalence tests rely on. Reading the other
// ranks' rows costs microseconds per step (docs/benchmarks.md, Loader).
package dev.sinter.train;

/** A rank's rows of a shared token source. */
final class RankSlice implements TokenSource, AutoCloseable {
  private final TokenSource global;
  private final int rank;
  private final int world;
  private int[] tokens = new int[0];
  private int[] targets = new int[0];

  RankSlice(TokenSource global, int rank, int world) {
    this.global = global;
    this.rank = rank;
    this.world = world;
  }

  /** Fills this rank's {@code b} rows of a global batch of {@code b · world} windows. */
  @Override
  public void next(int[] tok, int[] tgt, int b, int t) {
    int all = b * world * t;
    if (tokens.length < all) {
      tokens = new int[all];
      targets = new int[all];
    }
    global.next(tokens, targets, b * world, t);
    for (int j = 0; j < b; j++) {
      int row = j * world + rank;
      System.arraycopy(tokens, row * t, tok, j * t, t);
      System.arraycopy(targets, row * t, tgt, j * t, t);
    }
  }

  @Override
  public long position() {
    return global.position();
  }

  @Override
  public void seek(long position) {
    global.seek(position);
  }

  @Override
  public String describe() {
    return global.describe() + ", rank " + rank + " of " + world;
  }

  @Override
  public void close() throws Exception {
    if (global instanceof AutoCloseable c) {
      c.close();
    }
  }
}
