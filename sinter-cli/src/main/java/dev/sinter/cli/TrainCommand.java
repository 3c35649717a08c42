// `sinter train`: one training run from a preset, a file and overrides, with a live progress line
// and optional JSONL metrics.
package dev.sinter.cli;

import dev.sinter.telemetry.MetricsLog;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.StepStats;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a model. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model (defaults: the debug preset on synthetic data).")
public final class TrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file.")
  Path config;

  @Option(names = "--preset", paramLabel = "NAME",
      description = "Built-in preset: debug, llama-tiny, llama-60m, gpt2-124m.")
  String preset;

  @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE", description = "Override one key (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--steps", description = "Optimizer steps (train.steps).")
  Integer steps;

  @Option(names = "--threads", description = "Kernel threads, 0 = all cores (train.threads).")
  Integer threads;

  @Option(names = "--data", paramLabel = "FILE|synthetic", description = "Token source (data.source).")
  String data;

  @Option(names = "--kernels", paramLabel = "auto|vector|scalar", description = "Kernel implementation.")
  String kernels;

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Write per-step metrics as JSONL.")
  Path metricsOut;

  @Option(names = "--peak-gflops", description = "Peak GFLOP/s for MFU instead of measuring the machine.")
  Double peakGflops;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<String> all = new ArrayList<>(sets);
    if (steps != null) {
      all.add("train.steps=" + steps);
    }
    if (threads != null) {
      all.add("train.threads=" + threads);
    }
    if (data != null) {
      all.add("data.source=\"" + data.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }
    if (kernels != null) {
      all.add("train.kernels=\"" + kernels + "\"");
    }
    if (metricsOut != null) {
      all.add("log.metrics_out=\"" + metricsOut.toString().replace("\\", "\\\\") + "\"");
    }
    if (peakGflops != null) {
      all.add("log.peak_gflops=" + peakGflops);
    }
    TrainConfig cfg = ConfigLoader.load(preset == null && config == null ? "debug" : preset, config, all);
    double peak = Peak.resolve(cfg.log().peakGflops(), cfg.train().threads(), out);
    try (Trainer trainer = new Trainer(cfg, peak * 1e9);
         MetricsLog metrics = cfg.log().metricsOut().isEmpty() ? null : new MetricsLog(Path.of(cfg.log().metricsOut()))) {
      describe(trainer, peak, out);
      StepStats last = runLoop(trainer, out, metrics);
      out.printf("activations: %.1f MB high-water%n", trainer.model().activationBytes() / 1e6);
      if (last != null && !Double.isFinite(last.loss())) {
        out.println("error: the loss is not finite; lower optim.lr or check the data");
        return Main.FAILED;
      }
    }
    return Main.OK;
  }

  /** Prints the run's model, data, kernels and FLOPs figures. */
  static void describe(Trainer trainer, double peak, PrintWriter out) {
    TrainConfig cfg = trainer.config();
        long params = trainer.model().layout().size();
    out.printf("model: %s %d layers, dim %d, %d params (%.1f MB of fp32 training state at %d B/param)%n",
        cfg.model().norm() + "/" + cfg.model().mlp() + "/" + cfg.model().position(), cfg.model().layers(),
        cfg.model().dim(), params, params * (double) Trainer.stateBytesPerParameter() / 1e6,
        Trainer.stateBytesPerParameter());
    out.printf("data: %s; batch %d x %d tokens x %d accumulation; %d steps; kernels %s on %d thread(s)%n",
        trainer.data().describe(), cfg.train().batchSize(), cfg.train().seqLen(), cfg.train().gradAccum(),
        cfg.train().steps(), trainer.model().kernels().name(), trainer.threads());
    out.printf("FLOPs/token %.3g (6N + 12LHQT); peak %.1f GFLOP/s%n", trainer.modelFlopsPerToken(), peak);
    out.flush();
  }

  /**
   * Runs every step of {@code trainer}'s configuration with the live progress line, validation
   * every {@code data.val_every} steps and JSONL rows to {@code metrics} (may be null).
   *
   * @return the last step's statistics
   */
  static StepStats runLoop(Trainer trainer, PrintWriter out, MetricsLog metrics) {
    TrainConfig cfg = trainer.config();
    Progress progress = new Progress(out, cfg.train().steps(), cfg.train().recompute());
    StepStats last = null;
    int valEvery = cfg.data().valEvery();
    for (int s = 0; s < cfg.train().steps(); s++) {
      last = trainer.trainStep();
      boolean lastStep = last.step() == cfg.train().steps();
      java.util.Map<String, Object> row = last.toMap();
      if (trainer.hasValidation() && (last.step() % valEvery == 0 || lastStep)) {
        double val = trainer.validate();
        progress.validation(val);
        row.put("val_loss", val);
      }
      if (metrics != null) {
        metrics.write(row);
      }
      if (last.step() % cfg.log().every() == 0 || lastStep) {
        progress.update(last);
      }
    }
    progress.finish();
    return last;
  }
}
