// Every buffer the forward pass saves for the backward pass, and the scratch the backward pass
// writes into, sized once for a (B, T) micro-batch. With recomputation on, the per-block buffers
// hold one block (slot 0) and only the residual stream is kept for every block.
package dev.sinter.model;

/** Flat activation buffers for one micro-batch shape. Legend: BT = B·T rows, C, QKV, U = up width, F. */
final class Activations {
  final int b;
  final int t;
  final int slots;
  // residual stream entering block l, and leaving the last block: [(L+1), BT, C]
  final float[] residual;
  // per block (slot), saved for backward
  final float[] ln1;      // [slots, BT, C]
  final float[] ln1Mean;  // [slots, BT] (LayerNorm only)
  final float[] ln1Rstd;  // [slots, BT]
  final float[] qkv;      // [slots, BT, QKV] after RoPE
  final float[] att;      // [slots, BT, NH·hs]
  final float[] lse;      // [slots, B, NH, T]
  final float[] resMid;   // [slots, BT, C] residual after attention
  final float[] ln2;      // [slots, BT, C]
  final float[] ln2Mean;  // [slots, BT]
  final float[] ln2Rstd;  // [slots, BT]
  final float[] up;       // [slots, BT, U]
  final float[] act;      // [slots, BT, F]
  // head
  final float[] lnf;      // [BT, C]
  final float[] lnfMean;  // [BT]
  final float[] lnfRstd;  // [BT]
  final float[] logits;   // [BT, V]; after the loss, holds dloss/dlogits
  final float[] losses;   // [BT]
  // backward scratch
  final float[] dres;     // [BT, C] gradient of the residual stream, updated in place block by block
  final float[] dln;      // [BT, C]
  final float[] datt;     // [BT, NH·hs]
  final float[] dqkv;     // [BT, QKV]
  final float[] dup;      // [BT, U]
  final float[] dact;     // [BT, F]

  Activations(ModelConfig cfg, int b, int t, boolean recompute) {
    this.b = b;
    this.t = t;
    int bt = b * t;
    int c = cfg.dim();
    int l = cfg.layers();
    this.slots = recompute ? 1 : l;
    residual = alloc((long) (l + 1) * bt * c);
    ln1 = alloc((long) slots * bt * c);
    ln1Mean = alloc((long) slots * bt);
    ln1Rstd = alloc((long) slots * bt);
    qkv = alloc((long) slots * bt * cfg.qkvDim());
    att = alloc((long) slots * bt * cfg.heads() * cfg.headSize());
    lse = alloc((long) slots * b * cfg.heads() * t);
    resMid = alloc((long) slots * bt * c);
    ln2 = alloc((long) slots * bt * c);
    ln2Mean = alloc((long) slots * bt);
    ln2Rstd = alloc((long) slots * bt);
    up = alloc((long) slots * bt * cfg.upDim());
    act = alloc((long) slots * bt * cfg.ffnDim());
    lnf = alloc((long) bt * c);
    lnfMean = alloc(bt);
    lnfRstd = alloc(bt);
    logits = alloc((long) bt * cfg.vocabSize());
    losses = alloc(bt);
    dres = alloc((long) bt * c);
    dln = alloc((long) bt * c);
    datt = alloc((long) bt * cfg.heads() * cfg.headSize());
    dqkv = alloc((long) bt * cfg.qkvDim());
    dup = alloc((long) bt * cfg.upDim());
    dact = alloc((long) bt * cfg.ffnDim());
  }

  /** Bytes held by all buffers. */
  long bytes() {
    long n = 0;
    for (float[] a : new float[][] {residual, ln1, ln1Mean, ln1Rstd, qkv, att, lse, resMid, ln2,
        ln2Mean, ln2Rstd, up, act, lnf, lnfMean, lnfRstd, logits, losses, dres, dln, datt, dqkv, dup, dact}) {
      n += 4L * a.length;
    }
    return n;
  }

  private static float[] alloc(long n) {
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("an activation buffer of " + n + " floats exceeds a Java"
          + " array; lower the batch size or sequence length");
    }
    return new float[(int) n];
  }
}
