// `sinter train`: one training run from a preset, a file and overrides, with a live progress line
// and optional JSONL metrics.
package dev.sinter.cli;

import dev.sinter.comm.Communicator;
import dev.sinter.model.ConfigException;
import dev.sinter.model.ModelConfig;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainingRun;
import dev.sinter.train.checkpoint.CheckpointLoader;
import dev.sinter.train.StepStats;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
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

  @Option(names = "--out", paramLabel = "DIR",
      description = "Run directory: checkpoints/, run.json, metrics.jsonl, report.html (log.out; default runs/train-<time>).")
  Path out;

  @Option(names = "--resume", paramLabel = "DIR|latest",
      description = "Continue from a checkpoint directory, a run directory's newest good checkpoint, or 'latest' of --out.")
  String resume;

  @Option(names = "--init-from", paramLabel = "DIR",
      description = "Start from the weights of a Hugging Face Llama/GPT-2 safetensors directory (model keys from its config.json).")
  Path initFrom;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String> all = overrides();
    Map<String, Object> tree;
    CheckpointLoader.Verified resumed = null;
    if (resume != null) {
      if (preset != null || config != null || initFrom != null) {
        throw new ConfigException("--resume", "a resumed run takes its configuration from the checkpoint;"
            + " use --set (and --steps) to change keys, not --preset, --config or --init-from");
      }
      Path where = resume.equals("latest") ? latestRoot(all) : Path.of(resume);
      resumed = CheckpointLoader.resolve(where, w -> err.println("warning: " + w));
      tree = ConfigLoader.withOverrides(resumed.config(), all);
    } else {
      if (initFrom != null) {
        all.addAll(0, modelKeys(CheckpointLoader.modelConfig(initFrom)));
      }
      tree = ConfigLoader.resolve(preset == null && config == null ? "debug" : preset, config, all);
    }
    TrainConfig cfg = ConfigLoader.fromTree(tree, List.of());
    int localRanks = Distributed.localWorldSize(System.getenv());
    if (cfg.train().threads() == 0 && localRanks > 1) {
      // Ranks sharing a machine share its cores; all of them on every rank would oversubscribe it.
      tree = ConfigLoader.withOverrides(tree, List.of("train.threads="
          + Math.max(1, Runtime.getRuntime().availableProcessors() / localRanks)));
      cfg = ConfigLoader.fromTree(tree, List.of());
    }
    try (Communicator comm = Distributed.join(System.getenv(), cfg.parallel().timeoutS(), err)) {
      boolean lead = comm == null || comm.rank() == 0;
      PrintWriter shown = lead ? o : new PrintWriter(java.io.Writer.nullWriter());
      Path dir = runDirectory(cfg, resumed);
      double peak = Peak.resolve(cfg.log().peakGflops(), cfg.train().threads(), shown);
      TrainingRun.Options opts = new TrainingRun.Options(dir, resumed, initFrom, commandLine(), peak,
          cfg.log().peakGflops() > 0 ? "configured" : "measured", comm);
      ConsoleListener console = new ConsoleListener(shown, err, peak, cfg);
      TrainingRun.Result r = TrainingRun.run(cfg, tree, opts, console);
      console.finish();
      try (Trainer trainer = r.trainer()) {
        shown.printf("activations: %.1f MB high-water%n", trainer.model().activationBytes() / 1e6);
        if (lead) {
          ReportCommand.render(r.record(), o);
        }
        shown.println("run: " + dir.toAbsolutePath() + " (" + r.status() + ")");
        shown.flush();
        if (r.last() != null && !Double.isFinite(r.last().loss())) {
          err.println("error: the loss is not finite; lower optim.lr or check the data");
          return Main.FAILED;
        }
      }
      return r.status().equals("completed") ? Main.OK : Main.FAILED;
    }
  }

  /** The flag shorthands as --set assignments, before the explicit --set ones. */
  private List<String> overrides() {
    List<String> all = new ArrayList<>();
    if (steps != null) {
      all.add("train.steps=" + steps);
    }
    if (threads != null) {
      all.add("train.threads=" + threads);
    }
    if (data != null) {
      all.add("data.source=" + toml(data));
    }
    if (kernels != null) {
      all.add("train.kernels=" + toml(kernels));
    }
    if (metricsOut != null) {
      all.add("log.metrics_out=" + toml(metricsOut.toString()));
    }
    if (peakGflops != null) {
      all.add("log.peak_gflops=" + peakGflops);
    }
    if (out != null) {
      all.add("log.out=" + toml(out.toString()));
    }
    all.addAll(sets);
    return all;
  }

  static String toml(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Where 'latest' looks: the run directory given by --out or log.out. */
  private static Path latestRoot(List<String> overrides) {
    String dir = ConfigLoader.fromTree(Map.of(), overrides).log().out();
    if (dir.isEmpty()) {
      throw new ConfigException("--resume", "'latest' needs the run directory: add --out DIR (or give --resume DIR)");
    }
    return Path.of(dir);
  }

  /** log.out, else the run directory of the resumed checkpoint, else a new runs/train-<time>. */
  private static Path runDirectory(TrainConfig cfg, CheckpointLoader.Verified resumed) {
    if (!cfg.log().out().isEmpty()) {
      return Path.of(cfg.log().out());
    }
    if (resumed != null) {
      Path parent = resumed.dir().toAbsolutePath().getParent();
      if (parent != null && parent.getFileName().toString().equals("checkpoints") && parent.getParent() != null) {
        return parent.getParent();
      }
    }
    return freshRunDirectory("train");
  }

  /** runs/KIND-&lt;time&gt;, with a suffix when a run started in the same second already has it. */
  static Path freshRunDirectory(String kind) {
    Path base = Path.of("runs", kind + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Path p = base;
    for (int i = 2; java.nio.file.Files.exists(p); i++) {
      p = Path.of(base + "-" + i);
    }
    return p;
  }

  /** The model section of {@code m} as overrides, so an import's shape comes from its config.json. */
  static List<String> modelKeys(ModelConfig m) {
    return List.of("model.vocab_size=" + m.vocabSize(), "model.dim=" + m.dim(), "model.layers=" + m.layers(),
        "model.heads=" + m.heads(), "model.kv_heads=" + m.kvHeads(), "model.ffn_dim=" + m.ffnDim(),
        "model.max_seq_len=" + m.maxSeqLen(), "model.norm=" + toml(m.norm()), "model.mlp=" + toml(m.mlp()),
        "model.position=" + toml(m.position()), "model.bias=" + m.bias(), "model.tie_embeddings=" + m.tieEmbeddings(),
        "model.norm_eps=" + m.normEps(), "model.rope_theta=" + m.ropeTheta(), "model.init_std=" + m.initStd());
  }

  private String commandLine() {
    return "sinter " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
  }

  /** Console side of a run: the description, the live line, and event lines. */
  static final class ConsoleListener implements TrainingRun.Listener {
    private final PrintWriter out;
    private final PrintWriter err;
    private final double peak;
    private final Progress progress;
    private final TrainConfig cfg;

    ConsoleListener(PrintWriter out, PrintWriter err, double peak, TrainConfig cfg) {
      this.out = out;
      this.err = err;
      this.peak = peak;
      this.cfg = cfg;
      this.progress = new Progress(out, cfg.train().steps(), cfg.train().recompute());
    }

    @Override
    public void started(Trainer trainer) {
      describe(trainer, peak, out);
    }

    @Override
    public void step(StepStats s, double valLoss) {
      if (!Double.isNaN(valLoss)) {
        progress.validation(valLoss);
      }
      if (s.step() % cfg.log().every() == 0 || s.step() == cfg.train().steps()) {
        progress.update(s);
      }
    }

    @Override
    public void message(String line) {
      progress.interrupt();
      (line.startsWith("warning") ? err : out).println(line);
      out.flush();
    }

    void finish() {
      progress.finish();
    }
  }

  /** Prints the run's model, data, kernels and FLOPs figures. */
  static void describe(Trainer trainer, double peak, PrintWriter out) {
    TrainConfig cfg = trainer.config();
        long params = trainer.model().layout().size();
    out.printf("model: %s %d layers, dim %d, %d params (%.1f MB of fp32 training state at %.4g B/param on this rank)%n",
        cfg.model().norm() + "/" + cfg.model().mlp() + "/" + cfg.model().position(), cfg.model().layers(),
        cfg.model().dim(), params, trainer.stateBytes() / 1e6, trainer.stateBytesPerParameter());
    out.printf("data: %s; batch %d x %d tokens x %d accumulation; %d steps; kernels %s on %d thread(s)%n",
        trainer.data().describe(), cfg.train().batchSize(), cfg.train().seqLen(), cfg.train().gradAccum(),
        cfg.train().steps(), trainer.model().kernels().name(), trainer.threads());
    out.printf("FLOPs/token %.3g (6N + 12LHQT); peak %.1f GFLOP/s%n", trainer.modelFlopsPerToken(), peak);
    out.flush();
  }
}
