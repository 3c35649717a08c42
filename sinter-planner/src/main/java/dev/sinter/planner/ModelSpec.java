// The architecture of a model as the planner needs it: dense (GPT, Llama) or Mixture-of-Experts
// (DeepSeek: shared + routed experts, top-k, multi-head latent attention, multi-token prediction).
// Read from a model file (ModelCatalog); the planner never builds the model.
package dev.sinter.planner;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model hyper-parameters, validated on construction. Names follow the engine's [model] keys where
 * the engine has them (dim, ffn_dim, kv_heads, ...).
 *
 * @param name            preset or file name
 * @param layers          L, transformer blocks (excluding multi-token-prediction modules)
 * @param hidden          h (the engine's dim)
 * @param heads           H, query heads
 * @param kvHeads         key/value heads (= heads for multi-head attention; ignored for MLA)
 * @param headDim         query/key head size (MLA: nope + rope part)
 * @param vHeadDim        value head size (= headDim except for MLA)
 * @param ffn             F, MLP hidden width of dense layers
 * @param vocab           V
 * @param seqLen          default training sequence length
 * @param gatedMlp        SwiGLU (three matrices) rather than GELU (two)
 * @param tied            output head shares the input embedding
 * @param learnedPositions a learned position table (GPT-2/3), counted in total parameters only
 * @param dropout         dropout layers present (their masks take activation memory)
 * @param bias            linear layers and norms carry biases
 * @param parallelBlock   attention and MLP read the same input (PaLM): one TP reduction per pass
 * @param mla             multi-head latent attention (DeepSeek-V2/V3)
 * @param qLoraRank       MLA query compression rank (0 = none)
 * @param kvLoraRank      MLA key/value compression rank
 * @param qkRopeDim       MLA decoupled rotary part of the key
 * @param attentionParams attention parameters per layer when given explicitly (0 = computed)
 * @param denseLayers     leading dense layers of a MoE model (the rest are MoE)
 * @param routedExperts   routed experts per MoE layer (0 = dense model)
 * @param activeExperts   routed experts per token (top-k)
 * @param sharedExperts   always-active shared experts
 * @param expertFfn       hidden width of one expert
 * @param mtpDepth        multi-token-prediction modules (DeepSeek-V3: 1)
 * @param globalBatch     default global batch in sequences (0 = none)
 * @param tokens          default training budget in tokens (0 = none)
 * @param microBatch      default micro-batch in sequences (an engine config's train.batch_size; 0 = none)
 * @param recompute       default recomputation (an engine config's train.recompute)
 * @param sources         provenance of the numbers, by key
 */
public record ModelSpec(String name, int layers, int hidden, int heads, int kvHeads, int headDim, int vHeadDim,
    long ffn, int vocab, int seqLen, boolean gatedMlp, boolean tied, boolean learnedPositions, boolean dropout,
    boolean bias, boolean parallelBlock, boolean mla, int qLoraRank, int kvLoraRank, int qkRopeDim,
    long attentionParams, int denseLayers, int routedExperts, int activeExperts, int sharedExperts, long expertFfn,
    int mtpDepth, long globalBatch, double tokens, int microBatch, boolean recompute, Map<String, String> sources) {

  /** Validates every field; the message names the key and the rule. */
  public ModelSpec {
    positive("model.layers", layers);
    positive("model.dim", hidden);
    positive("model.heads", heads);
    positive("model.kv_heads", kvHeads);
    positive("model.head_dim", headDim);
    positive("model.v_head_dim", vHeadDim);
    positive("model.ffn_dim", ffn);
    positive("model.vocab_size", vocab);
    positive("model.seq_len", seqLen);
    if (!mla && heads % kvHeads != 0) {
      throw new PlanException("model.kv_heads", "kv_heads (" + kvHeads + ") must divide heads (" + heads + ")");
    }
    if (mla && (kvLoraRank <= 0 || qkRopeDim < 0 || qLoraRank < 0 || qkRopeDim >= headDim)) {
      throw new PlanException("model.kv_lora_rank", "multi-head latent attention needs kv_lora_rank > 0 and"
          + " 0 <= qk_rope_dim < head_dim");
    }
    if (attentionParams < 0) {
      throw new PlanException("model.attention_params", "must be >= 0, got " + attentionParams);
    }
    if (routedExperts < 0 || sharedExperts < 0 || mtpDepth < 0 || denseLayers < 0) {
      throw new PlanException("moe", "expert counts, dense_layers and mtp_depth must be >= 0");
    }
    if (routedExperts > 0) {
      if (activeExperts < 1 || activeExperts > routedExperts) {
        throw new PlanException("moe.active_experts", "must be in [1, routed_experts = " + routedExperts
            + "], got " + activeExperts);
      }
      positive("moe.expert_ffn_dim", expertFfn);
      if (denseLayers >= layers) {
        throw new PlanException("moe.dense_layers", "must be < layers (" + layers + "), got " + denseLayers);
      }
    } else if (activeExperts != 0 || sharedExperts != 0 || denseLayers != 0) {
      throw new PlanException("moe", "active_experts, shared_experts and dense_layers need routed_experts > 0");
    }
    if (globalBatch < 0 || !(tokens >= 0) || microBatch < 0) {
      throw new PlanException("plan", "global_batch, micro_batch and tokens must be >= 0");
    }
    // In the file's order (Map.copyOf would not keep it), so reports list them the same each run.
    sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
  }

  private static void positive(String key, long v) {
    if (v <= 0) {
      throw new PlanException(key, "must be >= 1, got " + v);
    }
  }

  /** Whether the model has routed experts. */
  public boolean isMoe() {
    return routedExperts > 0;
  }

  /** Number of MoE layers. */
  public int moeLayers() {
    return isMoe() ? layers - denseLayers : 0;
  }
}
