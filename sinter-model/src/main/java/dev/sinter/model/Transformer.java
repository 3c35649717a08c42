// A decoder-only transformer as explicit forward/backward passes over flat buffers.
//
// Single-device code: it knows nothing of ranks or files. One code path serves both flavours:
//   Llama:  x = x + attn(rmsnorm(x)) with RoPE and GQA;  x = x + down(silu(gate(n)) * up(n))
//   GPT-2:  x = x + attn(layernorm(x)) with learned positions;  x = x + down(gelu(up(n)))
// Legend: B batch, T time, BT = B·T rows, C width, NH / NKV query / key-value heads, hs head size,
//   QKV = (NH + 2·NKV)·hs, U = width of the up projection (2F for SwiGLU), F MLP width, V vocabulary.
package dev.sinter.model;

import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/** Parameters, gradients and the forward/backward passes of one model replica. */
public final class Transformer {
  private final ModelConfig cfg;
  private final ParameterLayout layout;
  private final Kernels k;
  private final boolean recompute;
  /** All parameters, one flat buffer addressed through {@link #layout()}. */
  public final float[] params;
  /** Gradients, same layout as {@link #params}; backward accumulates into them. */
  public final float[] grads;
  private final float[] ropeCos; // [maxSeqLen, hs/2]
  private final float[] ropeSin;
  private Activations acts;
  private int[] lastTokens;
  private GradientsReady gradientsReady;
  private boolean lossGradientReady; // true after forward(), until another forward pass
  private int validTargets;

  /**
   * @param recompute keep only each block's input during forward and recompute the rest of the
   *     block just before its backward (saves activation memory for one extra forward)
   */
  public Transformer(ModelConfig cfg, Kernels kernels, boolean recompute) {
    this.cfg = cfg;
    this.layout = new ParameterLayout(cfg);
    this.k = kernels;
    this.recompute = recompute;
    this.params = new float[layout.size()];
    this.grads = new float[layout.size()];
    int half = cfg.headSize() / 2;
    if (cfg.isRope()) {
      ropeCos = new float[cfg.maxSeqLen() * half];
      ropeSin = new float[cfg.maxSeqLen() * half];
      for (int t = 0; t < cfg.maxSeqLen(); t++) {
        for (int i = 0; i < half; i++) {
          double freq = Math.pow(cfg.ropeTheta(), -2.0 * i / cfg.headSize());
          double angle = t * freq;
          ropeCos[t * half + i] = (float) StrictMath.cos(angle);
          ropeSin[t * half + i] = (float) StrictMath.sin(angle);
        }
      }
    } else {
      ropeCos = null;
      ropeSin = null;
    }
  }

  public ModelConfig config() {
    return cfg;
  }

  public ParameterLayout layout() {
    return layout;
  }

  public Kernels kernels() {
    return k;
  }

  public boolean recompute() {
    return recompute;
  }

  /** RoPE cosine table [maxSeqLen, hs/2]; null for learned positions. */
  float[] ropeCos() {
    return ropeCos;
  }

  /** RoPE sine table [maxSeqLen, hs/2]; null for learned positions. */
  float[] ropeSin() {
    return ropeSin;
  }

  /** Elements per parallel initialisation task. */
  static final int INIT_BLOCK = 1 << 16;

  /**
   * Seeded initialisation: weight matrices and embeddings ~ N(0, initStd²), with the projections
   * that write into the residual stream scaled by 1/sqrt(2L) (GPT-2's scheme, so the residual
   * stream's variance does not grow with depth); norm gains 1, biases 0. Each tensor draws from
   * its own stream derived from (seed, name), so the result does not depend on layout order.
   * Element j of a tensor is the j-th Gaussian of its stream; the tensors are cut into blocks of
   * INIT_BLOCK elements that the pool fills in parallel, each block skipping its stream ahead to
   * its first element, so the values are the sequential ones for any thread count (Box-Muller with
   * StrictMath costs ~50 ns a value: 6 s for GPT-2 small on one thread).
   */
  public void initialize(long seed) {
    double residualScale = 1.0 / Math.sqrt(2.0 * cfg.layers());
    List<ParameterLayout.Tensor> random = new ArrayList<>();
    int blocks = 0;
    for (ParameterLayout.Tensor t : layout.tensors()) {
      switch (t.kind()) {
        case NORM -> java.util.Arrays.fill(params, t.offset(), t.end(), 1f);
        case BIAS -> java.util.Arrays.fill(params, t.offset(), t.end(), 0f);
        case EMBEDDING, MATRIX, RESIDUAL_MATRIX -> {
          random.add(t);
          blocks += (t.end() - t.offset() + INIT_BLOCK - 1) / INIT_BLOCK;
        }
      }
    }
    // Block q fills params[blockFrom[q], ...) of tensor random[blockTensor[q]].
    int[] blockTensor = new int[blocks];
    int[] blockFrom = new int[blocks];
    int q = 0;
    for (int ti = 0; ti < random.size(); ti++) {
      ParameterLayout.Tensor t = random.get(ti);
      for (int from = t.offset(); from < t.end(); from += INIT_BLOCK, q++) {
        blockTensor[q] = ti;
        blockFrom[q] = from;
      }
    }
    k.pool().parallelFor(blocks, block -> {
      ParameterLayout.Tensor t = random.get(blockTensor[block]);
      double std = cfg.initStd()
          * (t.kind() == ParameterLayout.Kind.RESIDUAL_MATRIX ? residualScale : 1.0);
      int from = blockFrom[block];
      int to = Math.min(t.end(), from + INIT_BLOCK);
      Rng rng = Rng.derive(seed, t.name());
      rng.skip(2L * (from - t.offset())); // each Gaussian takes two draws
      for (int i = from; i < to; i++) {
        params[i] = (float) (rng.nextGaussian() * std);
      }
    });
  }

  /** Activation bytes currently allocated (the high-water mark of the activation buffers). */
  public long activationBytes() {
    return acts == null ? 0 : acts.bytes();
  }

  private Activations activations(int b, int t) {
    if (t > cfg.maxSeqLen()) {
      throw new IllegalArgumentException("sequence length " + t + " exceeds model.max_seq_len "
          + cfg.maxSeqLen());
    }
    if (acts == null || acts.b != b || acts.t != t) {
      acts = null; // let the old buffers go before allocating the new ones
      acts = new Activations(cfg, b, t, recompute);
    }
    return acts;
  }

  // ------------------------------------------------------------------------------------ forward

  /**
   * Forward pass and loss. Leaves dloss/dlogits (scaled by {@code gradScale} / number of valid
   * targets) in place of the logits, ready for {@link #backward()}.
   *
   * @param tokens    [B, T] input ids
   * @param targets   [B, T] next-token ids; negative entries are ignored by the loss
   * @param gradScale multiplies the gradient of the mean loss, e.g. 1 / gradient-accumulation steps
   * @return the mean cross-entropy over valid targets (0 if there are none)
   */
  public double forward(int[] tokens, int[] targets, int b, int t, float gradScale) {
    checkTokens(targets, b * t, "targets");
    Activations a = hidden(tokens, b, t);
    int bt = b * t;
    int c = cfg.dim();
    lossGradientReady = true;
    // logits = lnf · Wheadᵀ, then the loss, whose gradient replaces the logits in place
    k.matmul(a.logits, 0, a.lnf, 0, params, layout.lmHead().offset(), null, 0, bt, cfg.vocabSize(), c);
    validTargets = 0;
    for (int i = 0; i < bt; i++) {
      if (targets[i] >= 0) {
        validTargets++;
      }
    }
    float scale = validTargets == 0 ? 0f : gradScale / validTargets;
    k.crossEntropy(a.losses, 0, a.logits, 0, targets, 0, bt, cfg.vocabSize(), scale);
    double sum = 0;
    for (int i = 0; i < bt; i++) {
      sum += a.losses[i];
    }
    return validTargets == 0 ? 0 : sum / validTargets;
  }

  /**
   * Forward pass without a cache, returning the next-token logits after the last position of a
   * single sequence (generation without a KV cache, and the reference the cached path is tested
   * against).
   *
   * @param tokens [T] ids
   * @return logits [V] for position T
   */
  public float[] lastLogits(int[] tokens, int t) {
    Activations a = hidden(tokens, 1, t);
    float[] logits = new float[cfg.vocabSize()];
    k.matmul(logits, 0, a.lnf, (t - 1) * cfg.dim(), params, layout.lmHead().offset(), null, 0, 1,
        cfg.vocabSize(), cfg.dim());
    return logits;
  }

  /** Embeddings, every block, and the final norm into {@code lnf}. */
  private Activations hidden(int[] tokens, int b, int t) {
    Activations a = activations(b, t);
    int bt = b * t;
    int c = cfg.dim();
    checkTokens(tokens, bt, "tokens");
    lastTokens = tokens;
    lossGradientReady = false;
    Embedding.forward(k.pool(), a.residual, 0, params, layout.tokEmbeddings().offset(),
        layout.posEmbeddings() == null ? -1 : layout.posEmbeddings().offset(), tokens, b, t, c);
    for (int l = 0; l < cfg.layers(); l++) {
      blockForward(a, l);
    }
    norm(a.lnf, 0, a.lnfMean, 0, a.lnfRstd, 0, a.residual, cfg.layers() * bt * c, layout.finalNorm(),
        layout.finalNormBias(), bt);
    return a;
  }

  private void checkTokens(int[] ids, int n, String what) {
    if (ids.length < n) {
      throw new IllegalArgumentException(what + " has " + ids.length + " ids, need B·T = " + n);
    }
    int v = cfg.vocabSize();
    for (int i = 0; i < n; i++) {
      if (ids[i] >= v || (ids[i] < 0 && what.equals("tokens"))) {
        throw new IllegalArgumentException(what + "[" + i + "] = " + ids[i]
            + " is outside the vocabulary [0, " + v + ")");
      }
    }
  }

  private void blockForward(Activations a, int l) {
    ParameterLayout.Block w = layout.blocks().get(l);
    int b = a.b;
    int t = a.t;
    int bt = b * t;
    int c = cfg.dim();
    int qkvDim = cfg.qkvDim();
    int attDim = cfg.heads() * cfg.headSize();
    int s = recompute ? 0 : l;
    int xOff = l * bt * c;
    int outOff = (l + 1) * bt * c;
    // n = norm(x)
    norm(a.ln1, s * bt * c, a.ln1Mean, s * bt, a.ln1Rstd, s * bt, a.residual, xOff, w.attnNorm(), w.attnNormBias(), bt);
    // q|k|v = n · Wqkvᵀ (+b), then rotate q and k
    int qkvOff = s * bt * qkvDim;
    k.matmul(a.qkv, qkvOff, a.ln1, s * bt * c, params, w.qkv().offset(), bias(w.qkvBias(), params), off(w.qkvBias()), bt, qkvDim, c);
    if (cfg.isRope()) {
      rope(a.qkv, qkvOff, b, t, false);
    }
    // y = attention(q, k, v);  x' = x + y · Woᵀ (+b)
    k.attentionForward(a.att, s * bt * attDim, a.lse, s * b * cfg.heads() * t, a.qkv, qkvOff,
        b, t, cfg.heads(), cfg.kvHeads(), cfg.headSize());
    int midOff = s * bt * c;
    k.matmul(a.resMid, midOff, a.att, s * bt * attDim, params, w.out().offset(), bias(w.outBias(), params), off(w.outBias()), bt, c, attDim);
    k.add(a.resMid, midOff, a.resMid, midOff, a.residual, xOff, bt * c);
    // n2 = norm(x');  x'' = x' + down(act(up(n2)))
    norm(a.ln2, s * bt * c, a.ln2Mean, s * bt, a.ln2Rstd, s * bt, a.resMid, midOff, w.mlpNorm(), w.mlpNormBias(), bt);
    int u = cfg.upDim();
    int f = cfg.ffnDim();
    k.matmul(a.up, s * bt * u, a.ln2, s * bt * c, params, w.up().offset(), bias(w.upBias(), params), off(w.upBias()), bt, u, c);
    if (cfg.isSwiglu()) {
      k.swigluForward(a.act, s * bt * f, a.up, s * bt * u, bt, f);
    } else {
      k.geluForward(a.act, s * bt * f, a.up, s * bt * u, bt * f);
    }
    k.matmul(a.residual, outOff, a.act, s * bt * f, params, w.down().offset(), bias(w.downBias(), params), off(w.downBias()), bt, c, f);
    k.add(a.residual, outOff, a.residual, outOff, a.resMid, midOff, bt * c);
  }

  // ----------------------------------------------------------------------------------- backward

  /**
   * Told, during {@link #backward}, each time a range of {@link #grads} has received its last
   * contribution of the pass: the head (and final norm), then, block by block from the last,
   * each weight (with its bias) as soon as its gradient is computed, then the embeddings. Data parallelism installs one to start reducing a range while the
   * rest of backward runs; the model itself knows nothing of ranks.
   */
  public interface GradientsReady {
    /** Gradients [start, end) of the flat buffer are final for this backward pass. */
    void ready(int start, int end);

    /**
     * Whether this listener takes the token-embedding lookup gradient as rows ({@link
     * #embeddingRows}) instead of the model scattering it into the vocabulary-sized table. Then the
     * table's range is reported ready right after the head (its dense part — a tied head's share
     * and earlier micro-batches' — is final by then), and the rows come last.
     */
    default boolean takesEmbeddingRows() {
      return false;
    }

    /**
     * The lookup gradient of this pass: row r of {@code dRows} (C floats) belongs to token
     * {@code tokens[r]}'s row of the embedding table. Both arrays stay untouched until the next
     * forward pass.
     */
    default void embeddingRows(int[] tokens, float[] dRows, int rows, int c) {}
  }

  /** Installs (or, with null, removes) the listener of {@link #backward}'s finished ranges. */
  public void onGradientsReady(GradientsReady listener) {
    this.gradientsReady = listener;
  }

  private void ready(int start, int end) {
    if (gradientsReady != null && end > start) {
      gradientsReady.ready(start, end);
    }
  }

  /**
   * Backward pass of the last {@link #forward}: accumulates into {@link #grads}. The caller zeroes
   * the gradients once per optimizer step, so micro-batches accumulate.
   */
  public void backward() {
    Activations a = acts;
    if (a == null || !lossGradientReady) {
      throw new IllegalStateException("backward() must follow forward() with targets");
    }
    int b = a.b;
    int t = a.t;
    int bt = b * t;
    int c = cfg.dim();
    // logits = lnf · Wheadᵀ   →   dWhead += dlogitsᵀ · lnf,  dlnf = dlogits · Whead
    k.matmulBackwardWeight(grads, layout.lmHead().offset(), null, 0, a.logits, 0, a.lnf, 0, bt, cfg.vocabSize(), c);
    k.matmulBackwardInput(a.dln, 0, a.logits, 0, params, layout.lmHead().offset(), bt, cfg.vocabSize(), c);
    // lnf = norm(x_L)   →   dres = dnorm(dlnf)
    java.util.Arrays.fill(a.dres, 0f);
    normBackward(a.dres, layout.finalNorm(), layout.finalNormBias(), a.dln, a.residual, cfg.layers() * bt * c,
        a.lnfMean, 0, a.lnfRstd, 0, bt);
    // Layout: embeddings, blocks, final norm, untied head. A tied head is the token embedding at
    // the front, final only after the embedding backward below.
    ready(layout.finalNorm().offset(), layout.size());
    boolean rows = gradientsReady != null && gradientsReady.takesEmbeddingRows();
    if (rows) {
      ready(layout.tokEmbeddings().offset(), layout.tokEmbeddings().end());
    }
    for (int l = cfg.layers() - 1; l >= 0; l--) {
      if (recompute) {
        blockForward(a, l);
      }
      blockBackward(a, l);
    }
    int posOff = layout.posEmbeddings() == null ? -1 : layout.posEmbeddings().offset();
    if (rows) {
      // Only the B·T looked-up rows change the table: hand them over rather than the whole table.
      if (posOff >= 0) {
        Embedding.backward(k.pool(), grads, -1, posOff, a.dres, lastTokens, b, t, c);
        ready(posOff, layout.posEmbeddings().end());
      }
      gradientsReady.embeddingRows(lastTokens, a.dres, bt, c);
    } else {
      Embedding.backward(k.pool(), grads, layout.tokEmbeddings().offset(), posOff, a.dres, lastTokens, b, t, c);
      ready(0, layout.blocks().get(0).start());
    }
  }

  private void blockBackward(Activations a, int l) {
    ParameterLayout.Block w = layout.blocks().get(l);
    int b = a.b;
    int t = a.t;
    int bt = b * t;
    int c = cfg.dim();
    int qkvDim = cfg.qkvDim();
    int attDim = cfg.heads() * cfg.headSize();
    int u = cfg.upDim();
    int f = cfg.ffnDim();
    int s = recompute ? 0 : l;
    int midOff = s * bt * c;
    // x'' = x' + act · Wdownᵀ   →   dWdown += dresᵀ·act,  dact = dres · Wdown  (dres also flows to x')
    k.matmulBackwardWeight(grads, w.down().offset(), bias(w.downBias(), grads), off(w.downBias()), a.dres, 0, a.act, s * bt * f, bt, c, f);
    // The block's tensors are laid out norm, qkv, out, norm, up, down (each with its bias): each
    // weight's range is reported final the moment its gradient is, so reduction starts early.
    ready(w.down().offset(), w.end());
    k.matmulBackwardInput(a.dact, 0, a.dres, 0, params, w.down().offset(), bt, c, f);
    // act = swiglu(up) | gelu(up)
    if (cfg.isSwiglu()) {
      k.swigluBackward(a.dup, 0, a.dact, 0, a.up, s * bt * u, bt, f);
    } else {
      k.geluBackward(a.dup, 0, a.dact, 0, a.up, s * bt * u, bt * f);
    }
    // up = n2 · Wupᵀ   →   dWup += dupᵀ·n2,  dn2 = dup · Wup
    k.matmulBackwardWeight(grads, w.up().offset(), bias(w.upBias(), grads), off(w.upBias()), a.dup, 0, a.ln2, s * bt * c, bt, u, c);
    ready(w.up().offset(), w.down().offset());
    k.matmulBackwardInput(a.dln, 0, a.dup, 0, params, w.up().offset(), bt, u, c);
    // n2 = norm(x')   →   dres += dnorm(dn2); dres is now dL/dx'
    normBackward(a.dres, w.mlpNorm(), w.mlpNormBias(), a.dln, a.resMid, midOff, a.ln2Mean, s * bt, a.ln2Rstd, s * bt, bt);
    ready(w.mlpNorm().offset(), w.up().offset());
    // x' = x + y · Woᵀ   →   dWo += dresᵀ·y,  dy = dres · Wo
    k.matmulBackwardWeight(grads, w.out().offset(), bias(w.outBias(), grads), off(w.outBias()), a.dres, 0, a.att, s * bt * attDim, bt, c, attDim);
    ready(w.out().offset(), w.mlpNorm().offset());
    k.matmulBackwardInput(a.datt, 0, a.dres, 0, params, w.out().offset(), bt, c, attDim);
    // y = attention(q, k, v)
    int qkvOff = s * bt * qkvDim;
    k.attentionBackward(a.dqkv, 0, a.datt, 0, a.qkv, qkvOff, a.att, s * bt * attDim, a.lse, s * b * cfg.heads() * t,
        b, t, cfg.heads(), cfg.kvHeads(), cfg.headSize());
    // q, k were rotated after the projection: rotate their gradients back
    if (cfg.isRope()) {
      rope(a.dqkv, 0, b, t, true);
    }
    // q|k|v = n · Wqkvᵀ   →   dWqkv += dqkvᵀ·n,  dn = dqkv · Wqkv
    k.matmulBackwardWeight(grads, w.qkv().offset(), bias(w.qkvBias(), grads), off(w.qkvBias()), a.dqkv, 0, a.ln1, s * bt * c, bt, qkvDim, c);
    ready(w.qkv().offset(), w.out().offset());
    k.matmulBackwardInput(a.dln, 0, a.dqkv, 0, params, w.qkv().offset(), bt, qkvDim, c);
    // n = norm(x)   →   dres += dnorm(dn); dres is now dL/dx, the gradient entering block l-1
    normBackward(a.dres, w.attnNorm(), w.attnNormBias(), a.dln, a.residual, l * bt * c, a.ln1Mean, s * bt, a.ln1Rstd, s * bt, bt);
    ready(w.start(), w.qkv().offset());
  }

  // ------------------------------------------------------------------------------------ helpers

  private void norm(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
      float[] x, int xOff, ParameterLayout.Tensor weight, ParameterLayout.Tensor bias, int rows) {
    float eps = (float) cfg.normEps();
    if (cfg.isRmsnorm()) {
      k.rmsnormForward(out, outOff, rstd, rstdOff, x, xOff, params, weight.offset(), rows, cfg.dim(), eps);
    } else {
      k.layernormForward(out, outOff, mean, meanOff, rstd, rstdOff, x, xOff, params, weight.offset(),
          params, bias.offset(), rows, cfg.dim(), eps);
    }
  }

  private void normBackward(float[] dx, ParameterLayout.Tensor weight, ParameterLayout.Tensor bias,
      float[] dout, float[] x, int xOff, float[] mean, int meanOff, float[] rstd, int rstdOff, int rows) {
    if (cfg.isRmsnorm()) {
      k.rmsnormBackward(dx, 0, grads, weight.offset(), dout, 0, x, xOff, params, weight.offset(),
          rstd, rstdOff, rows, cfg.dim());
    } else {
      k.layernormBackward(dx, 0, grads, weight.offset(), grads, bias.offset(), dout, 0, x, xOff,
          params, weight.offset(), mean, meanOff, rstd, rstdOff, rows, cfg.dim());
    }
  }

  /** Rotates the q heads and the k heads of every row of a [BT, QKV] buffer. */
  private void rope(float[] qkv, int off, int b, int t, boolean inverse) {
    int hs = cfg.headSize();
    k.rope(qkv, off, cfg.qkvDim(), ropeCos, ropeSin, b, t, cfg.heads(), hs, inverse);
    k.rope(qkv, off + cfg.heads() * hs, cfg.qkvDim(), ropeCos, ropeSin, b, t, cfg.kvHeads(), hs, inverse);
  }

  /** The buffer holding an optional bias view (params or grads), or null when there is no bias. */
  static float[] bias(ParameterLayout.Tensor bias, float[] buf) {
    return bias == null ? null : buf;
  }

  /** Offset of an optional view; 0 when absent (the kernels ignore it with a null buffer). */
  static int off(ParameterLayout.Tensor t) {
    return t == null ? 0 : t.offset();
  }
}
