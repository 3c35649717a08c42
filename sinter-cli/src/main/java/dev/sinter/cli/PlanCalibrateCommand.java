// `sinter plan calibrate`: fits the planner's "local" chip and "local-cpu" efficiency profile from
// measurements of this machine's kernels (PlanMeasure), writes them as catalog files, predicts the
// step time of engine presets with the same cost model used for clusters, and with --measure runs
// real training steps of those presets inside every kernel pass, so that prediction and measurement
// are sampled at the same moments of a shared, noisy machine.
package dev.sinter.cli;

import dev.sinter.planner.Calibration;
import dev.sinter.planner.Cluster;
import dev.sinter.planner.Efficiency;
import dev.sinter.planner.Estimate;
import dev.sinter.planner.HardwareCatalog;
import dev.sinter.planner.Job;
import dev.sinter.planner.Layout;
import dev.sinter.planner.ModelSpec;
import dev.sinter.planner.Planner;
import dev.sinter.planner.Precision;
import dev.sinter.planner.Report;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Local calibration of the planner. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
    description = {"Measure this machine's kernels, fit the planner's local chip and efficiency profile, write them,"
        + " and predict (and with --measure, run) training steps of engine presets.",
        "Then: sinter plan --model llama-tiny --cluster local:1 --hardware-file DIR/local-chip.tsv"
            + " --efficiency-file DIR/local-cpu.toml --layout precision=fp32"})
public final class PlanCalibrateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
  int threads;

  @Option(names = "--out", defaultValue = "runs/calibration", description = "Directory for local-chip.tsv and"
      + " local-cpu.toml (default: ${DEFAULT-VALUE}).")
  Path outDir;

  @Option(names = "--check", split = ",", defaultValue = "llama-tiny", description = "Engine presets to predict"
      + " (default: ${DEFAULT-VALUE}).")
  List<String> presets;

  @Option(names = "--measure", description = "Also run real training steps of each preset, interleaved with the"
      + " kernel passes, and compare.")
  boolean measure;

  @Option(names = "--steps", defaultValue = "2", description = "Training steps of each preset per pass (after 2"
      + " warm-up steps; default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--stat", defaultValue = "median", description = "median | best: the statistic of every"
      + " timing, kernels and training steps alike (median = what a run on a shared machine sees; best = the"
      + " machine's capability while co-tenants come and go; default: ${DEFAULT-VALUE}).")
  String stat;

  @Option(names = "--passes", defaultValue = "4", description = "Passes over the kernel probes (each followed, with"
      + " --measure, by training steps of every preset; default: ${DEFAULT-VALUE}).")
  int passes;

  @Option(names = "--json", description = "Print one JSON object at the end.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (steps < 1 || passes < 1) {
      throw new IllegalArgumentException("--steps and --passes must be >= 1");
    }
    if (!stat.equals("best") && !stat.equals("median")) {
      throw new IllegalArgumentException("--stat must be best or median, got \"" + stat + "\"");
    }
    boolean best = stat.equals("best");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter log = json ? new PrintWriter(java.io.Writer.nullWriter()) : out;
    int n = ThreadPool.resolveThreads(threads);
    log.printf(Locale.ROOT, "load average at start: %s (%s of every timing)%n", PlanMeasure.load(), stat);
    // With --measure, the presets' training steps run inside every kernel pass, so that kernels and
    // training see the same co-tenants; the trainers are built (and warmed up) first.
    List<Trainer> trainers = new ArrayList<>();
    List<java.util.function.DoubleSupplier> paired = new ArrayList<>();
    List<List<Double>> stepTimes = new ArrayList<>();
    Map<String, ModelSpec> specs = new LinkedHashMap<>();
    Calibration.Measurements m;
    try {
      if (measure) {
        for (String preset : presets) {
          Trainer t = PlanMeasure.trainer(preset, n, 2,
              specs.computeIfAbsent(preset, PlanCommand::loadModel).recompute());
          trainers.add(t);
          paired.add(() -> t.trainStep().stepMs() / 1e3);
          stepTimes.add(new ArrayList<>());
        }
      }
      m = PlanMeasure.measure(n, best, passes, paired, steps, stepTimes, log);
    } finally {
      for (Trainer t : trainers) {
        t.close();
      }
    }
    Calibration.Fit fit = Calibration.fit(m);
    String command = "sinter plan calibrate --threads " + n + " --stat " + stat + " --passes " + passes;
    Map<String, Efficiency> builtIn = Efficiency.builtIn();
    Efficiency template = builtIn.get("accelerator");
    String chipTsv = Calibration.chipTsv(m, command);
    String toml = Calibration.profileToml(m, fit, template, command);
    Files.createDirectories(outDir);
    Path chipFile = outDir.resolve("local-chip.tsv");
    Path profFile = outDir.resolve("local-cpu.toml");
    Files.writeString(chipFile, chipTsv);
    Files.writeString(profFile, toml);
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("command", command);
    raw.put("load_average_at_start", PlanMeasure.load());
    raw.put("measurements", m);
    raw.put("fit", fit);
    Files.writeString(outDir.resolve("measurements.json"), PlanCommand.JSON.writeValueAsString(raw));
    log.printf(Locale.ROOT, "fit: matmul gemm_max %.3f, launch %.1f us (r^2 %.3f); attention %.3f of peak%n",
        fit.gemmMax(), fit.gemmLaunchS() * 1e6, fit.r2(), fit.flashEff());
    log.println("wrote " + chipFile + ", " + profFile + " and measurements.json");
    HardwareCatalog hw = HardwareCatalog.builtIn().addText(chipTsv, chipFile.toString());
    Map<String, Efficiency> prof = new LinkedHashMap<>(builtIn);
    prof.putAll(Efficiency.parse(toml, profFile.toString()));
    Planner planner = new Planner(hw, prof);
    List<Map<String, Object>> checks = new ArrayList<>();
    for (String preset : presets) {
      ModelSpec spec0 = specs.computeIfAbsent(preset, PlanCommand::loadModel);
      Job job = planner.job(spec0, new Cluster(hw.get("local"), 1), 0, 0);
      Layout l = Layout.parse("", 1, new Layout.Defaults(spec0.globalBatch(), spec0.microBatch(),
          spec0.recompute() ? Layout.Recompute.FULL : Layout.Recompute.NONE, Precision.FP32));
      Estimate e = planner.plan(job, l, dev.sinter.planner.Goodput.defaults(),
          dev.sinter.planner.RunTotals.PowerBasis.TDP, 1).estimate();
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("preset", preset);
      c.put("batch", l.microBatch());
      c.put("seq", job.seqLen());
      c.put("threads", n);
      c.put("predicted_step_s", e.stepS());
      c.put("predicted_breakdown", Report.breakdown(e));
      log.printf(Locale.ROOT, "%s (%d x %d, %d thread(s)): predicted %.3f s/step = %s%n", preset, l.microBatch(),
          job.seqLen(), n, e.stepS(), Report.breakdown(e));
      if (measure) {
        List<Double> st = stepTimes.get(presets.indexOf(preset));
        double[] sorted = st.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double fastest = sorted[0];
        double median = sorted[sorted.length / 2];
        double meas = best ? fastest : median;
        c.put("measured_step_s", st);
        c.put("measured_fastest_s", fastest);
        c.put("measured_median_s", median);
        c.put("statistic", stat);
        c.put("error", e.stepS() / meas - 1);
        c.put("error_vs_median", e.stepS() / median - 1);
        log.printf(Locale.ROOT, "  measured %d steps in %d passes: fastest %.3f s, median %.3f s%n", sorted.length,
            passes, fastest, median);
        log.printf(Locale.ROOT, "  predicted %.3f s vs measured %.3f s (%s): %+.1f %% (vs the median: %+.1f %%)%n",
            e.stepS(), meas, best ? "fastest step" : "median step", 100 * (e.stepS() / meas - 1),
            100 * (e.stepS() / median - 1));
      }
      checks.add(c);
      log.flush();
    }
    if (json) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("threads", n);
      j.put("peak_flops", m.peakFlops());
      j.put("stream_bytes_per_s", m.streamBytesPerS());
      j.put("gemm_max", fit.gemmMax());
      j.put("gemm_launch_s", fit.gemmLaunchS());
      j.put("gemm_fit_r2", fit.r2());
      j.put("flash_eff", fit.flashEff());
      j.put("chip_file", chipFile.toString());
      j.put("profile_file", profFile.toString());
      j.put("checks", checks);
      out.println(PlanCommand.JSON.writeValueAsString(j));
    }
    out.flush();
    return Main.OK;
  }
}
