// One training run from start to record: builds the trainer (fresh, imported from a Hugging Face
// directory, or resumed from a checkpoint), runs the steps with validation, checkpoints and
// metrics, stops cleanly on SIGTERM / SIGINT (saving first), and leaves a run directory:
//
//   OUT/checkpoints/step-*/   OUT/checkpoints/latest   OUT/metrics.jsonl   OUT/run.json
//
// The console belongs to the caller (a Listener); everything that must outlive the process is
// written here.
package dev.sinter.train;

import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.model.ConfigException;
import dev.sinter.model.Transformer;
import dev.sinter.telemetry.EnergyMeter;
import dev.sinter.telemetry.MachineProbe;
import dev.sinter.telemetry.MemoryProbe;
import dev.sinter.telemetry.MetricsLog;
import dev.sinter.telemetry.PrometheusEndpoint;
import dev.sinter.train.checkpoint.CheckpointLoader;
import dev.sinter.train.checkpoint.CheckpointManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs a configured training job and writes its run directory. */
public final class TrainingRun {

  /** What the console (or a test) hears about. All methods default to doing nothing. */
  public interface Listener {
    /** The trainer is built and about to run its first step. */
    default void started(Trainer trainer) {}

    /** A step finished; {@code valLoss} is NaN when no validation ran after it. */
    default void step(StepStats s, double valLoss) {}

    /** A notable event worth one line (a checkpoint saved, a resume, a warning). */
    default void message(String line) {}
  }

  /**
   * Where and how to run.
   *
   * @param out        the run directory
   * @param resume     a verified checkpoint to continue from, or null
   * @param initFrom   a Hugging Face (or Sinter checkpoint) directory whose weights start the run, or null
   * @param command    the command line, for the record
   * @param peakGflops the peak MFU is measured against
   * @param peakSource "measured" or "configured"
   * @param comm       the data-parallel group this process is a rank of, or null for a single rank;
   *                   only rank 0 writes the run directory, the others train in step with it
   */
  public record Options(Path out, CheckpointLoader.Verified resume, Path initFrom, String command, double peakGflops,
      String peakSource, dev.sinter.comm.Communicator comm) {
    /** A single-rank run. */
    public Options(Path out, CheckpointLoader.Verified resume, Path initFrom, String command, double peakGflops,
        String peakSource) {
      this(out, resume, initFrom, command, peakGflops, peakSource, null);
    }
  }

  /** How a run ended. */
  public record Result(Trainer trainer, StepStats last, String status, Path record) {}

  /** A rank whose step is this much slower than the median is named in the log. */
  static final double STRAGGLER_FRACTION = 0.2;

  private TrainingRun() {}

  /**
   * Runs {@code cfg} (whose resolved tree is {@code tree}) to its last step, or until a stop
   * signal. The caller closes the returned trainer.
   */
  public static Result run(TrainConfig cfg, Map<String, Object> tree, Options o, Listener l) {
    Trainer trainer = new Trainer(cfg, o.peakGflops() * 1e9, null, o.comm());
    try {
      return run(trainer, tree, o, l);
    } catch (RuntimeException | Error e) {
      trainer.close();
      throw e;
    }
  }

  private static Result run(Trainer trainer, Map<String, Object> tree, Options o, Listener l) {
    TrainConfig cfg = trainer.config();
    Transformer model = trainer.model();
    Path out = o.out();
    boolean lead = trainer.rank() == 0;
    try {
      if (lead) {
        Files.createDirectories(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the run directory " + out + ": " + e.getMessage(), e);
    }
    RunRecord record = new RunRecord(out.getFileName().toString(), o.command(), tree);
    if (o.initFrom() != null) {
      CheckpointLoader.loadWeights(o.initFrom(), cfg.model(), model.layout(), model.params);
      l.message("weights: imported from " + o.initFrom());
      record.put("init_from", o.initFrom().toString());
    }
    if (o.resume() != null) {
      CheckpointLoader.Verified v = o.resume();
      restore(trainer, v);
      l.message("resumed from " + v.dir() + " at step " + v.step());
      record.put("resumed_from", Map.of("path", v.dir().toString(), "step", v.step()));
    }
    record.put("code", RunRecord.codeVersion());
    byte[] tokenizer = tokenizerBytes(trainer); // read once: hashed for the record, copied into checkpoints
    if (lead) {
      record.put("data", dataSection(trainer, tokenizer));
    }
    Map<String, Object> machine = new LinkedHashMap<>(MachineProbe.probe().toMap());
    machine.put("kernels", model.kernels().name());
    machine.put("threads", trainer.threads());
    machine.put("peak_gflops", o.peakGflops());
    machine.put("peak_source", o.peakSource());
    record.put("machine", machine);
    Map<String, Object> modelInfo = new LinkedHashMap<>();
    modelInfo.put("params", model.layout().size());
    modelInfo.put("flops_per_token", trainer.modelFlopsPerToken());
    modelInfo.put("formula", "6N + 12LHQT");
    record.put("model", modelInfo);

    Path recordFile = out.resolve("run.json");
    if (lead && o.resume() != null && Files.exists(recordFile)) {
      // The record of the segment before the resume stays, under the step it reached.
      try {
        Files.move(recordFile, out.resolve("run-to-step-" + o.resume().step() + ".json"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot keep the previous run record " + recordFile + ": " + e.getMessage(), e);
      }
    }
    Path metricsFile = cfg.log().metricsOut().isEmpty() ? out.resolve("metrics.jsonl") : Path.of(cfg.log().metricsOut());
    EnergyMeter energy = EnergyMeter.start(new EnergyMeter.Estimate(cfg.log().wattsPerCore(), trainer.threads(),
        "log.watts_per_core; default from AMD EPYC 7763: 280 W TDP / 64 cores"));
    MemoryProbe.resetHeapPeaks();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.set(true);
      try {
        // Give the loop time to finish its step and save; the JVM exits when this returns.
        stopped.await(10, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sinter-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    String status = "failed";
    StepStats last = null;
    try (MetricsLog metrics = lead ? new MetricsLog(metricsFile, o.resume() != null) : null;
         PrometheusEndpoint prom = lead ? prometheus(cfg.log().prometheus(), l) : null;
         CheckpointManager ckpt = lead ? new CheckpointManager(out.resolve("checkpoints"), cfg.checkpoint().keep(),
             cfg.checkpoint().async(), cfg.model(), model.layout(), tokenizer, bos(trainer),
             eos(trainer), l::message) : null) {
      l.started(trainer);
      int valEvery = cfg.data().valEvery();
      int every = cfg.checkpoint().every();
      int savedAt = -1;
      boolean stopping = false;
      while (trainer.step() < cfg.train().steps() && !(stopping = trainer.anyRankStops(stop.get()))) {
        last = trainer.trainStep();
        record.time("forward", last.forwardMs() / 1e3);
        record.time("backward", last.backwardMs() / 1e3);
        record.time("optimizer", last.optimizerMs() / 1e3);
        record.time("data", last.dataMs() / 1e3);
        record.time("communication", last.exposedCommMs() / 1e3);
        boolean lastStep = last.step() == cfg.train().steps();
        Map<String, Object> row = last.toMap();
        double val = Double.NaN;
        if (trainer.hasValidation() && (last.step() % valEvery == 0 || lastStep)) {
          long v0 = System.nanoTime();
          val = trainer.validate();
          record.time("validation", (System.nanoTime() - v0) / 1e9);
          row.put("val_loss", val);
        }
        if (metrics != null) {
          metrics.write(row);
        }
        record.step(row);
        if (prom != null) {
          prom.update(numbers(row));
        }
        l.step(last, val);
        int slow = last.straggler(STRAGGLER_FRACTION);
        if (slow >= 0 && lead) {
          l.message(String.format("straggler: rank %d took %.0f ms at step %d, more than %.0f%% above the median", slow,
              last.rankStepMs()[slow], last.step(), 100 * STRAGGLER_FRACTION));
        }
        if (every > 0 && last.step() % every == 0 && !lastStep) {
          save(trainer, ckpt, record, tree, l);
          savedAt = last.step();
          if (lead) {
            record.write(recordFile, "running");
          }
        }
      }
      boolean interrupted = stopping && trainer.step() < cfg.train().steps();
      if ((interrupted || cfg.checkpoint().atEnd()) && savedAt != trainer.step()) {
        save(trainer, ckpt, record, tree, l);
      }
      if (ckpt != null) {
        ckpt.close();
        for (CheckpointManager.Saved s : ckpt.saved()) {
          record.checkpoint(s.toMap());
        }
      }
      status = last != null && !Double.isFinite(last.loss()) ? "failed" : interrupted ? "interrupted" : "completed";
      if (interrupted) {
        l.message("stopped by a signal after step " + trainer.step() + "; resume with --resume " + out);
      }
    } finally {
      finish(record, trainer, energy, o.peakGflops() * 1e9);
      if (lead) {
        record.write(recordFile, status);
      }
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running and has just been released.
      }
    }
    return new Result(trainer, last, status, recordFile);
  }

  private static void save(Trainer trainer, CheckpointManager ckpt, RunRecord record, Map<String, Object> tree,
      Listener l) {
    Transformer model = trainer.model();
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("step", trainer.step());
    state.put("data_position", trainer.dataPosition());
    state.put("tokens_seen", trainer.step() * trainer.config().train().tokensPerStep());
    state.put("seed", trainer.config().train().seed());
    state.put("world_size", trainer.world());
    state.put("zero", trainer.config().parallel().zero());
    state.put("config", tree);
    float[][] moments = trainer.fullMoments(); // a collective under ZeRO: every rank takes part
    if (ckpt == null) {
      return;
    }
    double blocking = ckpt.save(trainer.step(), model.params, moments[0], moments[1], state);
    record.time("checkpoint", blocking / 1e3);
    l.message(String.format("checkpoint: step %d -> %s (training blocked %.0f ms)", trainer.step(),
        ckpt.root().resolve(CheckpointManager.dirName(trainer.step())), blocking));
  }

  private static void finish(RunRecord record, Trainer trainer, EnergyMeter energy, double peak) {
    TrainConfig cfg = trainer.config();
    double trainS = 0;
    for (Map<String, Object> row : record.steps()) {
      trainS += ((Number) row.get("step_ms")).doubleValue() / 1e3;
    }
    int steps = record.steps().size();
    long tokens = steps * cfg.train().tokensPerStep();
    double flops = tokens * trainer.modelFlopsPerToken();
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("steps", steps);
    totals.put("final_step", trainer.step());
    totals.put("tokens", tokens);
    totals.put("wall_s", record.wallSeconds());
    totals.put("train_s", trainS);
    totals.put("flops", flops);
    totals.put("tokens_per_s", trainS > 0 ? tokens / trainS : 0.0);
    totals.put("mfu", trainS > 0 && peak > 0 ? flops / trainS / peak : 0.0);
    record.finish("totals", totals);
    Map<String, Object> memory = new LinkedHashMap<>();
    long params = trainer.model().layout().size();
    memory.put("params", params);
    memory.put("bytes_per_param", trainer.stateBytesPerParameter());
    memory.put("state_bytes", trainer.stateBytes());
    memory.put("activation_bytes", trainer.model().activationBytes());
    memory.putAll(MemoryProbe.read().toMap());
    record.finish("memory", memory);
    record.finish("energy", energy.stop());
    record.finish("weights_sha256", RunRecord.sha256(trainer.model().params));
  }

  private static Map<String, Object> dataSection(Trainer trainer, byte[] tok) {
    Map<String, Object> d = new LinkedHashMap<>();
    String src = trainer.config().data().source();
    d.put("source", src);
    d.put("describe", trainer.data().describe());
    d.put("tokenizer_sha256", tok == null ? null : RunRecord.sha256(tok));
    Path p = Path.of(src);
    Path id = Files.isDirectory(p) ? p.resolve(dev.sinter.data.shard.ShardManifest.FILE_NAME) : p;
    d.put("data_sha256", src.equals("synthetic") || !Files.isRegularFile(id) ? null : CheckpointLoader.sha256(id));
    return d;
  }

  /** The bytes of the run's tokenizer.json, or null for id-only data. */
  static byte[] tokenizerBytes(Trainer trainer) {
    if (trainer.tokenizer() == null) {
      return null;
    }
    String t = trainer.config().data().tokenizer();
    Path file = t.isEmpty() ? Path.of(trainer.config().data().source(), dev.sinter.data.DataPrepare.TOKENIZER_FILE)
        : Path.of(t);
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the tokenizer " + file + ": " + e.getMessage(), e);
    }
  }

  private static int bos(Trainer t) {
    BpeTokenizer tok = t.tokenizer();
    return tok == null ? -1 : tok.beginOfText();
  }

  private static int eos(Trainer t) {
    BpeTokenizer tok = t.tokenizer();
    return tok == null ? -1 : tok.endOfText();
  }

  private static PrometheusEndpoint prometheus(String spec, Listener l) {
    if (spec.isEmpty()) {
      return null;
    }
    int colon = spec.lastIndexOf(':');
    String host = colon < 0 ? PrometheusEndpoint.DEFAULT_BIND : spec.substring(0, colon);
    int port = Integer.parseInt(spec.substring(colon + 1));
    PrometheusEndpoint p = PrometheusEndpoint.start(host, port);
    l.message("metrics: Prometheus text format at http://" + p.address().getHostString() + ":" + p.port() + "/metrics");
    return p;
  }

  private static Map<String, Number> numbers(Map<String, Object> row) {
    Map<String, Number> m = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : row.entrySet()) {
      if (e.getValue() instanceof Number n) {
        m.put(e.getKey(), n);
      }
    }
    return m;
  }

  /** Loads a verified checkpoint's weights, moments, step and loader position into {@code trainer}. */
  public static void restore(Trainer trainer, CheckpointLoader.Verified v) {
    Transformer model = trainer.model();
    requireSameModel(trainer.config(), ConfigLoader.fromTree(v.config(), java.util.List.of()).model(), v.dir());
    CheckpointLoader.loadWeights(v.dir(), trainer.config().model(), model.layout(), model.params);
    // Moments are saved whole, so a checkpoint of any layout (ranks, ZeRO stage) loads here; each
    // rank keeps its own shard.
    int n = model.layout().size();
    float[] m = new float[n];
    float[] vv = new float[n];
    CheckpointLoader.loadMoments(v.dir(), model.layout(), m, vv);
    trainer.restoreMoments(m, vv);
    trainer.restore(v.step(), v.dataPosition());
  }

  /**
   * Checks that a resumed or verified run's model is the one its checkpoint holds.
   *
   * @throws ConfigException naming model as the key when they differ
   */
  static void requireSameModel(TrainConfig cfg, dev.sinter.model.ModelConfig stored, Path where) {
    if (!cfg.model().equals(stored)) {
      throw new ConfigException("model", "differs from the checkpoint in " + where + " (" + stored
          + "); a resumed run keeps its model — drop the model.* overrides");
    }
  }
}
