// The whole configuration of a training run: a tree of validated records, read once from
// defaults.toml, an optional preset, an optional file and --set overrides (in that order).
package dev.sinter.train;

import dev.sinter.model.ConfigException;
import dev.sinter.model.ModelConfig;

/**
 * A validated run configuration. See {@code defaults.toml} for every key with its meaning.
 *
 * @param model the model shape
 * @param train batch, steps, seed and execution settings
 * @param optim optimizer and learning-rate schedule
 * @param data  where tokens come from
 * @param log   what is reported and where
 * @param checkpoint when and how checkpoints are saved
 * @param parallel how data-parallel ranks share gradients and optimizer state
 */
public record TrainConfig(ModelConfig model, Train train, Optim optim, Data data, Log log, Checkpoint checkpoint,
    Parallel parallel) {

  /** Batch shape, length of the run, seed and execution choices. */
  public record Train(int batchSize, int seqLen, int gradAccum, int steps, long seed,
      boolean recompute, String kernels, int threads) {
    public Train {
      if (!kernels.equals("auto") && !kernels.equals("vector") && !kernels.equals("scalar")) {
        throw new ConfigException("train.kernels", "must be one of auto, vector, scalar, got \"" + kernels + "\"");
      }
    }

    /** Tokens per optimizer step. */
    public long tokensPerStep() {
      return (long) batchSize * seqLen * gradAccum;
    }
  }

  /** AdamW and the warmup + cosine schedule. */
  public record Optim(double lr, double minLr, int warmupSteps, double beta1, double beta2, double eps,
      double weightDecay, double gradClip, boolean decayEmbeddings, boolean decayNormsAndBiases) {
    public Optim {
      if (minLr > lr) {
        throw new ConfigException("optim.min_lr", "must not exceed optim.lr (" + lr + "), got " + minLr);
      }
    }
  }

  /**
   * Where tokens come from.
   *
   * @param source     "synthetic", a flat token file (.u16 / .i32), or a shard directory
   * @param tokenizer  the tokenizer.json of a shard directory ("" = the one inside it)
   * @param valEvery   evaluate the validation loss every this many steps (0 = never)
   * @param valBatches micro-batches per validation evaluation (always the same ones)
   */
  public record Data(String source, String tokenizer, int valEvery, int valBatches) {
    public Data {
      if (source.isBlank()) {
        throw new ConfigException("data.source", "must be \"synthetic\", a token file or a shard directory");
      }
    }
  }

  /**
   * Reporting.
   *
   * @param every      print and record every this many steps
   * @param metricsOut JSONL file for per-step metrics, or "" for none
   * @param peakGflops FLOP/s peak (in GFLOP/s) that MFU is measured against; 0 = measure the machine
   * @param out        the run directory, or "" for runs/train-&lt;time&gt;
   * @param prometheus "[ADDR:]PORT" of an opt-in Prometheus endpoint, or "" for none
   * @param wattsPerCore the per-core power of the energy estimate used when there are no RAPL counters
   */
  public record Log(int every, String metricsOut, double peakGflops, String out, String prometheus,
      double wattsPerCore) {
    public Log {
      if (!prometheus.isEmpty() && !prometheus.matches("([^:]+:)?[0-9]{1,5}")) {
        throw new ConfigException("log.prometheus", "must be PORT or ADDR:PORT, got \"" + prometheus + "\"");
      }
    }
  }

  /**
   * Checkpointing.
   *
   * @param every save every this many steps (0 = only at the end and on a stop signal)
   * @param keep  how many of the newest checkpoints stay on disk (at least 2)
   * @param async write in the background after an in-memory snapshot
   * @param atEnd save after the last step
   */
  public record Checkpoint(int every, int keep, boolean async, boolean atEnd) {}

  /**
   * Data parallelism; the degree is the number of ranks the job runs on.
   *
   * @param zero     0 (replicated optimizer state), 1 (sharded optimizer state) or 2 (and gradients)
   * @param gradWire "fp32" or "bf16"
   * @param timeoutS seconds a collective waits before failing
   */
  public record Parallel(int zero, String gradWire, int timeoutS) {
    public Parallel {
      if (!gradWire.equals("fp32") && !gradWire.equals("bf16")) {
        throw new ConfigException("parallel.grad_wire", "must be fp32 or bf16, got \"" + gradWire + "\"");
      }
    }
  }

  /** Cross-section rules that no single record can check. */
  public TrainConfig {
    if (train.seqLen() > model.maxSeqLen()) {
      throw new ConfigException("train.seq_len", "must not exceed model.max_seq_len (" + model.maxSeqLen()
          + "), got " + train.seqLen());
    }
  }

  static TrainConfig from(ConfigTree root) {
    ConfigTree m = root.table("model");
    ModelConfig model = new ModelConfig(
        m.getInt("vocab_size", 1, Integer.MAX_VALUE),
        m.getInt("dim", 1, 1 << 16),
        m.getInt("layers", 1, 1024),
        m.getInt("heads", 1, 1024),
        m.getInt("kv_heads", 1, 1024),
        m.getInt("ffn_dim", 1, 1 << 20),
        m.getInt("max_seq_len", 1, 1 << 20),
        m.getString("norm"),
        m.getString("mlp"),
        m.getString("position"),
        m.getBoolean("bias"),
        m.getBoolean("tie_embeddings"),
        m.getDouble("norm_eps", 0, 1),
        m.getDouble("rope_theta", 1, 1e12),
        m.getDouble("init_std", 0, 1));
    m.finish();
    ConfigTree t = root.table("train");
    Train train = new Train(
        t.getInt("batch_size", 1, 1 << 16),
        t.getInt("seq_len", 1, 1 << 20),
        t.getInt("grad_accum", 1, 1 << 16),
        t.getInt("steps", 1, Integer.MAX_VALUE),
        t.getLong("seed", Long.MIN_VALUE, Long.MAX_VALUE),
        t.getBoolean("recompute"),
        t.getString("kernels"),
        t.getInt("threads", 0, 4096));
    t.finish();
    ConfigTree o = root.table("optim");
    Optim optim = new Optim(
        o.getDouble("lr", 0, 10),
        o.getDouble("min_lr", 0, 10),
        o.getInt("warmup_steps", 0, Integer.MAX_VALUE),
        o.getDouble("beta1", 0, 0.999999),
        o.getDouble("beta2", 0, 0.999999),
        o.getDouble("eps", 1e-30, 1),
        o.getDouble("weight_decay", 0, 10),
        o.getDouble("grad_clip", 0, 1e9),
        o.getBoolean("decay_embeddings"),
        o.getBoolean("decay_norms_and_biases"));
    o.finish();
    ConfigTree d = root.table("data");
    Data data = new Data(d.getString("source"), d.getString("tokenizer"), d.getInt("val_every", 0, Integer.MAX_VALUE),
        d.getInt("val_batches", 1, 1 << 20));
    d.finish();
    ConfigTree l = root.table("log");
    Log log = new Log(l.getInt("every", 1, Integer.MAX_VALUE), l.getString("metrics_out"),
        l.getDouble("peak_gflops", 0, 1e12), l.getString("out"), l.getString("prometheus"),
        l.getDouble("watts_per_core", 0, 1e4));
    l.finish();
    ConfigTree c = root.table("checkpoint");
    Checkpoint checkpoint = new Checkpoint(c.getInt("every", 0, Integer.MAX_VALUE), c.getInt("keep", 2, 1000),
        c.getBoolean("async"), c.getBoolean("at_end"));
    c.finish();
    ConfigTree p = root.table("parallel");
    Parallel parallel = new Parallel(p.getInt("zero", 0, 2), p.getString("grad_wire"), p.getInt("timeout_s", 1, 86400));
    p.finish();
    root.finish();
    return new TrainConfig(model, train, optim, data, log, checkpoint, parallel);
  }
}
