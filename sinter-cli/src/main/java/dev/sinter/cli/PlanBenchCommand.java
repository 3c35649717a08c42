// `sinter plan bench`: search speed — candidate layouts evaluated per second (the figure quoted in
// docs/benchmarks.md). Runs the full search several times after warm-up.
package dev.sinter.cli;

import dev.sinter.planner.Cluster;
import dev.sinter.planner.Job;
import dev.sinter.planner.ModelSpec;
import dev.sinter.planner.Planner;
import dev.sinter.planner.Search;
import dev.sinter.planner.bench.SearchBench;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Search-speed benchmark. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Time the layout search: candidates evaluated per second (cold, best, median).")
public final class PlanBenchCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", defaultValue = "deepseek-v4-pro-1.6t", description = "Model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--cluster", defaultValue = "h100:1024", description = "CHIP:COUNT (default: ${DEFAULT-VALUE}).")
  String cluster;

  @Option(names = "--rounds", defaultValue = "5", description = "Timed searches after warm-up.")
  int rounds;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    }
    PrintWriter out = spec.commandLine().getOut();
    Planner p = Planner.builtIn();
    ModelSpec m = PlanCommand.loadModel(model);
    Cluster c = Cluster.parse(cluster, p.hardware());
    Job job = p.job(m, c, 0, 0);
    SearchBench.Result r = SearchBench.measure(job, Search.Options.defaults(PlanCommand.defaultPrecision(c),
        m.globalBatch()), rounds);
    if (json) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("model", m.name());
      j.put("cluster", c.label());
      j.put("candidates", r.candidates());
      j.put("feasible", r.feasible());
      j.put("cold_s", r.coldS());
      j.put("best_s", r.bestS());
      j.put("median_s", r.medianS());
      j.put("candidates_per_s", r.perSecond());
      j.put("threads", 1);
      out.println(PlanCommand.JSON.writeValueAsString(j));
    } else {
      out.printf(java.util.Locale.ROOT, "%s on %s: %,d candidate layouts (%,d fit) per search; cold %.3f s, best"
          + " %.3f s, median %.3f s over %d rounds = %,.0f candidates/s (one thread)%n", m.name(), c.label(),
          r.candidates(), r.feasible(), r.coldS(), r.bestS(), r.medianS(), rounds, r.perSecond());
    }
    out.flush();
    return Main.OK;
  }

}
