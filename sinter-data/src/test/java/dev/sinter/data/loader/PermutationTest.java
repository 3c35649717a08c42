// Tests that the Feistel permutation is a bijection of [0, n) for awkward n, differs between
// epochs and seeds, and looks shuffled.
package dev.sinter.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PermutationTest {

  private static long[] image(long n, long seed, long epoch) {
    Permutation p = new Permutation(n, seed, epoch);
    long[] out = new long[(int) n];
    for (int i = 0; i < n; i++) {
      out[i] = p.apply(i);
    }
    return out;
  }

  @Test
  void isABijectionForAwkwardSizes() {
    long seed = 2718;
    Random rnd = new Random(seed);
    int[] sizes = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 4097,
        65_535, 65_537, 100_003};
    for (int n : sizes) {
      long s = rnd.nextLong();
      long[] img = image(n, s, rnd.nextInt(5));
      boolean[] hit = new boolean[n];
      for (long v : img) {
        assertTrue(v >= 0 && v < n && !hit[(int) v], "n " + n + ", seed " + s);
        hit[(int) v] = true;
      }
    }
  }

  @Test
  void epochsAndSeedsGiveDifferentOrders() {
    long[] a = image(1000, 1, 0);
    long[] b = image(1000, 1, 1);
    long[] c = image(1000, 2, 0);
    assertNotEquals(Arrays.toString(a), Arrays.toString(b));
    assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    assertEquals(Arrays.toString(a), Arrays.toString(image(1000, 1, 0)));
    // A uniform shuffle has one fixed point and one ascending neighbour pair on average.
    int fixed = 0;
    int ascending = 0;
    for (int i = 0; i < a.length; i++) {
      fixed += a[i] == i ? 1 : 0;
      ascending += i > 0 && a[i] == a[i - 1] + 1 ? 1 : 0;
    }
    assertTrue(fixed < 10, "fixed points: " + fixed);
    assertTrue(ascending < 10, "consecutive pairs: " + ascending);
  }

  @Test
  void largeDomainsStayInRange() {
    long n = (1L << 40) + 12_345;
    Permutation p = new Permutation(n, 9, 3);
    Random rnd = new Random(9);
    for (int k = 0; k < 10_000; k++) {
      long v = p.apply(Math.floorMod(rnd.nextLong(), n));
      assertTrue(v >= 0 && v < n);
    }
    assertThrows(IllegalArgumentException.class, () -> new Permutation(0, 1, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> new Permutation(5, 1, 0).apply(5));
  }
}
