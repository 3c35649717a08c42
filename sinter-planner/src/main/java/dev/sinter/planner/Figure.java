// One sourced number of a catalog: the value the planner uses, the range the sources span, and
// where it comes from. Catalog files carry a Figure per line so every number stays traceable.
package dev.sinter.planner;

/**
 * A sourced figure.
 *
 * @param value  the value used (NaN when not published)
 * @param low    the lowest value the sources give (= value when they agree)
 * @param high   the highest value the sources give
 * @param unit   the unit as written in the catalog (e.g. "TFLOP/s", "W")
 * @param status OFFICIAL, PAPER, ESTIMATE, ... (see chips.tsv's header)
 * @param source where the number comes from
 */
public record Figure(double value, double low, double high, String unit, String status, String source) {
  /** Checks the range is ordered around the value. */
  public Figure {
    if (!Double.isNaN(value) && !(low <= value && value <= high)) {
      throw new IllegalArgumentException("figure range must satisfy low <= value <= high, got "
          + low + " <= " + value + " <= " + high + " (" + source + ")");
    }
    if (status == null || status.isBlank()) {
      throw new IllegalArgumentException("figure without a status (" + source + ")");
    }
  }

  /** Whether the figure is published at all. */
  public boolean known() {
    return !Double.isNaN(value);
  }

  /** Whether the sources disagree, so results must be shown as a range. */
  public boolean isRange() {
    return known() && low < high;
  }
}
