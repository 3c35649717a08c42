// The shape of a decoder-only transformer. One record describes both flavours that share a code
// path: Llama-style (RMSNorm, RoPE, SwiGLU, grouped-query attention, optional tied embeddings) and
// GPT-2 (LayerNorm with bias, GELU MLP, learned positions, tied embeddings).
package dev.sinter.model;

/**
 * Model hyper-parameters, validated on construction.
 *
 * @param vocabSize    V, number of token ids
 * @param dim          C, width of the residual stream
 * @param layers       L, number of transformer blocks
 * @param heads        NH, query heads; hs = C / NH
 * @param kvHeads      NKV, key/value heads (NKV = NH is plain multi-head attention)
 * @param ffnDim       F, hidden width of the MLP (for SwiGLU, of each of gate and up)
 * @param maxSeqLen    longest sequence the model accepts (size of the learned position table)
 * @param norm         "rmsnorm" or "layernorm"
 * @param mlp          "swiglu" or "gelu"
 * @param position     "rope" or "learned"
 * @param bias         whether linear layers carry biases (GPT-2: true)
 * @param tieEmbeddings whether the output head reuses the token embedding matrix
 * @param normEps      epsilon inside the normalisation
 * @param ropeTheta    base of the rotary frequencies
 * @param initStd      standard deviation of the normal initialisation of weight matrices
 */
public record ModelConfig(
    int vocabSize,
    int dim,
    int layers,
    int heads,
    int kvHeads,
    int ffnDim,
    int maxSeqLen,
    String norm,
    String mlp,
    String position,
    boolean bias,
    boolean tieEmbeddings,
    double normEps,
    double ropeTheta,
    double initStd) {

  /** Validates every field; the message names the key and the rule. */
  public ModelConfig {
    positive("model.vocab_size", vocabSize);
    positive("model.dim", dim);
    positive("model.layers", layers);
    positive("model.heads", heads);
    positive("model.kv_heads", kvHeads);
    positive("model.ffn_dim", ffnDim);
    positive("model.max_seq_len", maxSeqLen);
    oneOf("model.norm", norm, "rmsnorm", "layernorm");
    oneOf("model.mlp", mlp, "swiglu", "gelu");
    oneOf("model.position", position, "rope", "learned");
    if (dim % heads != 0) {
      throw new ConfigException("model.heads",
          "heads (" + heads + ") must divide dim (" + dim + ")");
    }
    if (heads % kvHeads != 0) {
      throw new ConfigException("model.kv_heads",
          "kv_heads (" + kvHeads + ") must divide heads (" + heads + ")");
    }
    if (position.equals("rope") && (dim / heads) % 2 != 0) {
      throw new ConfigException("model.heads",
          "rotary embeddings need an even head size, but dim / heads = " + (dim / heads));
    }
    if (!(normEps > 0 && normEps < 1)) {
      throw new ConfigException("model.norm_eps", "must be in (0, 1), got " + normEps);
    }
    if (!(ropeTheta > 1)) {
      throw new ConfigException("model.rope_theta", "must be > 1, got " + ropeTheta);
    }
    if (!(initStd > 0 && initStd < 1)) {
      throw new ConfigException("model.init_std", "must be in (0, 1), got " + initStd);
    }
    long qkvWidth = (long) (heads + 2L * kvHeads) * (dim / heads);
    if ((long) vocabSize * dim > Integer.MAX_VALUE || qkvWidth * dim > Integer.MAX_VALUE
        || (long) ffnDim * 2 * dim > Integer.MAX_VALUE) {
      throw new ConfigException("model.dim", "a single weight matrix would exceed 2^31 elements;"
          + " this CPU engine keeps each tensor in one Java array");
    }
  }

  /** hs: width of one attention head. */
  public int headSize() {
    return dim / heads;
  }

  /** Width of the fused q|k|v projection: (NH + 2·NKV)·hs. */
  public int qkvDim() {
    return (heads + 2 * kvHeads) * headSize();
  }

  /** Output width of the first MLP matrix: 2F for SwiGLU (gate|up), F for GELU. */
  public int upDim() {
    return isSwiglu() ? 2 * ffnDim : ffnDim;
  }

  public boolean isSwiglu() {
    return mlp.equals("swiglu");
  }

  public boolean isRmsnorm() {
    return norm.equals("rmsnorm");
  }

  public boolean isRope() {
    return position.equals("rope");
  }

  private static void positive(String key, int v) {
    if (v <= 0) {
      throw new ConfigException(key, "must be a positive integer, got " + v);
    }
  }

  private static void oneOf(String key, String v, String... allowed) {
    for (String a : allowed) {
      if (a.equals(v)) {
        return;
      }
    }
    throw new ConfigException(key, "must be one of " + String.join(", ", allowed) + ", got \"" + v + "\"");
  }
}
