// Downsampling keeps the ends and every bucket's extremes, and reading steps skips what is missing.
package dev.sinter.telemetry.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeriesTest {
  @Test
  void downsampleKeepsEndsAndExtremes() {
    long seed = 20261129L;
    Random rnd = new Random(seed);
    for (int n : new int[] {5, 1999, 2000, 2001, 4096, 100_000}) {
      double[] x = new double[n];
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        x[i] = i + 1;
        y[i] = rnd.nextGaussian();
      }
      Series s = new Series("s", x, y);
      Series d = s.downsample(Series.MAX_POINTS);
      String where = "n=" + n + " seed=" + seed;
      if (n <= Series.MAX_POINTS) {
        assertSame(s, d, where);
        continue;
      }
      assertTrue(d.size() <= Series.MAX_POINTS, where + " size " + d.size());
      assertEquals(x[0], d.x()[0], where);
      assertEquals(x[n - 1], d.x()[d.size() - 1], where);
      assertEquals(Arrays.stream(y).min().getAsDouble(), Arrays.stream(d.y()).min().getAsDouble(), where);
      assertEquals(Arrays.stream(y).max().getAsDouble(), Arrays.stream(d.y()).max().getAsDouble(), where);
      for (int i = 1; i < d.size(); i++) {
        assertTrue(d.x()[i] > d.x()[i - 1], where + " steps stay in order at " + i);
      }
    }
  }

  @Test
  void fromStepsSkipsMissingAndNonNumericValues() throws Exception {
    var steps = new ObjectMapper().readTree("""
        [{"step": 10, "loss": 2.5, "mfu": 0.5}, {"step": 20}, {"step": 30, "loss": "NaN"},
         {"loss": 1.5}, null, {"step": 50, "loss": null, "mfu": 0.25}]
        """);
    Series loss = Series.fromSteps(steps, "loss", "loss", 1);
    assertArrayEquals(new double[] {10, 4}, loss.x(), "a step without a number sits at its position");
    assertArrayEquals(new double[] {2.5, 1.5}, loss.y());
    Series mfu = Series.fromSteps(steps, "mfu", "MFU", 100);
    assertArrayEquals(new double[] {50, 25}, mfu.y());
    assertTrue(Series.fromSteps(null, "loss", "loss", 1).isEmpty());
  }
}
