// One plotted series (x = step, y = a figure) taken from the run record's steps, and the min/max
// downsampling that keeps a 100k-step curve drawable without hiding its spikes.
package dev.sinter.telemetry.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * Points in step order.
 *
 * @param name the legend label
 * @param x    steps
 * @param y    values, all finite
 */
record Series(String name, double[] x, double[] y) {
  /** The most points a chart draws per series; a browser renders this many without strain. */
  static final int MAX_POINTS = 2000;

  int size() {
    return x.length;
  }

  boolean isEmpty() {
    return x.length == 0;
  }

  /**
   * The finite numeric values of {@code field} across {@code steps}, scaled by {@code scale}; a step
   * without a "step" number is placed at its position (1-based). Missing, null, non-numeric and
   * non-finite values are skipped, so a diverged or optional figure leaves a gap, not an error.
   */
  static Series fromSteps(JsonNode steps, String field, String name, double scale) {
    int n = steps == null || !steps.isArray() ? 0 : steps.size();
    double[] xs = new double[n];
    double[] ys = new double[n];
    int k = 0;
    for (int i = 0; i < n; i++) {
      JsonNode step = steps.get(i);
      JsonNode v = step == null ? null : step.get(field);
      if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
        continue;
      }
      JsonNode s = step.get("step");
      xs[k] = s != null && s.isNumber() ? s.asDouble() : i + 1;
      ys[k] = v.asDouble() * scale;
      k++;
    }
    return new Series(name, Arrays.copyOf(xs, k), Arrays.copyOf(ys, k));
  }

  /**
   * At most {@code maxPoints} points that keep the first, the last, and the lowest and highest value
   * of every bucket of neighbours, in step order; the curve's envelope survives, its noise thins.
   */
  Series downsample(int maxPoints) {
    int n = size();
    if (n <= maxPoints) {
      return this;
    }
    if (maxPoints < 4) {
      throw new IllegalArgumentException("downsample needs at least 4 points, got " + maxPoints);
    }
    int buckets = (maxPoints - 2) / 2;
    double[] xs = new double[maxPoints];
    double[] ys = new double[maxPoints];
    int k = 0;
    xs[k] = x[0];
    ys[k++] = y[0];
    int interior = n - 2; // points 1 .. n-2 are shared out among the buckets
    for (int b = 0; b < buckets; b++) {
      int from = 1 + (int) ((long) b * interior / buckets);
      int to = 1 + (int) ((long) (b + 1) * interior / buckets);
      if (from >= to) {
        continue;
      }
      int lo = from;
      int hi = from;
      for (int i = from + 1; i < to; i++) {
        if (y[i] < y[lo]) {
          lo = i;
        }
        if (y[i] > y[hi]) {
          hi = i;
        }
      }
      int first = Math.min(lo, hi);
      int second = Math.max(lo, hi);
      xs[k] = x[first];
      ys[k++] = y[first];
      if (second != first) {
        xs[k] = x[second];
        ys[k++] = y[second];
      }
    }
    xs[k] = x[n - 1];
    ys[k++] = y[n - 1];
    return new Series(name, Arrays.copyOf(xs, k), Arrays.copyOf(ys, k));
  }
}
