// Where every parameter tensor lives inside the one flat parameter buffer (llm.c style).
//
// Parameters, gradients and optimizer moments are each one float[] of the same length; a tensor is
// an (offset, shape) view, so zeroing is one call, AdamW is one loop, and later all-reduce buckets
// and ZeRO shards are plain ranges. Tensors of one block are contiguous and blocks follow each
// other in order, so a block's gradients form one range that is final as soon as its backward ends.
package dev.sinter.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The named views of a model's flat parameter buffer. */
public final class ParameterLayout {

  /** What a tensor is, which decides weight decay and initialisation. */
  public enum Kind {
    /** A lookup table: token or position embeddings. */
    EMBEDDING,
    /** A linear layer's weight matrix [out, in]. */
    MATRIX,
    /** A linear layer's weight whose output feeds the residual stream; scaled at init. */
    RESIDUAL_MATRIX,
    /** A normalisation gain. */
    NORM,
    /** A bias vector (of a linear layer or a normalisation). */
    BIAS
  }

  /** One tensor: name, offset into the flat buffer, shape (row-major), kind. */
  public record Tensor(String name, int offset, int[] shape, Kind kind) {
    /** Number of elements. */
    public int size() {
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      return n;
    }

    /** Offset one past the last element. */
    public int end() {
      return offset + size();
    }
  }

  /** The views of one transformer block; bias entries are null when the model has none. */
  public record Block(Tensor attnNorm, Tensor attnNormBias, Tensor qkv, Tensor qkvBias,
      Tensor out, Tensor outBias, Tensor mlpNorm, Tensor mlpNormBias, Tensor up, Tensor upBias,
      Tensor down, Tensor downBias, int start, int end) {}

  private final List<Tensor> tensors;
  private final Map<String, Tensor> byName;
  private final List<Block> blocks;
  private final Tensor tokEmbeddings;
  private final Tensor posEmbeddings;
  private final Tensor finalNorm;
  private final Tensor finalNormBias;
  private final Tensor lmHead;
  private final int size;

  /** Lays out the parameters of {@code cfg}. */
  public ParameterLayout(ModelConfig cfg) {
    Builder b = new Builder();
    int c = cfg.dim();
    boolean ln = !cfg.isRmsnorm();
    tokEmbeddings = b.add("tok_embeddings.weight", Kind.EMBEDDING, cfg.vocabSize(), c);
    posEmbeddings = cfg.isRope() ? null : b.add("pos_embeddings.weight", Kind.EMBEDDING, cfg.maxSeqLen(), c);
    List<Block> bl = new ArrayList<>();
    for (int l = 0; l < cfg.layers(); l++) {
      String p = "layers." + l + ".";
      int start = b.offset;
      Tensor an = b.add(p + "attn_norm.weight", Kind.NORM, c);
      Tensor anb = ln ? b.add(p + "attn_norm.bias", Kind.BIAS, c) : null;
      Tensor qkv = b.add(p + "attn.qkv.weight", Kind.MATRIX, cfg.qkvDim(), c);
      Tensor qkvb = cfg.bias() ? b.add(p + "attn.qkv.bias", Kind.BIAS, cfg.qkvDim()) : null;
      Tensor o = b.add(p + "attn.out.weight", Kind.RESIDUAL_MATRIX, c, cfg.heads() * cfg.headSize());
      Tensor ob = cfg.bias() ? b.add(p + "attn.out.bias", Kind.BIAS, c) : null;
      Tensor mn = b.add(p + "mlp_norm.weight", Kind.NORM, c);
      Tensor mnb = ln ? b.add(p + "mlp_norm.bias", Kind.BIAS, c) : null;
      Tensor up = b.add(p + "mlp.up.weight", Kind.MATRIX, cfg.upDim(), c);
      Tensor upb = cfg.bias() ? b.add(p + "mlp.up.bias", Kind.BIAS, cfg.upDim()) : null;
      Tensor down = b.add(p + "mlp.down.weight", Kind.RESIDUAL_MATRIX, c, cfg.ffnDim());
      Tensor downb = cfg.bias() ? b.add(p + "mlp.down.bias", Kind.BIAS, c) : null;
      bl.add(new Block(an, anb, qkv, qkvb, o, ob, mn, mnb, up, upb, down, downb, start, b.offset));
    }
    blocks = Collections.unmodifiableList(bl);
    finalNorm = b.add("norm.weight", Kind.NORM, c);
    finalNormBias = ln ? b.add("norm.bias", Kind.BIAS, c) : null;
    lmHead = cfg.tieEmbeddings() ? tokEmbeddings : b.add("lm_head.weight", Kind.MATRIX, cfg.vocabSize(), c);
    tensors = Collections.unmodifiableList(b.list);
    byName = Collections.unmodifiableMap(b.map);
    size = b.offset;
  }

  public List<Tensor> tensors() {
    return tensors;
  }

  /** The tensor called {@code name}; throws if there is none. */
  public Tensor get(String name) {
    Tensor t = byName.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return t;
  }

  public List<Block> blocks() {
    return blocks;
  }

  public Tensor tokEmbeddings() {
    return tokEmbeddings;
  }

  /** Null for rotary models. */
  public Tensor posEmbeddings() {
    return posEmbeddings;
  }

  public Tensor finalNorm() {
    return finalNorm;
  }

  /** Null for RMSNorm models. */
  public Tensor finalNormBias() {
    return finalNormBias;
  }

  /** The output head; the same view as {@link #tokEmbeddings()} when embeddings are tied. */
  public Tensor lmHead() {
    return lmHead;
  }

  /** Total number of parameters (tied tensors counted once). */
  public int size() {
    return size;
  }

  private static final class Builder {
    final List<Tensor> list = new ArrayList<>();
    final Map<String, Tensor> map = new LinkedHashMap<>();
    int offset;

    Tensor add(String name, Kind kind, int... shape) {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      if (offset + n > Integer.MAX_VALUE - 16) {
        throw new ConfigException("model", "the model has more than 2^31 parameters, which this CPU"
            + " engine cannot hold in one buffer; use the planner for models of this size");
      }
      Tensor t = new Tensor(name, offset, shape.clone(), kind);
      list.add(t);
      map.put(name, t);
      offset += (int) n;
      return t;
    }
  }
}
