// Search speed: how many candidate layouts the planner evaluates per second. Runs the full search
// of a model on a cluster several times after a warm-up and reports candidates, best and median
// time. The figure in docs/benchmarks.md comes from `sinter plan bench` (which calls this).
//
// Usage: java -cp <planner classpath> dev.sinter.planner.bench.SearchBench [model] [CHIP:COUNT] [rounds]
package dev.sinter.planner.bench;

import dev.sinter.planner.Cluster;
import dev.sinter.planner.Job;
import dev.sinter.planner.ModelCatalog;
import dev.sinter.planner.ModelSpec;
import dev.sinter.planner.Planner;
import dev.sinter.planner.Precision;
import dev.sinter.planner.Search;
import java.util.Arrays;
import java.util.Locale;

/** Benchmark of the layout search. */
public final class SearchBench {
  private SearchBench() {}

  /**
   * The outcome.
   *
   * @param candidates layouts per search
   * @param feasible   of which fit
   * @param coldS      the first search (JIT cold)
   * @param bestS      fastest search after warm-up
   * @param medianS    median search after warm-up
   */
  public record Result(long candidates, long feasible, double coldS, double bestS, double medianS) {
    /** Candidates per second at the median. */
    public double perSecond() {
      return candidates / medianS;
    }
  }

  /** Times {@code rounds} searches after one cold and two warm-up searches. */
  public static Result measure(Job job, Search.Options o, int rounds) {
    Search.Result cold = Search.run(job, o);
    Search.run(job, o);
    Search.run(job, o);
    double[] t = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      t[i] = Search.run(job, o).elapsedS();
    }
    Arrays.sort(t);
    return new Result(cold.candidates(), cold.feasible(), cold.elapsedS(), t[0], t[rounds / 2]);
  }

  /** Prints one line for the given model and cluster (defaults: the 1.6T MoE on 1,024 H100). */
  public static void main(String[] args) {
    String model = args.length > 0 ? args[0] : "deepseek-v4-pro-1.6t";
    String cluster = args.length > 1 ? args[1] : "h100:1024";
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Planner p = Planner.builtIn();
    ModelSpec m = ModelCatalog.load(model);
    Job job = p.job(m, Cluster.parse(cluster, p.hardware()), 0, 0);
    Result r = measure(job, Search.Options.defaults(Precision.BF16, m.globalBatch()), rounds);
    System.out.printf(Locale.ROOT, "%s on %s: %,d candidates (%,d fit); cold %.3f s, best %.3f s, median %.3f s"
        + " = %,.0f candidates/s%n", model, cluster, r.candidates(), r.feasible(), r.coldS(), r.bestS(), r.medianS(),
        r.perSecond());
  }
}
