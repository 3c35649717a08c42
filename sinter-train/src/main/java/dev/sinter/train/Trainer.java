// The training loop (nanoGPT-sized on purpose): for each optimizer step, accumulate gradients over
// micro-batches, clip the global norm, set the scheduled learning rate, apply AdamW, and measure
// every part. Deterministic: the same config and seed give bitwise-identical losses and weights,
// whatever the thread count, because every kernel splits work independently of the threads.
package dev.sinter.train;

import dev.sinter.model.Transformer;
import dev.sinter.telemetry.Flops;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.ThreadPool;
import java.nio.file.Path;
import java.util.Arrays;

/** Owns a model, its optimizer and its data for one run. Not thread-safe. */
public final class Trainer implements AutoCloseable {
  private final TrainConfig cfg;
  private final ThreadPool pool;
  private final Transformer model;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final TokenSource data;
  private final TokenSource validation; // null when the data has no validation split
  private final dev.sinter.data.tokenizer.BpeTokenizer tokenizer; // null for id-only sources
  private final double peakFlops;
  private final double modelFlopsPerToken;
  private final double hardwareFlopsPerToken;
  private final int[] tokens;
  private final int[] targets;
  private int step;

  /**
   * Builds everything a run needs and initialises the weights from {@code train.seed}.
   *
   * @param peakFlops the FLOP/s that MFU is measured against (all threads together)
   */
  public Trainer(TrainConfig cfg, double peakFlops) {
    this(cfg, peakFlops, null);
  }

  /** As {@link #Trainer(TrainConfig, double)} with an explicit token source (tests), or null. */
  public Trainer(TrainConfig cfg, double peakFlops, TokenSource explicitData) {
    this.cfg = cfg;
    String src = cfg.data().source();
    Path dir = Path.of(src);
    if (explicitData == null && !src.equals("synthetic") && java.nio.file.Files.isDirectory(dir)) {
      tokenizer = ShardTokens.tokenizerFor(dir, cfg.data().tokenizer());
      if (tokenizer.vocabSize() > cfg.model().vocabSize()) {
        throw new dev.sinter.model.ConfigException("model.vocab_size", "is " + cfg.model().vocabSize()
            + " but the tokenizer of " + dir + " has " + tokenizer.vocabSize() + " ids; set model.vocab_size = "
            + tokenizer.vocabSize());
      }
      data = new ShardTokens(dir, dev.sinter.data.shard.Split.TRAIN, tokenizer, cfg.train().seqLen(),
          cfg.train().seed(), true);
      validation = cfg.data().valEvery() > 0 ? new ShardTokens(dir, dev.sinter.data.shard.Split.VAL, tokenizer,
          cfg.train().seqLen(), cfg.train().seed(), false) : null;
    } else {
      tokenizer = null;
      validation = null;
      data = explicitData != null ? explicitData : openIds(cfg);
    }
    int threads = ThreadPool.resolveThreads(cfg.train().threads());
    this.pool = new ThreadPool(threads);
    Kernels kernels = Kernels.create(cfg.train().kernels(), pool);
    this.model = new Transformer(cfg.model(), kernels, cfg.train().recompute());
    model.initialize(cfg.train().seed());
    this.optimizer = new AdamW(cfg.optim(), model.layout(), kernels);
    this.schedule = new LrSchedule(cfg.optim().lr(), cfg.optim().minLr(), cfg.optim().warmupSteps(),
        cfg.train().steps());
    this.peakFlops = peakFlops;
    Flops.Shape shape = ModelFlops.shape(cfg.model(), model.layout(), cfg.train().seqLen());
    this.modelFlopsPerToken = Flops.modelPerToken(shape);
    this.hardwareFlopsPerToken = Flops.hardwarePerToken(shape, cfg.train().recompute());
    int bt = cfg.train().batchSize() * cfg.train().seqLen();
    this.tokens = new int[bt];
    this.targets = new int[bt];
  }

  private static TokenSource openIds(TrainConfig cfg) {
    String src = cfg.data().source();
    if (src.equals("synthetic")) {
      return new SyntheticTokens(cfg.model().vocabSize(), cfg.train().seed());
    }
    return new TokenFile(Path.of(src), cfg.model().vocabSize());
  }

  public TrainConfig config() {
    return cfg;
  }

  public Transformer model() {
    return model;
  }

  public TokenSource data() {
    return data;
  }

  /** The tokenizer of shard data, or null when the data is ids only (synthetic, token file). */
  public dev.sinter.data.tokenizer.BpeTokenizer tokenizer() {
    return tokenizer;
  }

  /** Whether {@link #validate()} has data to run on. */
  public boolean hasValidation() {
    return validation != null;
  }

  /**
   * Mean loss over the first {@code data.val_batches} micro-batches of the validation split (the
   * same batches every time, so values are comparable across steps). Does not touch gradients'
   * meaning: they are zeroed at the start of every training step anyway.
   */
  public double validate() {
    if (validation == null) {
      throw new IllegalStateException("no validation split (data.val_every = 0 or id-only data)");
    }
    TrainConfig.Train t = cfg.train();
    validation.seek(0);
    double sum = 0;
    int n = cfg.data().valBatches();
    for (int i = 0; i < n; i++) {
      validation.next(tokens, targets, t.batchSize(), t.seqLen());
      sum += model.forward(tokens, targets, t.batchSize(), t.seqLen(), 0f);
    }
    return sum / n;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Steps completed. */
  public int step() {
    return step;
  }

  /** Training windows consumed so far: the loader's position, saved with a checkpoint. */
  public long dataPosition() {
    return data.position();
  }

  /**
   * Continues a run from a checkpoint's counters, after its weights and moments were loaded: the
   * schedule, the optimizer's bias correction and the data order all pick up where they stopped.
   */
  public void restore(int completedSteps, long dataPosition) {
    this.step = completedSteps;
    optimizer.setStepCount(completedSteps);
    data.seek(dataPosition);
  }

  /** Model FLOPs per trained token (the shared formula). */
  public double modelFlopsPerToken() {
    return modelFlopsPerToken;
  }

  /** Threads the kernels run on. */
  public int threads() {
    return pool.threads();
  }

  /** Runs one optimizer step and reports what it did. */
  public StepStats trainStep() {
    TrainConfig.Train t = cfg.train();
    long start = System.nanoTime();
    long dataNs = 0;
    long fwdNs = 0;
    long bwdNs = 0;
    Arrays.fill(model.grads, 0f);
    double lossSum = 0;
    float gradScale = 1f / t.gradAccum();
    for (int micro = 0; micro < t.gradAccum(); micro++) {
      long t0 = System.nanoTime();
      data.next(tokens, targets, t.batchSize(), t.seqLen());
      long t1 = System.nanoTime();
      lossSum += model.forward(tokens, targets, t.batchSize(), t.seqLen(), gradScale);
      long t2 = System.nanoTime();
      model.backward();
      long t3 = System.nanoTime();
      dataNs += t1 - t0;
      fwdNs += t2 - t1;
      bwdNs += t3 - t2;
    }
    long o0 = System.nanoTime();
    Kernels k = model.kernels();
    double gradNorm = Math.sqrt(k.sumOfSquares(model.grads, 0, model.grads.length));
    double clip = cfg.optim().gradClip();
    if (clip > 0 && gradNorm > clip) {
      k.scale(model.grads, 0, model.grads.length, (float) (clip / gradNorm));
    }
    double lr = schedule.at(step);
    optimizer.update(model.params, model.grads, lr);
    long end = System.nanoTime();
    step++;
    double stepS = (end - start) / 1e9;
    double tps = t.tokensPerStep() / stepS;
    return new StepStats(step, lossSum / t.gradAccum(), lr, gradNorm, stepS * 1e3, dataNs / 1e6, fwdNs / 1e6,
        bwdNs / 1e6, (end - o0) / 1e6, tps, Flops.utilisation(modelFlopsPerToken, tps, peakFlops),
        Flops.utilisation(hardwareFlopsPerToken, tps, peakFlops));
  }

  /** Bytes of training state per parameter: weights, gradients and the two AdamW moments in fp32. */
  public static int stateBytesPerParameter() {
    return 16;
  }

  @Override
  public void close() {
    pool.close();
    for (TokenSource s : new TokenSource[] {data, validation}) {
      if (s instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }
}
