// How a flat range splits into one contiguous shard per rank: as even as possible, the first
// (len mod n) ranks one element longer. ZeRO shards, reduce-scatter outputs and all-gather inputs
// all use this one rule, so they always agree.
package dev.sinter.comm;

/** Balanced contiguous partition of [0, len) into n shards. */
public final class Shards {
  private Shards() {}

  /** First index of shard {@code r} of {@code len} over {@code n} ranks. */
  public static int start(int len, int n, int r) {
    int base = len / n;
    int extra = len % n;
    return r * base + Math.min(r, extra);
  }

  /** One past the last index of shard {@code r}. */
  public static int end(int len, int n, int r) {
    return start(len, n, r + 1);
  }

  /** Length of shard {@code r}. */
  public static int length(int len, int n, int r) {
    return end(len, n, r) - start(len, n, r);
  }
}
