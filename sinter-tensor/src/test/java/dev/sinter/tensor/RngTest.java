// Rng.skip reaches draw n of a stream without the draws before it.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RngTest {

  @Test
  void skipEqualsDrawingAndDiscarding() {
    for (long n : new long[] {0, 1, 2, 7, 1000}) {
      Rng walked = Rng.derive(3, "wte");
      for (long i = 0; i < n; i++) {
        walked.nextLong();
      }
      Rng skipped = Rng.derive(3, "wte");
      skipped.skip(n);
      for (int i = 0; i < 5; i++) {
        assertEquals(walked.nextLong(), skipped.nextLong(), "after skipping " + n);
      }
    }
  }

  @Test
  void skipsCompose() {
    long a = 3L << 40;
    long b = 123_456_789_012L;
    Rng twice = new Rng(11);
    twice.skip(a);
    twice.skip(b);
    Rng once = new Rng(11);
    once.skip(a + b);
    assertEquals(once.state(), twice.state());
    assertEquals(once.nextGaussian(), twice.nextGaussian());
  }
}
