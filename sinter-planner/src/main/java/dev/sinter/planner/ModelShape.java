// Parameter counts and per-token sizes derived once from a ModelSpec, so that the cost model, which
// runs tens of thousands of times in a search, only reads fields. Also the bridge to the shared
// FLOPs formula (dev.sinter.telemetry.Flops): N is the active matmul parameters.
//
// Legend: L layers, h hidden, H heads, Hk kv heads, dq query/key head size, dv value head size,
//   F dense MLP width, E routed experts, k active experts, Es shared experts, Fe expert width, V vocab.
package dev.sinter.planner;

import dev.sinter.telemetry.Flops;

/** Derived sizes of a model. */
public final class ModelShape {
  /** The spec these numbers come from. */
  public final ModelSpec spec;
  /** Attention parameters per layer (projections, plus biases if any). */
  public final double attnParams;
  /** Dense MLP parameters per dense layer. */
  public final double denseMlpParams;
  /** Parameters of one expert (gated: 3·h·Fe). */
  public final double expertParams;
  /** Router parameters per MoE layer (h·E). */
  public final double routerParams;
  /** Norm parameters per layer. */
  public final double normParams;
  /** All parameters of one dense layer. */
  public final double denseLayerParams;
  /** All parameters of one MoE layer (every expert). */
  public final double moeLayerParams;
  /** Parameters of one MoE layer a token passes through (top-k + shared experts). */
  public final double moeLayerActive;
  /** Routed-expert parameters of one MoE layer (the part expert parallelism shards). */
  public final double moeRoutedParams;
  /** Input embedding V·h. */
  public final double embedParams;
  /** Output head V·h when untied, else 0. */
  public final double headParams;
  /** One multi-token-prediction module: a layer, its 2h→h projection and norms. */
  public final double mtpParams;
  /** Active parameters of one MTP module (its layer's active part). */
  public final double mtpActive;
  /** Every parameter. */
  public final double totalParams;
  /** Parameters a token multiplies with: N of the FLOPs formula (head counted once, input embedding not). */
  public final double activeParams;
  /** Active parameters inside transformer blocks (what recomputation re-runs). */
  public final double activeBlockParams;
  /** Number of dense layers. */
  public final int dense;
  /** Number of MoE layers. */
  public final int moe;
  /** Mean of query/key and value head sizes: the Q of 12·L·H·Q·T. */
  public final int attnHeadSize;

  /** Derives every number from the spec. */
  public ModelShape(ModelSpec s) {
    this.spec = s;
    double h = s.hidden();
    double biasQkv = s.bias() ? (double) s.heads() * s.headDim() + 2.0 * s.kvHeads() * s.headDim() + h : 0;
    if (s.attentionParams() > 0) {
      attnParams = s.attentionParams();
    } else if (s.mla()) {
      double nope = s.headDim() - s.qkRopeDim();
      double q = s.qLoraRank() > 0 ? h * s.qLoraRank() + (double) s.qLoraRank() * s.heads() * s.headDim()
          : h * s.heads() * s.headDim();
      double kv = h * (s.kvLoraRank() + s.qkRopeDim()) + (double) s.kvLoraRank() * s.heads() * (nope + s.vHeadDim());
      double o = (double) s.heads() * s.vHeadDim() * h;
      attnParams = q + kv + o;
    } else {
      attnParams = h * s.heads() * s.headDim() + 2 * h * s.kvHeads() * s.headDim()
          + (double) s.heads() * s.vHeadDim() * h + biasQkv;
    }
    double mats = s.gatedMlp() ? 3 : 2;
    denseMlpParams = mats * h * s.ffn() + (s.bias() ? s.ffn() * (mats - 1) + h : 0);
    expertParams = s.isMoe() ? mats * h * s.expertFfn() : 0;
    routerParams = s.isMoe() ? h * s.routedExperts() : 0;
    normParams = (s.bias() ? 4 : 2) * h;
    denseLayerParams = attnParams + denseMlpParams + normParams;
    moeRoutedParams = s.routedExperts() * expertParams;
    moeLayerParams = attnParams + routerParams + (s.routedExperts() + s.sharedExperts()) * expertParams + normParams;
    moeLayerActive = attnParams + routerParams + (s.activeExperts() + s.sharedExperts()) * expertParams + normParams;
    embedParams = (double) s.vocab() * h;
    headParams = s.tied() ? 0 : embedParams;
    dense = s.layers() - s.moeLayers();
    moe = s.moeLayers();
    double mtpLayer = s.isMoe() ? moeLayerParams : denseLayerParams;
    double mtpLayerActive = s.isMoe() ? moeLayerActive : denseLayerParams;
    mtpParams = mtpLayer + 2 * h * h + 2 * h;
    mtpActive = mtpLayerActive + 2 * h * h + 2 * h;
    double positions = s.learnedPositions() ? (double) s.seqLen() * h : 0;
    double finalNorm = s.bias() ? 2 * h : h;
    totalParams = dense * denseLayerParams + moe * moeLayerParams + embedParams + headParams + positions + finalNorm
        + s.mtpDepth() * mtpParams;
    activeBlockParams = dense * denseLayerParams + moe * moeLayerActive + s.mtpDepth() * mtpActive;
    // Each MTP module runs its own logits through the shared head: one more V·h per module.
    activeParams = activeBlockParams + embedParams * (1 + s.mtpDepth()) + finalNorm;
    attnHeadSize = (s.headDim() + s.vHeadDim()) / 2;
  }

  /** The shared formula's shape at a training sequence length (L counts the MTP modules' layers). */
  public Flops.Shape flopsShape(int seqLen) {
    return new Flops.Shape(Math.round(activeParams), Math.round(activeBlockParams), spec.layers() + spec.mtpDepth(),
        spec.heads(), attnHeadSize, seqLen);
  }

  /** Model FLOPs per trained token (6N + 12·L·H·Q·T), via the engine's formula. */
  public double modelFlopsPerToken(int seqLen) {
    return Flops.modelPerToken(flopsShape(seqLen));
  }
}
