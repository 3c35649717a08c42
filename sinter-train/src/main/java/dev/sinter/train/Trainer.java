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
  /** Sequences per micro-batch on this rank: train.batch_size over the data-parallel degree. */
  private final int localBatch;
  private final DataParallel dp; // null on a single rank
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
    this(cfg, peakFlops, explicitData, null);
  }

  /**
   * A data-parallel rank of a run: {@code comm} is the data-parallel group (null or size 1 for a
   * single rank). {@code train.batch_size} is the global micro-batch, split evenly over the ranks,
   * so the same config gives the same training whatever the number of ranks.
   */
  public Trainer(TrainConfig cfg, double peakFlops, TokenSource explicitData, dev.sinter.comm.Communicator comm) {
    this.cfg = cfg;
    int world = comm == null ? 1 : comm.size();
    if (cfg.train().batchSize() % world != 0) {
      throw new dev.sinter.model.ConfigException("train.batch_size", "is the global micro-batch and must be divisible"
          + " by the " + world + " data-parallel ranks, got " + cfg.train().batchSize());
    }
    this.localBatch = cfg.train().batchSize() / world;
    String src = cfg.data().source();
    Path dir = Path.of(src);
    if (explicitData == null && !src.equals("synthetic") && java.nio.file.Files.isDirectory(dir)) {
      tokenizer = ShardTokens.tokenizerFor(dir, cfg.data().tokenizer());
      if (tokenizer.vocabSize() > cfg.model().vocabSize()) {
        throw new dev.sinter.model.ConfigException("model.vocab_size", "is " + cfg.model().vocabSize()
            + " but the tokenizer of " + dir + " has " + tokenizer.vocabSize() + " ids; set model.vocab_size = "
            + tokenizer.vocabSize());
      }
      data = slice(new ShardTokens(dir, dev.sinter.data.shard.Split.TRAIN, tokenizer, cfg.train().seqLen(),
          cfg.train().seed(), true), comm);
      validation = cfg.data().valEvery() > 0 ? slice(new ShardTokens(dir, dev.sinter.data.shard.Split.VAL, tokenizer,
          cfg.train().seqLen(), cfg.train().seed(), false), comm) : null;
    } else {
      tokenizer = null;
      validation = null;
      data = slice(explicitData != null ? explicitData : openIds(cfg), comm);
    }
    int threads = ThreadPool.resolveThreads(cfg.train().threads());
    this.pool = new ThreadPool(threads);
    Kernels kernels = Kernels.create(cfg.train().kernels(), pool);
    this.model = new Transformer(cfg.model(), kernels, cfg.train().recompute());
    model.initialize(cfg.train().seed());
    this.dp = world == 1 ? null : new DataParallel(comm, cfg.parallel().zero(),
        cfg.parallel().gradWire().equals("bf16") ? dev.sinter.comm.Wire.BF16 : dev.sinter.comm.Wire.FP32,
        model.layout().size());
    this.optimizer = dp == null ? new AdamW(cfg.optim(), model.layout(), kernels)
        : new AdamW(cfg.optim(), model.layout(), kernels, dp.shardStart(), dp.shardEnd());
    this.schedule = new LrSchedule(cfg.optim().lr(), cfg.optim().minLr(), cfg.optim().warmupSteps(),
        cfg.train().steps());
    this.peakFlops = peakFlops;
    Flops.Shape shape = ModelFlops.shape(cfg.model(), model.layout(), cfg.train().seqLen());
    this.modelFlopsPerToken = Flops.modelPerToken(shape);
    this.hardwareFlopsPerToken = Flops.hardwarePerToken(shape, cfg.train().recompute());
    int bt = localBatch * cfg.train().seqLen();
    this.tokens = new int[bt];
    this.targets = new int[bt];
  }

  private static TokenSource slice(TokenSource s, dev.sinter.comm.Communicator comm) {
    return comm == null || comm.size() == 1 ? s : new RankSlice(s, comm.rank(), comm.size());
  }

  /** This process's data-parallel rank (0 on a single rank). */
  public int rank() {
    return dp == null ? 0 : dp.rank();
  }

  /** Data-parallel ranks. */
  public int world() {
    return dp == null ? 1 : dp.world();
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
      validation.next(tokens, targets, localBatch, t.seqLen());
      sum += model.forward(tokens, targets, localBatch, t.seqLen(), 0f);
    }
    return dp == null ? sum / n : dp.average(sum / n);
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
    if (dp != null) {
      dp.beginStep();
    }
    double lossSum = 0;
    float gradScale = 1f / t.gradAccum();
    for (int micro = 0; micro < t.gradAccum(); micro++) {
      long t0 = System.nanoTime();
      data.next(tokens, targets, localBatch, t.seqLen());
      long t1 = System.nanoTime();
      lossSum += model.forward(tokens, targets, localBatch, t.seqLen(), gradScale);
      long t2 = System.nanoTime();
      if (dp != null) {
        dp.beforeBackward(model, micro == t.gradAccum() - 1);
      }
      model.backward();
      if (dp != null) {
        dp.afterBackward(model);
      }
      long t3 = System.nanoTime();
      dataNs += t1 - t0;
      fwdNs += t2 - t1;
      bwdNs += t3 - t2;
    }
    long o0 = System.nanoTime();
    double exposedInBackward = dp == null ? 0 : dp.exposedMs();
    Kernels k = model.kernels();
    int from = optimizer.start();
    int to = optimizer.end();
    double loss = lossSum / t.gradAccum();
    double sumSq;
    if (dp != null) {
      dp.finishGradients(model.grads);
      loss = dp.average(loss);
      sumSq = dp.sumAcrossShards(k.sumOfSquares(model.grads, from, to - from));
    } else {
      sumSq = k.sumOfSquares(model.grads, 0, model.grads.length);
    }
    double gradNorm = Math.sqrt(sumSq);
    double clip = cfg.optim().gradClip();
    if (clip > 0 && gradNorm > clip) {
      k.scale(model.grads, from, to - from, (float) (clip / gradNorm));
    }
    double lr = schedule.at(step);
    optimizer.update(model.params, model.grads, lr);
    if (dp != null) {
      dp.finishUpdate(model.params);
    }
    long end = System.nanoTime();
    step++;
    double stepS = (end - start) / 1e9;
    // tokens/s of the whole job; MFU against this rank's peak with this rank's share of the tokens
    double tps = t.tokensPerStep() / stepS;
    double rankTps = tps / world();
    double exposed = dp == null ? 0 : dp.exposedMs();
    double[] rankMs = dp == null ? null : dp.gather(stepS * 1e3);
    java.util.Map<String, Long> bytes = dp == null ? null : dp.bytesSinceLastCall();
    // Exposed communication is its own phase: taken out of backward and optimizer where it happened.
    return new StepStats(step, loss, lr, gradNorm, stepS * 1e3, dataNs / 1e6, fwdNs / 1e6,
        bwdNs / 1e6 - exposedInBackward, (end - o0) / 1e6 - (exposed - exposedInBackward), tps, Flops.utilisation(modelFlopsPerToken, rankTps, peakFlops),
        Flops.utilisation(hardwareFlopsPerToken, rankTps, peakFlops), dp == null ? 0 : dp.commMs(), exposed, rankMs,
        bytes);
  }

  /**
   * Bytes of training state this rank holds: fp32 weights and gradients for every parameter, the
   * two AdamW moments for its shard (all parameters without ZeRO), and under ZeRO-2 the sharded
   * gradient accumulator. 16 B per parameter on one rank; 8 + 8/dp under ZeRO-1; 8 + 12/dp under
   * ZeRO-2 (the full gradient buffer stays: backward writes into it before the reduce-scatter).
   */
  public long stateBytes() {
    long n = model.layout().size();
    return 4L * n * 2 + 4L * (optimizer.m.length + optimizer.v.length) + (dp == null ? 0 : dp.shardBytes());
  }

  /** {@link #stateBytes()} per parameter of the model. */
  public double stateBytesPerParameter() {
    return stateBytes() / (double) model.layout().size();
  }

  /**
   * Whether any rank asks to stop; every rank must call it at the same step (a collective when
   * there are several ranks).
   */
  public boolean anyRankStops(boolean mine) {
    return dp == null ? mine : dp.anyone(mine);
  }

  /**
   * The AdamW moments of every parameter, {m, v}: under ZeRO gathered from all ranks (every rank
   * must call it), otherwise the optimizer's own arrays.
   */
  public float[][] fullMoments() {
    float[] m = optimizer.firstMoment();
    float[] v = optimizer.secondMoment();
    int n = model.layout().size();
    if (m.length == n) {
      return new float[][] {m, v};
    }
    float[][] full = {new float[n], new float[n]};
    System.arraycopy(m, 0, full[0], optimizer.start(), m.length);
    System.arraycopy(v, 0, full[1], optimizer.start(), v.length);
    dp.comm().allGather(full[0], 0, n, dev.sinter.comm.Wire.FP32);
    dp.comm().allGather(full[1], 0, n, dev.sinter.comm.Wire.FP32);
    return full;
  }

  /** Loads moments of every parameter (from a checkpoint of any layout); keeps this rank's shard. */
  public void restoreMoments(float[] fullM, float[] fullV) {
    float[] m = optimizer.firstMoment();
    float[] v = optimizer.secondMoment();
    System.arraycopy(fullM, optimizer.start(), m, 0, m.length);
    System.arraycopy(fullV, optimizer.start(), v, 0, v.length);
  }

  @Override
  public void close() {
    if (dp != null) {
      dp.close();
    }
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
