// A small, fully specified pseudo-random generator (SplitMix64) so that initialisation and
// synthetic data are reproducible bit for bit across JDK versions and platforms; java.util.Random's
// Gaussian and SplittableRandom's stream splitting make no such promise.
package dev.sinter.tensor;

/** SplitMix64 with a Box-Muller Gaussian. Not thread-safe; derive one per stream with {@link #derive}. */
public final class Rng {
  private long state;

  /** Creates a generator whose whole sequence is determined by {@code seed}. */
  public Rng(long seed) {
    this.state = seed;
  }

  /** An independent generator for a named stream, e.g. one per parameter tensor. */
  public static Rng derive(long seed, String stream) {
    long h = seed ^ 0x9E3779B97F4A7C15L;
    for (int i = 0; i < stream.length(); i++) {
      h = mix(h + stream.charAt(i));
    }
    return new Rng(h);
  }

  /** The full 64-bit state, for checkpoints. */
  public long state() {
    return state;
  }

  /** Restores a state returned by {@link #state()}. */
  public void setState(long s) {
    this.state = s;
  }

  /**
   * Skips the next {@code draws} values of {@link #nextLong} in constant time: SplitMix64's state is
   * a Weyl sequence, so draw n of a stream can be reached without the n - 1 before it. Lets a
   * stream be cut into blocks that are filled in parallel with exactly the sequential values.
   */
  public void skip(long draws) {
    state += draws * 0x9E3779B97F4A7C15L;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Next 64 uniformly random bits. */
  public long nextLong() {
    state += 0x9E3779B97F4A7C15L;
    return mix(state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform integer in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
  }

  /**
   * Standard normal sample (Box-Muller, one value per call from exactly two draws of
   * {@link #nextLong}; StrictMath keeps it platform-exact).
   */
  public double nextGaussian() {
    double u1 = nextDouble();
    double u2 = nextDouble();
    if (u1 < 1e-300) {
      u1 = 1e-300;
    }
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
  }
}
