// `sinter bench train`: steady-state training throughput of a preset — step time, tokens/s and MFU
// after warm-up, as the median of several steps.
package dev.sinter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.StepStats;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Measures training steps of a preset on synthetic data. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Steady-state training step time, tokens/s and MFU of a preset (median after warm-up).")
public final class BenchTrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", required = true, description = "Preset to train (e.g. gpt2-124m, llama-60m).")
  String preset;

  @Option(names = "--batch", description = "Sequences per step (default: the preset's).")
  Integer batch;

  @Option(names = "--seq", description = "Tokens per sequence (default: the preset's).")
  Integer seq;

  @Option(names = "--threads", defaultValue = "0", description = "Threads, 0 = all cores.")
  int threads;

  @Option(names = "--warmup", defaultValue = "2", description = "Steps to discard (JIT warm-up).")
  int warmup;

  @Option(names = "--steps", defaultValue = "5", description = "Measured steps.")
  int steps;

  @Option(names = "--recompute", description = "Recompute activations in backward (reports HFU too).")
  boolean recompute;

  @Option(names = "--kernels", defaultValue = "auto", description = "auto | vector | scalar.")
  String kernels;

  @Option(names = "--peak-gflops", description = "Peak GFLOP/s for MFU instead of measuring it.")
  Double peakGflops;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (warmup < 0 || steps < 1) {
      throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1");
    }
    List<String> sets = new ArrayList<>(List.of(
        "train.steps=" + (warmup + steps), "train.threads=" + threads, "train.recompute=" + recompute,
        "train.kernels=\"" + kernels + "\"", "data.source=\"synthetic\"", "optim.warmup_steps=0"));
    if (batch != null) {
      sets.add("train.batch_size=" + batch);
    }
    if (seq != null) {
      sets.add("train.seq_len=" + seq);
    }
    TrainConfig cfg = ConfigLoader.load(preset, null, sets);
    double peak = Peak.resolve(peakGflops == null ? 0 : peakGflops, threads, json ? null : out);
    double[] ms;
    double[] tps;
    double[] mfu;
    double[] hfu;
    long params;
    long actBytes;
    long stateBytes;
    int usedThreads;
    double setupMs;
    long setupStart = System.nanoTime();
    try (Trainer t = new Trainer(cfg, peak * 1e9)) {
      setupMs = (System.nanoTime() - setupStart) / 1e6;
      for (int i = 0; i < warmup; i++) {
        t.trainStep();
      }
      ms = new double[steps];
      tps = new double[steps];
      mfu = new double[steps];
      hfu = new double[steps];
      for (int i = 0; i < steps; i++) {
        StepStats s = t.trainStep();
        ms[i] = s.stepMs();
        tps[i] = s.tokensPerS();
        mfu[i] = s.mfu();
        hfu[i] = s.hfu();
      }
      params = t.model().layout().size();
      actBytes = t.model().activationBytes();
      stateBytes = t.stateBytes();
      usedThreads = t.threads();
    }
    double firstProbe = peak;
    Double secondProbe = null;
    if (peakGflops == null) {
      // Judge the steps against the higher of a probe before and one after them (see Peak).
      secondProbe = Peak.remeasure(threads);
      if (secondProbe > peak) {
        for (int i = 0; i < steps; i++) {
          mfu[i] *= peak / secondProbe;
          hfu[i] *= peak / secondProbe;
        }
        peak = secondProbe;
      }
      if (!json) {
        out.printf("peak re-measured after the steps: %.1f GFLOP/s; MFU is against %.1f, the higher probe%n",
            secondProbe, peak);
      }
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("preset", preset);
    r.put("batch", cfg.train().batchSize());
    r.put("seq", cfg.train().seqLen());
    r.put("threads", usedThreads);
    r.put("recompute", recompute);
    r.put("step_ms", median(ms));
    r.put("tokens_per_s", median(tps));
    r.put("mfu", median(mfu));
    r.put("hfu", median(hfu));
    r.put("peak_gflops", peak);
    r.put("peak_gflops_probes", secondProbe == null ? List.of(firstProbe) : List.of(firstProbe, secondProbe));
    r.put("params", params);
    r.put("state_bytes", stateBytes);
    r.put("activation_bytes", actBytes);
    r.put("setup_ms", setupMs);
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(r));
    } else {
      out.printf("%s  batch %d x %d, %d thread(s)%s: step %.0f ms (median of %d), %.1f tokens/s, MFU %.1f%%%s%n",
          preset, cfg.train().batchSize(), cfg.train().seqLen(), usedThreads, recompute ? ", recompute" : "",
          median(ms), steps, median(tps), 100 * median(mfu), recompute ? String.format(", HFU %.1f%%", 100 * median(hfu)) : "");
      out.printf("memory: %d params x %.4g B = %.1f MB training state; activations %.1f MB%n", params,
          stateBytes / (double) params, stateBytes / 1e6, actBytes / 1e6);
      out.printf("setup: %.0f ms to build the trainer (allocate and initialise the model, data and optimizer)%n",
          setupMs);
    }
    out.flush();
    return Main.OK;
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }
}
