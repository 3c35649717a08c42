// A seeded pseudo-random permutation of [0, n) that is evaluated per index in O(1) time and
// memory, so the loader's shuffle costs nothing to store, to resume or to seek.
//
// Construction: a balanced 4-round Feistel network on the smallest even number of bits that
// covers n, with SplitMix64's finaliser as round function, made into a permutation of exactly
// [0, n) by cycle walking (re-encrypt until the value falls below n; the domain is less than 4n,
// so under 4 rounds trips on average). Four Feistel rounds with pseudo-random round functions
// give a strong pseudo-random permutation (Luby-Rackoff), which is far more than a data shuffle
// needs; the point is that an int[] of window indices, re-shuffled every epoch, would cost 4 bytes
// per window and a full Fisher-Yates pass on every resume.
package dev.sinter.data.loader;

final class Permutation {
  private static final int ROUNDS = 4;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long n;
  private final int half;
  private final long mask;
  private final long[] keys = new long[ROUNDS];

  /**
   * @param n the domain size, in [1, 2^62]
   * @param seed the run's seed
   * @param epoch the epoch; each gets an unrelated permutation
   */
  Permutation(long n, long seed, long epoch) {
    if (n < 1 || n > 1L << 62) {
      throw new IllegalArgumentException("permutation size " + n + " outside [1, 2^62]");
    }
    this.n = n;
    int bits = 64 - Long.numberOfLeadingZeros(n - 1); // ceil(log2 n)
    bits = Math.max(2, bits + (bits & 1));
    this.half = bits / 2;
    this.mask = (1L << half) - 1;
    long s = mix(mix(seed) ^ (epoch * GOLDEN + 1));
    for (int r = 0; r < ROUNDS; r++) {
      s += GOLDEN;
      keys[r] = mix(s);
    }
  }

  /** The image of {@code i}, in [0, n). */
  long apply(long i) {
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException("index " + i + " outside [0, " + n + ")");
    }
    long x = i;
    do {
      x = encrypt(x);
    } while (x >= n);
    return x;
  }

  private long encrypt(long x) {
    long l = x >>> half;
    long r = x & mask;
    for (long k : keys) {
      long t = l ^ (mix(r ^ k) & mask);
      l = r;
      r = t;
    }
    return (l << half) | r;
  }

  /** SplitMix64's finaliser (Stafford's Mix13): a bijective 64-bit mixer with full avalanche. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
