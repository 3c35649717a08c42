// `sinter plan list`: the hardware catalog (with the status of each chip's peak and power) and the
// model presets (with total and active parameters).
package dev.sinter.cli;

import dev.sinter.planner.Chip;
import dev.sinter.planner.Figure;
import dev.sinter.planner.HardwareCatalog;
import dev.sinter.planner.ModelCatalog;
import dev.sinter.planner.ModelShape;
import dev.sinter.planner.ModelSpec;
import dev.sinter.planner.Report;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Lists chips and model presets. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the chips and model presets.")
public final class PlanListCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<String[]> rows = new ArrayList<>();
    for (Chip c : HardwareCatalog.builtIn().chips()) {
      rows.add(new String[] {c.id(), String.join(",", c.aliases()), fig(c, c.supports(dev.sinter.planner.Precision.BF16)
          ? "bf16_tflops" : "fp32_tflops"), fig(c, "hbm_gb"), String.valueOf(c.upDomain()), fig(c, "tdp_w"),
          fig(c, "allin_w")});
    }
    out.print(Report.table(new String[] {"chip", "aliases", "peak TFLOP/s", "memory GB", "scale-up domain",
        "TDP W", "all-in W"}, rows));
    out.println();
    List<String[]> models = new ArrayList<>();
    for (String name : ModelCatalog.presets()) {
      ModelSpec m = ModelCatalog.load(name);
      ModelShape s = new ModelShape(m);
      models.add(new String[] {name, Report.count(s.totalParams), Report.count(s.activeParams),
          String.valueOf(m.seqLen()), m.tokens() > 0 ? Report.count(m.tokens()) : "-"});
    }
    out.print(Report.table(new String[] {"model preset", "params", "active", "seq", "tokens"}, models));
    out.println("Engine presets (debug, gpt2-124m, llama-60m, llama-tiny) and TOML model files work as --model too.");
    out.flush();
    return Main.OK;
  }

  private static String fig(Chip c, String field) {
    Figure f = c.figure(field);
    return f == null || !f.known() ? "n/a" : Report.figure(f) + " " + f.status();
  }
}
