// `sinter bench`: the machine's peak, kernel throughput and training throughput, each as a table or
// as JSON, so every figure in docs/benchmarks.md can be reproduced with one command.
package dev.sinter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.bench.FmaPeak;
import dev.sinter.tensor.bench.KernelBench;
import dev.sinter.tensor.bench.OpenBlas;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Benchmarks. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure the machine and the engine.",
    subcommands = {BenchCommand.PeakCommand.class, BenchCommand.KernelsCommand.class, BenchTrainCommand.class,
        BenchCommand.OpsCommand.class, BenchCommand.AttentionCommand.class, BenchGenerateCommand.class,
        BenchCheckpointCommand.class, BenchCommCommand.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fp32 FMA peak, per core and with all cores. */
  @Command(name = "peak", mixinStandardHelpOptions = true, description = "Measure the fp32 FMA peak (GFLOP/s).")
  static final class PeakCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--threads", defaultValue = "0", description = "Threads for the all-core figure, 0 = all cores.")
    int threads;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      int n = ThreadPool.resolveThreads(threads);
      FmaPeak.Result r;
      try (ThreadPool pool = new ThreadPool(n)) {
        r = FmaPeak.measure(pool, 1.5, 7);
      }
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "fma_peak");
        m.put("vector_bits", r.speciesBits());
        m.put("threads", r.threads());
        m.put("per_core_gflops", r.perCoreGflops());
        m.put("all_core_gflops", r.allCoreGflops());
        m.put("contended", r.contended());
        out.println(JSON.writeValueAsString(m));
      } else {
        out.printf("fp32 FMA peak (%d-bit vectors): %.1f GFLOP/s per core, %.1f GFLOP/s on %d thread(s)%n",
            r.speciesBits(), r.perCoreGflops(), r.allCoreGflops(), r.threads());
        r.noteContention(out::println);
      }
      return Main.OK;
    }
  }

  /** Matmul GFLOP/s at transformer shapes, beside OpenBLAS when the system has it. */
  @Command(name = "kernels", mixinStandardHelpOptions = true,
      description = "Matmul GFLOP/s of the three training forms, as a fraction of the measured peak,"
          + " with OpenBLAS (via the FFM API) side by side where it is installed.")
  static final class KernelsCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--threads", split = ",", description = "Thread counts (default: 1 and all cores).")
    int[] threads;

    @Option(names = "--rounds", defaultValue = "7", description = "Timed rounds per shape (best and median reported).")
    int rounds;

    @Option(names = "--no-openblas", description = "Skip the OpenBLAS baseline.")
    boolean noOpenBlas;

    @Option(names = "--json", description = "Print one JSON object per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      int all = Runtime.getRuntime().availableProcessors();
      int[] counts = threads != null ? threads : all == 1 ? new int[] {1} : new int[] {1, all};
      int maxThreads = 1;
      for (int c : counts) {
        if (c < 1) {
          throw new IllegalArgumentException("--threads: every count must be >= 1, got " + c);
        }
        maxThreads = Math.max(maxThreads, c);
      }
      FmaPeak.Result peak;
      try (ThreadPool pool = new ThreadPool(maxThreads)) {
        peak = FmaPeak.measure(pool, 1.5, 7);
      }
      Optional<OpenBlas> blas = noOpenBlas ? Optional.empty() : OpenBlas.load();
      if (!json) {
        out.printf("peak: %.1f GFLOP/s per core, %.1f on %d threads; OpenBLAS: %s%n", peak.perCoreGflops(),
            peak.allCoreGflops(), peak.threads(), blas.map(OpenBlas::path).orElse("not installed"));
        peak.noteContention(out::println);
        out.flush();
      }
      List<KernelBench.Row> rows = new ArrayList<>();
      KernelBench.run(KernelBench.trainingShapes(), counts, peak, blas, rounds, 1.0, row -> {
        rows.add(row);
        if (json) {
          out.println(toJson(row));
          out.flush();
        }
      });
      if (!json) {
        out.print(KernelBench.table(rows));
      }
      out.flush();
      return Main.OK;
    }

    private static String toJson(KernelBench.Row r) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("op", r.op());
      m.put("form", r.form());
      m.put("shape", r.shape());
      m.put("m", r.m());
      m.put("n", r.n());
      m.put("k", r.k());
      m.put("threads", r.threads());
      m.put("gflops", r.gflops());
      m.put("gflops_median", r.gflopsMedian());
      m.put("peak_gflops", r.peakGflops());
      m.put("openblas_gflops", r.openblasGflops());
      m.put("openblas_gflops_median", r.openblasGflopsMedian());
      m.put("openblas_paired_ratio_median", r.pairedRatioMedian());
      try {
        return JSON.writeValueAsString(m);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The non-matmul kernels (norms, activations, RoPE, loss, AdamW) at GPT-2 small shapes. */
  @Command(name = "ops", mixinStandardHelpOptions = true,
      description = "GB/s of the elementwise, normalisation, loss and optimizer kernels, vector vs scalar.")
  static final class OpsCommand implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "0", description = "Threads, 0 = all cores.")
    int threads;

    @Override
    public Integer call() {
      int n = ThreadPool.resolveThreads(threads);
      dev.sinter.tensor.bench.OpsBench.main(new String[] {Integer.toString(n)});
      return Main.OK;
    }
  }

  /** Causal attention forward and backward at GPT-2 small and Llama shapes. */
  @Command(name = "attention", mixinStandardHelpOptions = true,
      description = "GFLOP/s of causal attention forward and backward (causal FLOPs counted).")
  static final class AttentionCommand implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "0", description = "Threads, 0 = all cores.")
    int threads;

    @Option(names = "--repeats", defaultValue = "20", description = "Timed repeats (median and best reported).")
    int repeats;

    @Override
    public Integer call() {
      int n = ThreadPool.resolveThreads(threads);
      dev.sinter.tensor.bench.AttentionBench.main(new String[] {Integer.toString(n), Integer.toString(repeats)});
      return Main.OK;
    }
  }
}
