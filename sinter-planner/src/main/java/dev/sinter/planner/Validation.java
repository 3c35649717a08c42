// Predicts every run of the shipped validation set (published-runs.tsv) and compares with what its
// authors reported, and checks activation memory against Korthikanti 2022 Fig. 1
// (memory-validation.tsv). Each reported metric becomes a reference step time:
//   step_s      as reported
//   tflops_eq3  Narayanan eq.(3) FLOPs per iteration / (chips × reported TFLOP/s per chip)
//   mfu         global batch × s × (6N + 12·L·H·Q·T) / (chips × peak × MFU)
// and error = predicted step / reference step − 1.
package dev.sinter.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The validation set and its comparison with the cost model. */
public final class Validation {
  private Validation() {}

  /**
   * One published run.
   *
   * @param id          run id (as in the reference)
   * @param group       paper / table it comes from
   * @param job         model, cluster and sequence length
   * @param layout      the layout the run used (with our stated assumptions where the paper is silent)
   * @param metric      step_s, tflops_eq3 or mfu
   * @param reported    the reported value
   * @param assumptions what we had to assume
   * @param status      PAPER or SECONDARY
   * @param source      where it comes from
   */
  public record Run(String id, String group, Job job, Layout layout, String metric, double reported,
      String assumptions, String status, String source) {
    /** The reference step time implied by the reported metric. */
    public double referenceStepS() {
      ModelSpec s = job.model().spec;
      double seq = job.seqLen();
      double n = job.cluster().count();
      return switch (metric) {
        case "step_s" -> reported;
        case "tflops_eq3" -> eq3Flops(s, layout.globalBatch(), seq) / (n * reported * 1e12);
        case "mfu" -> layout.globalBatch() * seq * job.model().modelFlopsPerToken(job.seqLen())
            / (n * job.cluster().chip().mfuBasisFlops(layout.precision()) * reported / 100);
        default -> throw new IllegalStateException("unknown metric " + metric);
      };
    }

    /** The metric in the run's own convention, from a step time. */
    public double metricFor(double stepS) {
      return switch (metric) {
        case "step_s" -> stepS;
        case "tflops_eq3" -> eq3Flops(job.model().spec, layout.globalBatch(), job.seqLen())
            / (job.cluster().count() * stepS * 1e12);
        case "mfu" -> reported * referenceStepS() / stepS;
        default -> throw new IllegalStateException("unknown metric " + metric);
      };
    }
  }

  /**
   * Narayanan 2021 eq. (3): FLOPs of one iteration of a GPT model with activation recomputation,
   * 96·B·s·L·h²·(1 + s/(6h) + V/(16·L·h)).
   */
  public static double eq3Flops(ModelSpec s, double batch, double seq) {
    double l = s.layers();
    double h = s.hidden();
    return 96 * batch * seq * l * h * h * (1 + seq / (6 * h) + s.vocab() / (16 * l * h));
  }

  /**
   * A prediction next to its reference.
   *
   * @param run        the run
   * @param estimate   the cost model's estimate
   * @param referenceS reference step time
   * @param predicted  the metric predicted, in the run's own convention
   * @param error      predicted step / reference step − 1
   */
  public record Result(Run run, Estimate estimate, double referenceS, double predicted, double error) {}

  /**
   * Errors of a set of results.
   *
   * @param results      per run
   * @param medianAbs    median |error|
   * @param meanAbs      mean |error|
   * @param worstAbs     largest |error|
   * @param worst        the run with the largest |error|
   */
  public record Summary(List<Result> results, double medianAbs, double meanAbs, double worstAbs, Result worst) {}

  /** The shipped runs. */
  public static List<Run> runs(HardwareCatalog hw, Map<String, Efficiency> profiles) {
    List<Run> out = new ArrayList<>();
    for (Tsv.Row r : Tsv.resource("published-runs.tsv").rows()) {
      ModelSpec spec = spec(r.get("run"), r);
      Chip chip = hw.get(r.get("chip"));
      Efficiency eff = Efficiency.forChip(profiles, chip);
      Job job = new Job(new ModelShape(spec), new Cluster(chip, i(r, "chips")), i(r, "seq"), 0, eff);
      int vpp = i(r, "vpp");
      Layout l = new Layout(i(r, "tp"), i(r, "pp"), vpp, i(r, "dp"), 1, i(r, "cp"), i(r, "zero"),
          Layout.Recompute.parse(r.get("recompute")), i(r, "mbs"), Long.parseLong(r.get("gbs")),
          Precision.parse(r.get("precision"), r.where()), vpp > 1 ? Layout.Schedule.INTERLEAVED
              : Layout.Schedule.ONE_F_ONE_B, b(r, "sp"), b(r, "flash"), b(r, "overlap_dp"), 0, b(r, "hsdp"));
      out.add(new Run(r.get("run"), r.get("group"), job, l, r.get("metric"), Double.parseDouble(r.get("reported")),
          r.opt("assumptions"), r.get("status"), r.get("source")));
    }
    return out;
  }

  private static ModelSpec spec(String name, Tsv.Row r) {
    return new ModelSpec(name, i(r, "layers"), i(r, "hidden"), i(r, "heads"), i(r, "kv_heads"), i(r, "head_dim"),
        i(r, "head_dim"), Long.parseLong(r.get("ffn")), i(r, "vocab"), i(r, "seq"), r.get("mlp").equals("swiglu"),
        b(r, "tied"), b(r, "learned_pos"), b(r, "dropout"), b(r, "bias"), b(r, "parallel_block"), false, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, false, Map.of());
  }

  private static int i(Tsv.Row r, String c) {
    try {
      return Integer.parseInt(r.get(c));
    } catch (NumberFormatException e) {
      throw new PlanException(r.where(), "column " + c + " must be an integer, got \"" + r.get(c) + "\"");
    }
  }

  private static boolean b(Tsv.Row r, String c) {
    return Boolean.parseBoolean(r.get(c));
  }

  /** Predicts each run (memory feasibility is reported, not required: published runs ran). */
  public static Summary validate(List<Run> runs) {
    List<Result> res = new ArrayList<>();
    for (Run run : runs) {
      Estimate e = CostModel.evaluate(run.job(), run.layout());
      double ref = run.referenceStepS();
      res.add(new Result(run, e, ref, run.metricFor(e.stepS()), e.stepS() / ref - 1));
    }
    return summarise(res);
  }

  /** Median, mean and worst absolute error of a list of results. */
  public static Summary summarise(List<Result> res) {
    double[] abs = new double[res.size()];
    Result worst = null;
    double sum = 0;
    for (int k = 0; k < res.size(); k++) {
      abs[k] = Math.abs(res.get(k).error());
      sum += abs[k];
      if (worst == null || abs[k] > Math.abs(worst.error())) {
        worst = res.get(k);
      }
    }
    double[] sorted = abs.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    return new Summary(List.copyOf(res), median, n == 0 ? 0 : sum / n, worst == null ? 0 : Math.abs(worst.error()),
        worst);
  }

  /**
   * Activation memory of one Fig. 1 case.
   *
   * @param id            case id
   * @param mode          "none" or "sp+selective"
   * @param referenceGiB  Korthikanti's figure
   * @param predictedGiB  ours (transformer layers of the first stage, micro-batches in flight)
   * @param error         predicted / reference − 1
   */
  public record MemoryCheck(String id, String mode, double referenceGiB, double predictedGiB, double error) {}

  /** Activation memory of the Fig. 1 cases, without and with SP + selective recomputation. */
  public static List<MemoryCheck> memory(HardwareCatalog hw, Map<String, Efficiency> profiles) {
    List<MemoryCheck> out = new ArrayList<>();
    Chip a100 = hw.get("nvidia_a100");
    Efficiency eff = Efficiency.forChip(profiles, a100);
    for (Tsv.Row r : Tsv.resource("memory-validation.tsv").rows()) {
      ModelSpec spec = new ModelSpec(r.get("case"), i(r, "layers"), i(r, "hidden"), i(r, "heads"), i(r, "heads"),
          i(r, "hidden") / i(r, "heads"), i(r, "hidden") / i(r, "heads"), Long.parseLong(r.get("ffn")), i(r, "vocab"),
          i(r, "seq"), false, true, true, true, true, false, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, Map.of());
      int tp = i(r, "tp");
      int pp = i(r, "pp");
      int vpp = i(r, "vpp");
      Job job = new Job(new ModelShape(spec), new Cluster(a100, tp * pp), i(r, "seq"), 0, eff);
      for (String mode : List.of("none", "sp+selective")) {
        boolean sel = mode.equals("sp+selective");
        Layout l = new Layout(tp, pp, vpp, 1, 1, 1, 0, sel ? Layout.Recompute.SELECTIVE : Layout.Recompute.NONE,
            i(r, "mbs"), Long.parseLong(r.get("gbs")), Precision.FP16,
            vpp > 1 ? Layout.Schedule.INTERLEAVED : Layout.Schedule.ONE_F_ONE_B, sel, false, false, 0, false);
        int lMax = (spec.layers() + pp - 1) / pp;
        double bytes = lMax * MemoryModel.layerActivations(job, l, false) * MemoryModel.inFlight(l);
        double ref = Double.parseDouble(r.get(sel ? "act_sp_selective_GiB" : "act_none_GiB"));
        double pred = bytes / (1L << 30);
        out.add(new MemoryCheck(r.get("case"), mode, ref, pred, pred / ref - 1));
      }
    }
    return out;
  }
}
