// From a step time to a whole run: steps for the token budget, wall-clock with and without
// failures, chip-hours and energy E = n × P × t_wall × PUE, with the power basis stated (the chip's
// TDP, or its all-in share of node/rack/network power) and its status (OFFICIAL or ESTIMATE).
package dev.sinter.planner;

/**
 * Totals of a training run.
 *
 * @param tokens        the budget
 * @param steps         optimizer steps
 * @param idealS        wall-clock without failures
 * @param goodput       failure model outcome
 * @param wallS         wall-clock with failures (idealS / ETTR)
 * @param chipHours     chips × wall hours
 * @param powerW        watts per chip used
 * @param powerLowW     low end of the power range
 * @param powerHighW    high end of the power range
 * @param powerBasis    "all-in" or "tdp"
 * @param powerStatus   status of the power figure (OFFICIAL, ESTIMATE, ...)
 * @param energyKwh     energy at powerW (NaN when the chip's power is not published)
 * @param pue           power usage effectiveness applied
 */
public record RunTotals(double tokens, double steps, double idealS, Goodput.Outcome goodput, double wallS,
    double chipHours, double powerW, double powerLowW, double powerHighW, String powerBasis, String powerStatus,
    double energyKwh, double pue) {

  /** Which power figure to use. */
  public enum PowerBasis {
    /** All-in where the catalog has it, else the chip's TDP. */
    AUTO,
    /** The chip's TDP. */
    TDP,
    /** The chip's share of node, rack and network power. */
    ALLIN
  }

  /** Computes the totals of a run. */
  public static RunTotals of(Job job, Estimate e, Goodput g, PowerBasis basis, double pue) {
    if (!(pue >= 1)) {
      throw new PlanException("--pue", "must be >= 1, got " + pue);
    }
    Chip c = job.cluster().chip();
    int n = job.cluster().count();
    double tokensPerStep = e.layout().globalBatch() * (double) job.seqLen();
    double steps = job.tokens() > 0 ? Math.ceil(job.tokens() / tokensPerStep) : 0;
    double ideal = steps * e.stepS();
    Estimate.MemoryUse m = e.memory();
    Goodput.Outcome o = g.evaluate(n, m.weights() + m.grads() + m.optimizer());
    double wall = o.ettr() > 0 ? ideal / o.ettr() : Double.POSITIVE_INFINITY;
    String field = switch (basis) {
      case TDP -> "tdp_w";
      case ALLIN -> "allin_w";
      case AUTO -> c.allInW() > 0 ? "allin_w" : "tdp_w";
    };
    Figure f = c.figure(field);
    double p = f == null ? Double.NaN : f.value();
    double lo = f == null || !f.known() ? Double.NaN : f.low();
    double hi = f == null || !f.known() ? Double.NaN : f.high();
    String status = f == null ? "n/a" : f.known() ? f.status() : "not published";
    double kwh = n * p * wall / 3600 * pue / 1000;
    return new RunTotals(job.tokens(), steps, ideal, o, wall, n * wall / 3600, p, lo, hi,
        field.equals("allin_w") ? "all-in" : "tdp", status, kwh, pue);
  }

  /** Wall-clock days with failures. */
  public double days() {
    return wallS / 86400;
  }
}
