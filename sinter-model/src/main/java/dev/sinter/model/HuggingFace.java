// The Hugging Face view of a model: which transformers class it is, the name and shape of every
// tensor in that class's state dict, and its config.json. Checkpoints are written in this view so
// any tool loads them (LlamaForCausalLM, GPT2LMHeadModel), and HF directories import through it.
//
// Our layout fuses projections that HF keeps apart, so one of our tensors can be several of theirs:
//   attn.qkv [(NH+2·NKV)·hs, C]  = q_proj [NH·hs, C] | k_proj [NKV·hs, C] | v_proj [NKV·hs, C]
//   mlp.up   [2F, C] (SwiGLU)    = gate_proj [F, C] | up_proj [F, C]
// Row ranges of a row-major [out, in] matrix are contiguous, so each Llama tensor is one slice of
// the flat buffer. GPT-2 stores its linear layers as Conv1D with weights [in, out], so those are
// transposed on the way out and back. Our RoPE rotates pairs (i, i + hs/2) like HF's rotate_half,
// so q and k rows need no permutation.
package dev.sinter.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Mapping between our parameter layout and the Hugging Face transformers classes. */
public final class HuggingFace {
  private HuggingFace() {}

  /** The transformers classes a Sinter model can be. */
  public enum Architecture {
    LLAMA("LlamaForCausalLM", "llama"),
    GPT2("GPT2LMHeadModel", "gpt2");

    /** The class name in config.json's "architectures". */
    public final String className;
    /** config.json's "model_type". */
    public final String modelType;

    Architecture(String className, String modelType) {
      this.className = className;
      this.modelType = modelType;
    }
  }

  /**
   * One tensor of the HF state dict and where it lives in our flat buffer: {@code rows × cols}
   * row-major elements at {@code offset}. When {@code transposed}, the HF tensor is the transpose
   * ({@code [cols, rows]}); otherwise it is the same elements with shape {@code shape}.
   */
  public record Mapping(String name, int[] shape, int offset, int rows, int cols, boolean transposed) {
    /** Number of elements. */
    public int size() {
      return rows * cols;
    }

    /** Writes the HF tensor's elements, in its row-major order, from {@code params} into {@code dst}. */
    public void export(float[] params, float[] dst, int dstOff) {
      if (!transposed) {
        System.arraycopy(params, offset, dst, dstOff, size());
        return;
      }
      for (int i = 0; i < cols; i++) {
        for (int j = 0; j < rows; j++) {
          dst[dstOff + i * rows + j] = params[offset + j * cols + i];
        }
      }
    }

    /** The inverse of {@link #export}: reads the HF tensor from {@code src} into {@code params}. */
    public void load(float[] src, int srcOff, float[] params) {
      if (!transposed) {
        System.arraycopy(src, srcOff, params, offset, size());
        return;
      }
      for (int i = 0; i < cols; i++) {
        for (int j = 0; j < rows; j++) {
          params[offset + j * cols + i] = src[srcOff + i * rows + j];
        }
      }
    }
  }

  /**
   * The class a config corresponds to, or empty when no transformers class has its combination
   * of choices (such a model is saved under its own tensor names).
   */
  public static Optional<Architecture> architecture(ModelConfig c) {
    if (c.isRmsnorm() && c.isSwiglu() && c.isRope()) {
      return Optional.of(Architecture.LLAMA);
    }
    if (!c.isRmsnorm() && !c.isSwiglu() && !c.isRope() && c.bias() && c.tieEmbeddings() && c.kvHeads() == c.heads()) {
      return Optional.of(Architecture.GPT2);
    }
    return Optional.empty();
  }

  /**
   * The tensors of the checkpoint of {@code c}, in file order. Under a transformers class they
   * carry its names and shapes; otherwise our own names and shapes. Tied output heads are not
   * listed (the classes re-tie them on load).
   */
  public static List<Mapping> mappings(ModelConfig c, ParameterLayout layout) {
    Optional<Architecture> arch = architecture(c);
    if (arch.isEmpty()) {
      List<Mapping> own = new ArrayList<>();
      for (ParameterLayout.Tensor t : layout.tensors()) {
        own.add(plain(t.name(), t, 0, t.shape()[0]));
      }
      return own;
    }
    return arch.get() == Architecture.LLAMA ? llama(c, layout) : gpt2(c, layout);
  }

  private static List<Mapping> llama(ModelConfig c, ParameterLayout layout) {
    List<Mapping> out = new ArrayList<>();
    out.add(plain("model.embed_tokens.weight", layout.tokEmbeddings(), 0, c.vocabSize()));
    int q = c.heads() * c.headSize();
    int kv = c.kvHeads() * c.headSize();
    int f = c.ffnDim();
    for (int l = 0; l < c.layers(); l++) {
      ParameterLayout.Block b = layout.blocks().get(l);
      String p = "model.layers." + l + ".";
      out.add(plain(p + "input_layernorm.weight", b.attnNorm(), 0, c.dim()));
      String[] proj = {"q_proj", "k_proj", "v_proj"};
      int[] start = {0, q, q + kv};
      int[] len = {q, kv, kv};
      for (int i = 0; i < 3; i++) {
        out.add(plain(p + "self_attn." + proj[i] + ".weight", b.qkv(), start[i], len[i]));
        if (b.qkvBias() != null) {
          out.add(plain(p + "self_attn." + proj[i] + ".bias", b.qkvBias(), start[i], len[i]));
        }
      }
      out.add(plain(p + "self_attn.o_proj.weight", b.out(), 0, c.dim()));
      if (b.outBias() != null) {
        out.add(plain(p + "self_attn.o_proj.bias", b.outBias(), 0, c.dim()));
      }
      out.add(plain(p + "post_attention_layernorm.weight", b.mlpNorm(), 0, c.dim()));
      out.add(plain(p + "mlp.gate_proj.weight", b.up(), 0, f));
      if (b.upBias() != null) {
        out.add(plain(p + "mlp.gate_proj.bias", b.upBias(), 0, f));
      }
      out.add(plain(p + "mlp.up_proj.weight", b.up(), f, f));
      if (b.upBias() != null) {
        out.add(plain(p + "mlp.up_proj.bias", b.upBias(), f, f));
      }
      out.add(plain(p + "mlp.down_proj.weight", b.down(), 0, c.dim()));
      if (b.downBias() != null) {
        out.add(plain(p + "mlp.down_proj.bias", b.downBias(), 0, c.dim()));
      }
    }
    out.add(plain("model.norm.weight", layout.finalNorm(), 0, c.dim()));
    if (!c.tieEmbeddings()) {
      out.add(plain("lm_head.weight", layout.lmHead(), 0, c.vocabSize()));
    }
    return out;
  }

  private static List<Mapping> gpt2(ModelConfig c, ParameterLayout layout) {
    List<Mapping> out = new ArrayList<>();
    out.add(plain("transformer.wte.weight", layout.tokEmbeddings(), 0, c.vocabSize()));
    out.add(plain("transformer.wpe.weight", layout.posEmbeddings(), 0, c.maxSeqLen()));
    for (int l = 0; l < c.layers(); l++) {
      ParameterLayout.Block b = layout.blocks().get(l);
      String p = "transformer.h." + l + ".";
      out.add(plain(p + "ln_1.weight", b.attnNorm(), 0, c.dim()));
      out.add(plain(p + "ln_1.bias", b.attnNormBias(), 0, c.dim()));
      out.add(conv1d(p + "attn.c_attn.weight", b.qkv()));
      out.add(plain(p + "attn.c_attn.bias", b.qkvBias(), 0, c.qkvDim()));
      out.add(conv1d(p + "attn.c_proj.weight", b.out()));
      out.add(plain(p + "attn.c_proj.bias", b.outBias(), 0, c.dim()));
      out.add(plain(p + "ln_2.weight", b.mlpNorm(), 0, c.dim()));
      out.add(plain(p + "ln_2.bias", b.mlpNormBias(), 0, c.dim()));
      out.add(conv1d(p + "mlp.c_fc.weight", b.up()));
      out.add(plain(p + "mlp.c_fc.bias", b.upBias(), 0, c.ffnDim()));
      out.add(conv1d(p + "mlp.c_proj.weight", b.down()));
      out.add(plain(p + "mlp.c_proj.bias", b.downBias(), 0, c.dim()));
    }
    out.add(plain("transformer.ln_f.weight", layout.finalNorm(), 0, c.dim()));
    out.add(plain("transformer.ln_f.bias", layout.finalNormBias(), 0, c.dim()));
    return out;
  }

  /** Rows [first, first + count) of {@code t} (a vector counts its elements as rows of one). */
  private static Mapping plain(String name, ParameterLayout.Tensor t, int first, int count) {
    int cols = t.shape().length == 1 ? 1 : t.shape()[1];
    int[] shape = t.shape().length == 1 ? new int[] {count} : new int[] {count, cols};
    return new Mapping(name, shape, t.offset() + first * cols, count, cols, false);
  }

  private static Mapping conv1d(String name, ParameterLayout.Tensor t) {
    int rows = t.shape()[0];
    int cols = t.shape()[1];
    return new Mapping(name, new int[] {cols, rows}, t.offset(), rows, cols, true);
  }

  /**
   * The config.json of {@code c} for its transformers class (or a Sinter-only one), including a
   * "sinter_model" block that restores our config exactly.
   *
   * @param bos the begin-of-text id, or -1 when there is none
   * @param eos the end-of-text id, or -1 when there is none
   */
  public static Map<String, Object> configJson(ModelConfig c, int bos, int eos) {
    Map<String, Object> j = new LinkedHashMap<>();
    Optional<Architecture> arch = architecture(c);
    j.put("architectures", List.of(arch.map(a -> a.className).orElse("SinterForCausalLM")));
    j.put("model_type", arch.map(a -> a.modelType).orElse("sinter"));
    if (arch.orElse(null) == Architecture.GPT2) {
      j.put("vocab_size", c.vocabSize());
      j.put("n_embd", c.dim());
      j.put("n_layer", c.layers());
      j.put("n_head", c.heads());
      j.put("n_inner", c.ffnDim());
      j.put("n_positions", c.maxSeqLen());
      j.put("n_ctx", c.maxSeqLen());
      j.put("layer_norm_epsilon", c.normEps());
      j.put("activation_function", "gelu_new");
      j.put("initializer_range", c.initStd());
      j.put("resid_pdrop", 0.0);
      j.put("embd_pdrop", 0.0);
      j.put("attn_pdrop", 0.0);
      j.put("scale_attn_weights", true);
    } else {
      j.put("vocab_size", c.vocabSize());
      j.put("hidden_size", c.dim());
      j.put("intermediate_size", c.ffnDim());
      j.put("num_hidden_layers", c.layers());
      j.put("num_attention_heads", c.heads());
      j.put("num_key_value_heads", c.kvHeads());
      j.put("head_dim", c.headSize());
      j.put("max_position_embeddings", c.maxSeqLen());
      j.put("rms_norm_eps", c.normEps());
      j.put("rope_theta", c.ropeTheta());
      j.put("hidden_act", "silu");
      j.put("attention_bias", c.bias());
      j.put("mlp_bias", c.bias());
      j.put("attention_dropout", 0.0);
      j.put("initializer_range", c.initStd());
    }
    j.put("tie_word_embeddings", c.tieEmbeddings());
    if (bos >= 0) {
      j.put("bos_token_id", bos);
    }
    if (eos >= 0) {
      j.put("eos_token_id", eos);
    }
    j.put("torch_dtype", "float32");
    Map<String, Object> own = new LinkedHashMap<>();
    own.put("vocab_size", c.vocabSize());
    own.put("dim", c.dim());
    own.put("layers", c.layers());
    own.put("heads", c.heads());
    own.put("kv_heads", c.kvHeads());
    own.put("ffn_dim", c.ffnDim());
    own.put("max_seq_len", c.maxSeqLen());
    own.put("norm", c.norm());
    own.put("mlp", c.mlp());
    own.put("position", c.position());
    own.put("bias", c.bias());
    own.put("tie_embeddings", c.tieEmbeddings());
    own.put("norm_eps", c.normEps());
    own.put("rope_theta", c.ropeTheta());
    own.put("init_std", c.initStd());
    j.put("sinter_model", own);
    return j;
  }

  /**
   * Reads a config.json written by us or by transformers for a Llama-style or GPT-2 model.
   *
   * @param where the file, for messages
   * @throws ConfigException naming the field when the config is not one we can build
   */
  public static ModelConfig fromConfigJson(JsonNode j, String where) {
    JsonNode own = j.get("sinter_model");
    if (own != null && own.isObject()) {
      return new ModelConfig(own.path("vocab_size").asInt(), own.path("dim").asInt(), own.path("layers").asInt(),
          own.path("heads").asInt(), own.path("kv_heads").asInt(), own.path("ffn_dim").asInt(),
          own.path("max_seq_len").asInt(), own.path("norm").asText(), own.path("mlp").asText(),
          own.path("position").asText(), own.path("bias").asBoolean(), own.path("tie_embeddings").asBoolean(),
          own.path("norm_eps").asDouble(), own.path("rope_theta").asDouble(), own.path("init_std").asDouble());
    }
    String type = j.path("model_type").asText("");
    if (type.equals("llama") || type.equals("mistral")) {
      int dim = need(j, "hidden_size", where);
      int heads = need(j, "num_attention_heads", where);
      if (j.hasNonNull("head_dim") && j.get("head_dim").asInt() * heads != dim) {
        throw new ConfigException(where + ": head_dim", "head_dim x num_attention_heads must equal hidden_size here");
      }
      String act = j.path("hidden_act").asText("silu");
      if (!act.equals("silu")) {
        throw new ConfigException(where + ": hidden_act", "only silu (SwiGLU) is supported, got " + act);
      }
      if (j.path("rope_scaling").isObject()) {
        throw new ConfigException(where + ": rope_scaling", "scaled rotary embeddings are not supported");
      }
      boolean bias = j.path("attention_bias").asBoolean(false);
      if (bias != j.path("mlp_bias").asBoolean(false)) {
        throw new ConfigException(where + ": mlp_bias", "must equal attention_bias (one bias switch here)");
      }
      return new ModelConfig(need(j, "vocab_size", where), dim, need(j, "num_hidden_layers", where), heads,
          j.path("num_key_value_heads").asInt(heads), need(j, "intermediate_size", where),
          j.path("max_position_embeddings").asInt(2048), "rmsnorm", "swiglu", "rope", bias,
          j.path("tie_word_embeddings").asBoolean(false), j.path("rms_norm_eps").asDouble(1e-6),
          j.path("rope_theta").asDouble(10000.0), j.path("initializer_range").asDouble(0.02));
    }
    if (type.equals("gpt2")) {
      int dim = need(j, "n_embd", where);
      String act = j.path("activation_function").asText("gelu_new");
      if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
        throw new ConfigException(where + ": activation_function", "only the tanh GELU (gelu_new) is supported, got "
            + act);
      }
      return new ModelConfig(need(j, "vocab_size", where), dim, need(j, "n_layer", where), need(j, "n_head", where),
          need(j, "n_head", where), j.hasNonNull("n_inner") ? j.get("n_inner").asInt() : 4 * dim,
          need(j, "n_positions", where), "layernorm", "gelu", "learned", true, true,
          j.path("layer_norm_epsilon").asDouble(1e-5), 10000.0, j.path("initializer_range").asDouble(0.02));
    }
    throw new ConfigException(where + ": model_type", "must be llama or gpt2 (or a Sinter config), got \"" + type + "\"");
  }

  private static int need(JsonNode j, String field, String where) {
    JsonNode v = j.get(field);
    if (v == null || !v.canConvertToInt() || v.asInt() <= 0) {
      throw new ConfigException(where + ": " + field, "must be a positive integer");
    }
    return v.asInt();
  }
}
