// Autoregressive decoding with a key/value cache: each new token runs every block for one row and
// attends over the keys and values cached from earlier positions, so a token costs O(N + L·T·C)
// instead of re-running the whole prefix. Legend: C width, NH / NKV heads, hs head size, T the
// number of cached positions, V vocabulary.
package dev.sinter.model;

import dev.sinter.tensor.Kernels;

/** One sequence's decoding state over a trained {@link Transformer}. Not thread-safe. */
public final class Generator {
  private final Transformer model;
  private final ModelConfig cfg;
  private final ParameterLayout layout;
  private final Kernels k;
  private final int capacity;
  private final float[][] keys;   // per layer [capacity, NKV·hs]
  private final float[][] values; // per layer [capacity, NKV·hs]
  // one-row scratch
  private final float[] x;
  private final float[] n;
  private final float[] stat;
  private final float[] stat2;
  private final float[] qkv;
  private final float[] att;
  private final float[] proj;
  private final float[] up;
  private final float[] act;
  private final float[] scores;
  private final float[] cos;
  private final float[] sin;
  private final float[] logits;
  private int length;

  /**
   * @param capacity most positions this generator will hold (at most model.max_seq_len)
   */
  public Generator(Transformer model, int capacity) {
    this.model = model;
    this.cfg = model.config();
    this.layout = model.layout();
    this.k = model.kernels();
    if (capacity < 1 || capacity > cfg.maxSeqLen()) {
      throw new IllegalArgumentException("capacity must be in [1, " + cfg.maxSeqLen() + "], got " + capacity);
    }
    this.capacity = capacity;
    int kv = cfg.kvHeads() * cfg.headSize();
    keys = new float[cfg.layers()][capacity * kv];
    values = new float[cfg.layers()][capacity * kv];
    int c = cfg.dim();
    x = new float[c];
    n = new float[c];
    stat = new float[1];
    stat2 = new float[1];
    qkv = new float[cfg.qkvDim()];
    att = new float[cfg.heads() * cfg.headSize()];
    proj = new float[c];
    up = new float[cfg.upDim()];
    act = new float[cfg.ffnDim()];
    scores = new float[capacity];
    cos = new float[Math.max(1, cfg.headSize() / 2)];
    sin = new float[Math.max(1, cfg.headSize() / 2)];
    logits = new float[cfg.vocabSize()];
  }

  /** Positions decoded so far. */
  public int length() {
    return length;
  }

  /** Forgets the sequence. */
  public void reset() {
    length = 0;
  }

  /**
   * Feeds one token at the next position and returns the logits for the token after it. The
   * returned array is reused by the next call.
   */
  public float[] next(int token) {
    if (length >= capacity) {
      throw new IllegalStateException("the cache holds " + capacity + " positions; reset() or use a larger capacity");
    }
    if (token < 0 || token >= cfg.vocabSize()) {
      throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
    }
    float[] p = model.params;
    int c = cfg.dim();
    int pos = length;
    System.arraycopy(p, layout.tokEmbeddings().offset() + token * c, x, 0, c);
    if (layout.posEmbeddings() != null) {
      int off = layout.posEmbeddings().offset() + pos * c;
      for (int i = 0; i < c; i++) {
        x[i] += p[off + i];
      }
    }
    if (cfg.isRope()) {
      int half = cfg.headSize() / 2;
      System.arraycopy(model.ropeCos(), pos * half, cos, 0, half);
      System.arraycopy(model.ropeSin(), pos * half, sin, 0, half);
    }
    for (int l = 0; l < cfg.layers(); l++) {
      block(l, pos);
    }
    norm(n, x, layout.finalNorm(), layout.finalNormBias());
    k.matmul(logits, 0, n, 0, p, layout.lmHead().offset(), null, 0, 1, cfg.vocabSize(), c);
    length++;
    return logits;
  }

  private void block(int l, int pos) {
    ParameterLayout.Block w = layout.blocks().get(l);
    float[] p = model.params;
    int c = cfg.dim();
    int hs = cfg.headSize();
    int kvDim = cfg.kvHeads() * hs;
    int qDim = cfg.heads() * hs;
    // x' = x + attn(norm(x)), attending over the cache plus this position
    norm(n, x, w.attnNorm(), w.attnNormBias());
    k.matmul(qkv, 0, n, 0, p, w.qkv().offset(), Transformer.bias(w.qkvBias(), p), Transformer.off(w.qkvBias()), 1, cfg.qkvDim(), c);
    if (cfg.isRope()) {
      k.rope(qkv, 0, cfg.qkvDim(), cos, sin, 1, 1, cfg.heads(), hs, false);
      k.rope(qkv, qDim, cfg.qkvDim(), cos, sin, 1, 1, cfg.kvHeads(), hs, false);
    }
    System.arraycopy(qkv, qDim, keys[l], pos * kvDim, kvDim);
    System.arraycopy(qkv, qDim + kvDim, values[l], pos * kvDim, kvDim);
    attend(l, pos);
    k.matmul(proj, 0, att, 0, p, w.out().offset(), Transformer.bias(w.outBias(), p), Transformer.off(w.outBias()), 1, c, qDim);
    k.add(x, 0, x, 0, proj, 0, c);
    // x'' = x' + mlp(norm(x'))
    norm(n, x, w.mlpNorm(), w.mlpNormBias());
    k.matmul(up, 0, n, 0, p, w.up().offset(), Transformer.bias(w.upBias(), p), Transformer.off(w.upBias()), 1, cfg.upDim(), c);
    if (cfg.isSwiglu()) {
      k.swigluForward(act, 0, up, 0, 1, cfg.ffnDim());
    } else {
      k.geluForward(act, 0, up, 0, cfg.ffnDim());
    }
    k.matmul(proj, 0, act, 0, p, w.down().offset(), Transformer.bias(w.downBias(), p), Transformer.off(w.downBias()), 1, c, cfg.ffnDim());
    k.add(x, 0, x, 0, proj, 0, c);
  }

  /** att[h] = softmax(q_h · K_g[0..pos]ᵀ / sqrt(hs)) · V_g[0..pos], g = h's key/value head. */
  private void attend(int l, int pos) {
    int hs = cfg.headSize();
    int kvDim = cfg.kvHeads() * hs;
    int group = cfg.heads() / cfg.kvHeads();
    float scale = (float) (1.0 / Math.sqrt(hs));
    float[] kc = keys[l];
    float[] vc = values[l];
    for (int h = 0; h < cfg.heads(); h++) {
      int q = h * hs;
      int g = (h / group) * hs;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j <= pos; j++) {
        float s = 0;
        int kr = j * kvDim + g;
        for (int i = 0; i < hs; i++) {
          s += qkv[q + i] * kc[kr + i];
        }
        s *= scale;
        scores[j] = s;
        max = Math.max(max, s);
      }
      float sum = 0;
      for (int j = 0; j <= pos; j++) {
        scores[j] = (float) Math.exp(scores[j] - max);
        sum += scores[j];
      }
      float inv = 1f / sum;
      java.util.Arrays.fill(att, q, q + hs, 0f);
      for (int j = 0; j <= pos; j++) {
        float pj = scores[j] * inv;
        int vr = j * kvDim + g;
        for (int i = 0; i < hs; i++) {
          att[q + i] += pj * vc[vr + i];
        }
      }
    }
  }

  private void norm(float[] out, float[] in, ParameterLayout.Tensor weight, ParameterLayout.Tensor b) {
    float[] p = model.params;
    float eps = (float) cfg.normEps();
    if (cfg.isRmsnorm()) {
      k.rmsnormForward(out, 0, stat, 0, in, 0, p, weight.offset(), 1, cfg.dim(), eps);
    } else {
      k.layernormForward(out, 0, stat, 0, stat2, 0, in, 0, p, weight.offset(), p, b.offset(), 1, cfg.dim(), eps);
    }
  }
}
