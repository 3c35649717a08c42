// The planner's front door: resolves catalogs, builds jobs, evaluates one layout or searches for
// the best, and carries the hardware catalog's ranges through to the results (a chip whose sources
// disagree on its peak is evaluated at both ends).
package dev.sinter.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Plans training runs. */
public final class Planner {
  private final HardwareCatalog hardware;
  private final Map<String, Efficiency> profiles;

  /**
   * @param hardware the hardware catalog
   * @param profiles efficiency profiles by name
   */
  public Planner(HardwareCatalog hardware, Map<String, Efficiency> profiles) {
    this.hardware = hardware;
    this.profiles = Map.copyOf(profiles);
  }

  /** The shipped catalogs. */
  public static Planner builtIn() {
    return new Planner(HardwareCatalog.builtIn(), Efficiency.builtIn());
  }

  /** The hardware catalog. */
  public HardwareCatalog hardware() {
    return hardware;
  }

  /** The efficiency profiles. */
  public Map<String, Efficiency> profiles() {
    return profiles;
  }

  /** A job: model on cluster at a sequence length (0 = the model's), with a token budget (0 = the model's). */
  public Job job(ModelSpec model, Cluster cluster, int seqLen, double tokens) {
    return new Job(new ModelShape(model), cluster, seqLen > 0 ? seqLen : model.seqLen(),
        tokens > 0 ? tokens : model.tokens(), Efficiency.forChip(profiles, cluster.chip()));
  }

  /**
   * One plan: the estimate and run totals at the catalog's values, and at both ends of the chip's
   * sourced ranges when it has any.
   *
   * @param job      the job
   * @param estimate at the nominal figures
   * @param totals   run totals at the nominal figures
   * @param slow     estimate at the low end of every speed range (null when the chip has none)
   * @param fast     estimate at the high end (null when none)
   * @param slowTotals totals of {@code slow} (null when none)
   * @param fastTotals totals of {@code fast} (null when none)
   */
  public record Plan(Job job, Estimate estimate, RunTotals totals, Estimate slow, Estimate fast, RunTotals slowTotals,
      RunTotals fastTotals) {
    /** Days with failures: {fastest, nominal, slowest}. */
    public double[] daysRange() {
      double d = totals.days();
      return new double[] {fast == null ? d : fastTotals.days(), d, slow == null ? d : slowTotals.days()};
    }

    /** Energy in kWh: {low, nominal, high} over the speed and power ranges (NaN when unpublished). */
    public double[] energyRange() {
      double e = totals.energyKwh();
      double hours = totals.wallS() / 3600;
      double fastH = fast == null ? hours : fastTotals.wallS() / 3600;
      double slowH = slow == null ? hours : slowTotals.wallS() / 3600;
      int n = job.cluster().count();
      double k = n * totals.pue() / 1000;
      return new double[] {k * fastH * totals.powerLowW(), e, k * slowH * totals.powerHighW()};
    }
  }

  /** Evaluates one layout. */
  public Plan plan(Job job, Layout layout, Goodput g, RunTotals.PowerBasis basis, double pue) {
    Estimate e = CostModel.evaluate(job, layout);
    return withRanges(job, e, g, basis, pue);
  }

  /** Adds the range ends to an estimate. */
  public Plan withRanges(Job job, Estimate e, Goodput g, RunTotals.PowerBasis basis, double pue) {
    RunTotals t = RunTotals.of(job, e, g, basis, pue);
    Chip c = job.cluster().chip();
    if (!c.hasSpeedRange()) {
      return new Plan(job, e, t, null, null, null, null);
    }
    Job slowJob = job.withChip(c.atRangeEnd(false));
    Job fastJob = job.withChip(c.atRangeEnd(true));
    Estimate slow = CostModel.compute(slowJob, e.layout());
    Estimate fast = CostModel.compute(fastJob, e.layout());
    return new Plan(job, e, t, slow, fast, RunTotals.of(slowJob, slow, g, basis, pue),
        RunTotals.of(fastJob, fast, g, basis, pue));
  }

  /**
   * A search and the plan of its best layout.
   *
   * @param search the search outcome
   * @param plan   the best layout's plan, or null when nothing fits
   */
  public record Searched(Search.Result search, Plan plan) {}

  /** Searches for the fastest feasible layout. */
  public Searched search(Job job, Search.Options o, Goodput g, RunTotals.PowerBasis basis, double pue) {
    Search.Result r = Search.run(job, o);
    return new Searched(r, r.best() == null ? null : withRanges(job, r.best(), g, basis, pue));
  }

  /** Searches each cluster for the same model and budget (a head-to-head comparison). */
  public List<Searched> compare(ModelSpec model, List<Cluster> clusters, int seqLen, double tokens, Search.Options o,
      Goodput g, RunTotals.PowerBasis basis, double pue) {
    List<Searched> out = new ArrayList<>();
    for (Cluster c : clusters) {
      out.add(search(job(model, c, seqLen, tokens), o, g, basis, pue));
    }
    return out;
  }
}
