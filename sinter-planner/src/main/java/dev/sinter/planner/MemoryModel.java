// Memory per chip: model state after ZeRO sharding (Rajbhandari et al. 2020: weights, gradients,
// optimizer state of 12 bytes per parameter, each divided by the DP group from stage 3, 2 and 1 on)
// and activations after Korthikanti et al. 2022, generalised to GQA/MLA, SwiGLU and MoE:
//   per layer (bytes, b·s·h = sbh, e bytes per element; replicated terms divided by t only with
//   sequence parallelism):
//     replicated  e·sbh·(2 norms + qkv input + mlp input) + dropout masks 2·sbh (1 byte each)
//     split (÷t)  e·tokens·(Q + K + V + attention output widths + MLP widths: 2F GELU, 3F SwiGLU)
//     scores      e·b·(H/t)·s² + (1 + e)·that with dropout — only without flash and without recompute
//   GPT (4h MLP, MHA, e = 2): s·b·h·(10 + 24/t + 5·a·s/(h·t)), Korthikanti's eq. for TP; full
//   recompute keeps e·sbh per layer (plus one layer's working set).
// The first stage holds min(p, m) micro-batches in flight under 1F1B, × (1 + (p−1)/(p·v)) when
// interleaved, p + 1 under DualPipe; the last stage holds one plus the logits (fp32 and the input).
package dev.sinter.planner;

import dev.sinter.planner.Layout.Recompute;
import java.util.Locale;

/** Memory terms per chip. */
final class MemoryModel {
  private MemoryModel() {}

  /** Activation bytes one layer keeps for one micro-batch on one chip. */
  static double layerActivations(Job job, Layout l, boolean forceNoRecompute) {
    ModelShape ms = job.model();
    ModelSpec s = ms.spec;
    int t = l.tp();
    double e = l.precision().activationBytes();
    double b = l.microBatch();
    double sl = (double) job.seqLen() / l.cp();
    double tokens = b * sl;
    double sbh = tokens * s.hidden();
    double rep = (l.seqParallel() && t > 1) ? 1.0 / t : 1.0;
    Recompute rc = forceNoRecompute ? Recompute.NONE : l.recompute();
    if (rc == Recompute.FULL) {
      return e * sbh * rep;
    }
    double replicated = (4 * e * sbh + (s.dropout() ? 2 * sbh : 0)) * rep;
    double kWidth = s.mla() ? (double) s.heads() * s.headDim() : (double) s.kvHeads() * s.headDim();
    double vWidth = s.mla() ? (double) s.heads() * s.vHeadDim() : (double) s.kvHeads() * s.vHeadDim();
    double qWidth = (double) s.heads() * s.headDim();
    double oWidth = (double) s.heads() * s.vHeadDim();
    double mats = s.gatedMlp() ? 3 : 2;
    double attnSplit = e * tokens * (qWidth + kWidth + vWidth + oWidth) / t;
    double mlp;
    if (s.isMoe()) {
      double k = s.activeExperts();
      mlp = e * (tokens / t) * (k * s.hidden() + mats * (k + s.sharedExperts()) * s.expertFfn());
    } else {
      mlp = e * tokens * mats * s.ffn() / t;
    }
    double scores = 0;
    if (!l.flash() && rc == Recompute.NONE) {
      double sq = b * ((double) s.heads() / t) * sl * job.seqLen();
      scores = e * sq + (s.dropout() ? (1 + e) * sq : 0);
    } else if (l.flash()) {
      scores = 4 * b * ((double) s.heads() / t) * sl; // the log-sum-exp per query row, fp32
    }
    return replicated + attnSplit + mlp + scores;
  }

  /** Micro-batches whose activations the first stage holds at once. */
  static double inFlight(Layout l) {
    int p = l.pp();
    long m = l.microBatches();
    if (p == 1) {
      return 1;
    }
    return switch (l.schedule()) {
      case ONE_F_ONE_B -> Math.min(p, m);
      case INTERLEAVED -> Math.min(p, m) * (1 + (p - 1.0) / ((double) p * l.vpp()));
      case DUALPIPE -> Math.min(p + 1, m);
    };
  }

  static Estimate.MemoryUse perChip(Job job, Layout l, int lMax, int lLast, double pDense, double pExp, double dual,
      int zeroGroup, int edp) {
    ModelShape ms = job.model();
    ModelSpec s = ms.spec;
    Chip c = job.cluster().chip();
    int t = l.tp();
    int p = l.pp();
    double w = l.precision().weightBytes();
    double g = l.effectiveGradBytes();
    double o = l.precision().optimizerBytes();
    double act = layerActivations(job, l, false);
    double workingSet = l.recompute() == Recompute.FULL ? layerActivations(job, l, true) : 0;
    double layerParams = s.isMoe() ? ms.moeLayerParams : ms.denseLayerParams;
    if (l.zero() == 3) {
      workingSet += layerParams / t * w; // the gathered layer in use (sub-modules are fetched and freed in turn)
    }
    double capacity = c.hbmBytes();
    double usable = capacity * (1 - job.efficiency().memoryReserve());
    double inFlight = inFlight(l);
    int mtp = s.mtpDepth();
    // The loss's fp32 logits and their input, on the stage that holds the head (the only one when p = 1).
    double logits = (1 + mtp) * l.microBatch() * ((double) job.seqLen() / l.cp()) * s.vocab() / t
        * (4 + l.precision().activationBytes());
    Estimate.MemoryUse first = state("first", pDense, pExp, w, g, o, l.zero(), zeroGroup, edp, dual,
        lMax * act * inFlight, p == 1 ? logits : 0, workingSet, capacity, usable, inFlight);
    if (p == 1) {
      return first;
    }
    double layerNonRouted = s.isMoe() ? ms.moeLayerParams - ms.moeRoutedParams : ms.denseLayerParams;
    double mtpNonRouted = mtp * (ms.mtpParams - (s.isMoe() ? ms.moeRoutedParams : 0));
    double lastDense = (lLast * layerNonRouted + ms.embedParams + mtpNonRouted) / t;
    double lastExp = (s.isMoe() ? (lLast + mtp) * ms.moeRoutedParams : 0) / l.ep();
    Estimate.MemoryUse last = state("last", lastDense, lastExp, w, g, o, l.zero(), zeroGroup, edp, dual,
        (lLast + mtp) * act, logits, workingSet, capacity, usable, 1);
    return last.total() > first.total() ? last : first;
  }

  static Estimate.MemoryUse state(String stage, double pDense, double pExp, double w, double g, double o,
      int zero, int dpGroup, int edp, double dual, double act, double logits, double workingSet, double capacity,
      double usable, double inFlight) {
    double weights = (pDense * w / (zero == 3 ? dpGroup : 1) + pExp * w / (zero == 3 ? edp : 1)) * dual;
    double grads = (pDense * g / (zero >= 2 ? dpGroup : 1) + pExp * g / (zero >= 2 ? edp : 1)) * dual;
    double opt = (pDense * o / (zero >= 1 ? dpGroup : 1) + pExp * o / (zero >= 1 ? edp : 1)) * dual;
    return new Estimate.MemoryUse(weights, grads, opt, act, logits, workingSet, capacity, usable, stage, inFlight);
  }

  /** Names of the memory terms, in the order of {@link #terms}. */
  private static final String[] TERM_NAMES = {"activations", "optimizer state", "gradients", "weights", "logits",
      "working set"};

  private static double[] terms(Estimate.MemoryUse m) {
    return new double[] {m.activations(), m.optimizer(), m.grads(), m.weights(), m.logits(), m.workingSet()};
  }

  /** Index of the largest value (the first on ties). */
  private static int largest(double[] v) {
    int big = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[big]) {
        big = i;
      }
    }
    return big;
  }

  /** The largest memory term of a layout: the one that overflows most when it does not fit. */
  static String bindingTerm(Estimate.MemoryUse m) {
    return TERM_NAMES[largest(terms(m))];
  }

  /** Why a layout does not fit: the total, the limit, and the terms, largest first named. */
  static String reason(Estimate.MemoryUse m) {
    double[] vals = terms(m);
    int big = largest(vals);
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "out of memory on the %s pipeline stage: needs %.1f GB > %.1f GB usable (of %.0f GB); %s overflow%s (%.1f GB",
        m.stage(), m.total() / 1e9, m.usable() / 1e9, m.capacity() / 1e9, TERM_NAMES[big],
        TERM_NAMES[big].endsWith("s") ? "" : "s", vals[big] / 1e9));
    if (big == 0) {
      sb.append(String.format(Locale.ROOT, ", %.1f micro-batches in flight", m.inFlight()));
    }
    sb.append(")");
    for (int i = 0; i < vals.length; i++) {
      if (i != big && vals[i] > 0) {
        sb.append(String.format(Locale.ROOT, "; %s %.1f GB", TERM_NAMES[i], vals[i] / 1e9));
      }
    }
    return sb.toString();
  }
}
