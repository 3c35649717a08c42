// `sinter plan validate`: predicts every published run of the shipped validation set and prints the
// per-run error, the summary against the targets (median |error| <= 10 %, worst <= 25 %) and the
// activation-memory check against Korthikanti 2022 Fig. 1 (within 10 %). Exit code 1 when a
// target is missed, so CI can run it.
package dev.sinter.cli;

import dev.sinter.planner.Efficiency;
import dev.sinter.planner.HardwareCatalog;
import dev.sinter.planner.Report;
import dev.sinter.planner.Validation;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Validation against published runs. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Predict the published runs of the validation set and print each error and the summary.")
public final class PlanValidateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Option(names = "--markdown", description = "Print the tables as Markdown (for docs).")
  boolean markdown;

  /** Targets of the issue. */
  static final double MEDIAN_TARGET = 0.10;
  static final double WORST_TARGET = 0.25;
  static final double MEMORY_TARGET = 0.10;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    HardwareCatalog hw = HardwareCatalog.builtIn();
    Map<String, Efficiency> prof = Efficiency.builtIn();
    Validation.Summary s = Validation.validate(Validation.runs(hw, prof));
    List<Validation.MemoryCheck> mem = Validation.memory(hw, prof);
    double memWorst = 0;
    for (Validation.MemoryCheck c : mem) {
      memWorst = Math.max(memWorst, Math.abs(c.error()));
    }
    boolean ok = s.medianAbs() <= MEDIAN_TARGET && s.worstAbs() <= WORST_TARGET && memWorst <= MEMORY_TARGET;
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      List<Map<String, Object>> runs = new ArrayList<>();
      for (Validation.Result r : s.results()) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("run", r.run().id());
        x.put("metric", r.run().metric());
        x.put("reported", r.run().reported());
        x.put("predicted", r.predicted());
        x.put("reference_step_s", r.referenceS());
        x.put("predicted_step_s", r.estimate().stepS());
        x.put("error", r.error());
        x.put("predicted_mfu", r.estimate().mfu());
        x.put("fits_in_memory", r.estimate().feasible());
        x.put("assumptions", r.run().assumptions());
        x.put("status", r.run().status());
        x.put("source", r.run().source());
        runs.add(x);
      }
      m.put("runs", runs);
      m.put("median_abs_error", s.medianAbs());
      m.put("mean_abs_error", s.meanAbs());
      m.put("worst_abs_error", s.worstAbs());
      m.put("worst_run", s.worst().run().id());
      List<Map<String, Object>> ms = new ArrayList<>();
      for (Validation.MemoryCheck c : mem) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("case", c.id());
        x.put("mode", c.mode());
        x.put("reference_gib", c.referenceGiB());
        x.put("predicted_gib", c.predictedGiB());
        x.put("error", c.error());
        ms.add(x);
      }
      m.put("activation_memory", ms);
      m.put("targets_met", ok);
      out.println(PlanCommand.JSON.writeValueAsString(m));
      out.flush();
      return ok ? Main.OK : Main.FAILED;
    }
    List<String[]> rows = new ArrayList<>();
    for (Validation.Result r : s.results()) {
      String unit = switch (r.run().metric()) {
        case "step_s" -> "s/iter";
        case "tflops_eq3" -> "TFLOP/s/GPU (eq.3)";
        default -> "% MFU";
      };
      rows.add(new String[] {r.run().id(), unit, fmt(r.run().reported()), fmt(r.predicted()),
          String.format(Locale.ROOT, "%.2f", r.referenceS()), String.format(Locale.ROOT, "%.2f", r.estimate().stepS()),
          String.format(Locale.ROOT, "%+.1f %%", 100 * r.error()),
          String.format(Locale.ROOT, "%.1f %%", 100 * r.estimate().mfu()), r.estimate().feasible() ? "yes" : "no"});
    }
    String[] head = {"run", "metric", "reported", "predicted", "ref step s", "pred step s", "step error", "pred MFU",
        "fits"};
    out.print(markdown ? Report.markdownTable(head, rows) : Report.table(head, rows));
    out.printf(Locale.ROOT, "%n%d runs: median |error| %.1f %% (target <= %.0f %%), mean %.1f %%, worst %.1f %% (%s;"
        + " target <= %.0f %%)%n%n", s.results().size(), 100 * s.medianAbs(), 100 * MEDIAN_TARGET, 100 * s.meanAbs(),
        100 * s.worstAbs(), s.worst().run().id(), 100 * WORST_TARGET);
    List<String[]> mrows = new ArrayList<>();
    for (Validation.MemoryCheck c : mem) {
      mrows.add(new String[] {c.id(), c.mode(), String.format(Locale.ROOT, "%.2f", c.referenceGiB()),
          String.format(Locale.ROOT, "%.2f", c.predictedGiB()), String.format(Locale.ROOT, "%+.1f %%", 100 * c.error())});
    }
    String[] mh = {"activation memory", "mode", "Korthikanti GiB", "predicted GiB", "error"};
    out.print(markdown ? Report.markdownTable(mh, mrows) : Report.table(mh, mrows));
    out.printf(Locale.ROOT, "%nactivation memory: worst |error| %.1f %% (target <= %.0f %%)%n", 100 * memWorst,
        100 * MEMORY_TARGET);
    out.println(ok ? "all targets met" : "TARGETS MISSED");
    out.flush();
    return ok ? Main.OK : Main.FAILED;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v);
  }
}
