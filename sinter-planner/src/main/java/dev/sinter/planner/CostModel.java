// The analytical cost model: one training step of a model × cluster × layout, closed form.
//
// Per micro-batch and layer, on one chip (n = b·s/cp tokens, t = TP degree):
//   matmuls      FLOPs/(peak·gemm_max·q(rows)) + calls·gemm_launch     (q = tile quantisation)
//   attention    4·b·(s/cp)·s·(H/t)·Q model FLOPs; flash executes the causal half at flash_eff,
//                unfused kernels the full square at attention_eff; backward 2.5× (flash) / 2× forward
//   elementwise  bytes/(HBM·memory_eff): h-wide passes (replicated unless sequence-parallel),
//                F-wide activation passes, s×s softmax passes without flash
//   backward = 2 × forward (matmuls, elementwise); recomputation adds a forward (full) or the
//   attention core (selective)
//   TP all-reduces (2 per pass, 1 for parallel blocks), EP all-to-all (dispatch + combine per
//   pass), CP KV all-gathers, each exposed by (1 − overlap).
// A stage runs ⌈L/p⌉ layers (the last stage ⌊L/p⌋ plus the head, loss and MTP modules); the
// slower of the two paces the pipeline. Step = m·T_mb + bubble + exposed DP sync + optimizer, with
// bubble (p−1)·T_mb (1F1B), (p−1)/v·T_mb (interleaved), (p/2−1)(F+2B−3W)/2 (DualPipe, DeepSeek-V3
// Table 2 with chunks of half a stage). Memory per chip follows Korthikanti 2022 (activations)
// and the ZeRO paper (model state). Every factor is in efficiency.toml; docs/planner.md derives
// each term.
package dev.sinter.planner;

import dev.sinter.planner.Layout.Recompute;
import dev.sinter.planner.Layout.Schedule;
import dev.sinter.telemetry.Flops;

/** Evaluates layouts. Stateless; safe to call from many threads. */
public final class CostModel {
  private CostModel() {}

  /** Checks the rules that tie a layout to the model and the cluster; the message names the key. */
  public static void check(Job job, Layout l) {
    ModelSpec s = job.model().spec;
    long chips = job.cluster().count();
    if (l.chips() != chips) {
      throw new PlanException("layout", "tp x cp x pp x dp = " + l.tp() + " x " + l.cp() + " x " + l.pp() + " x "
          + l.dp() + " = " + l.chips() + " must equal the cluster's " + chips + " chips");
    }
    if (s.heads() % l.tp() != 0) {
      throw new PlanException("layout.tp", "tp = " + l.tp() + " must divide the model's " + s.heads()
          + " attention heads");
    }
    if (!s.mla() && s.kvHeads() % l.tp() != 0 && l.tp() % s.kvHeads() != 0) {
      throw new PlanException("layout.tp", "tp = " + l.tp() + " must divide kv_heads (" + s.kvHeads()
          + ") or be a multiple of it");
    }
    if (s.ffn() % l.tp() != 0) {
      throw new PlanException("layout.tp", "tp = " + l.tp() + " must divide ffn_dim (" + s.ffn() + ")");
    }
    if (l.pp() > s.layers()) {
      throw new PlanException("layout.pp", "pp = " + l.pp() + " exceeds the model's " + s.layers() + " layers");
    }
    if (l.schedule() == Schedule.INTERLEAVED) {
      if (s.layers() % ((long) l.pp() * l.vpp()) != 0) {
        throw new PlanException("layout.vpp", "layers (" + s.layers() + ") must be divisible by pp x vpp = "
            + l.pp() + " x " + l.vpp());
      }
      if (l.microBatches() % l.pp() != 0) {
        throw new PlanException("layout.gbs", "the interleaved schedule needs micro-batches (" + l.microBatches()
            + ") to be a multiple of pp (" + l.pp() + ")");
      }
    }
    if (l.schedule() == Schedule.DUALPIPE && l.microBatches() < l.pp()) {
      throw new PlanException("layout.gbs", "dualpipe needs at least pp (" + l.pp() + ") micro-batches, got "
          + l.microBatches());
    }
    if (l.ep() > 1) {
      if (!s.isMoe()) {
        throw new PlanException("layout.ep", "ep = " + l.ep() + " needs a mixture-of-experts model");
      }
      if (s.routedExperts() % l.ep() != 0) {
        throw new PlanException("layout.ep", "ep = " + l.ep() + " must divide the " + s.routedExperts()
            + " routed experts");
      }
      if (((long) l.tp() * l.cp() * l.dp()) % l.ep() != 0) {
        throw new PlanException("layout.ep", "ep = " + l.ep() + " must divide tp x cp x dp = "
            + (long) l.tp() * l.cp() * l.dp() + " (experts are sharded over those ranks)");
      }
    }
    if (job.seqLen() % l.cp() != 0) {
      throw new PlanException("layout.cp", "cp = " + l.cp() + " must divide the sequence length " + job.seqLen());
    }
    job.cluster().chip().peakFlops(l.precision());
  }

  /** Checks, then evaluates one layout. */
  public static Estimate evaluate(Job job, Layout l) {
    check(job, l);
    return compute(job, l);
  }

  private static double quant(double rows, double tile) {
    if (rows <= 0) {
      return 1;
    }
    return rows / (tile * Math.ceil(rows / tile));
  }

  /** Evaluates a layout already known to pass {@link #check}. */
  static Estimate compute(Job job, Layout l) {
    ModelShape ms = job.model();
    ModelSpec s = ms.spec;
    Chip c = job.cluster().chip();
    Efficiency f = job.efficiency();
    final int t = l.tp();
    final int p = l.pp();
    final int v = l.vpp();
    final int cp = l.cp();
    final int dp = l.dp();
    final int ep = l.ep();
    final double seq = job.seqLen();
    final double b = l.microBatch();
    final double e = l.precision().activationBytes();
    final double w = l.precision().weightBytes();
    final double g = l.effectiveGradBytes();
    final double peak = c.peakFlops(l.precision());
    final double gemmRate = peak * f.gemmMax();
    final double memRate = c.hbmBytesPerS() * f.memoryEff();
    final double h = s.hidden();
    final double n = b * seq / cp;
    final double hRep = (l.seqParallel() && t > 1) ? 1.0 / t : 1.0;
    final double headsT = (double) s.heads() / t;
    final boolean drop = s.dropout();
    final boolean full = l.recompute() == Recompute.FULL;
    final double launch = f.gemmLaunchS();
    final double qTok = quant(n, f.gemmTile());

    // ---- one layer, one micro-batch, forward, on one chip
    double attnGemm = 2 * n * ms.attnParams / t / (gemmRate * qTok) + (s.mla() ? 5 : 2) * launch;
    double coreFull = 4 * b * (seq / cp) * seq * headsT * ms.attnHeadSize;
    double coreFwd = l.flash() ? 0.5 * coreFull / (peak * f.flashEff()) : coreFull / (peak * f.attentionEff());
    double coreBwd = (l.flash() ? 2.5 : 2.0) * coreFwd;
    double sMem = l.flash() ? 0
        : e * b * headsT * (seq / cp) * seq * (f.sPasses() + (drop ? f.sPassesDropout() : 0)) / memRate;
    double hMem = e * n * h * (f.hPasses() + (drop ? f.hPassesDropout() : 0)) * hRep / memRate
        + f.kernelsPerLayer() * f.vectorLaunchS();
    double fPass = s.gatedMlp() ? f.fPassesSwiglu() : f.fPassesGelu();
    double mlpGemm;
    double mlpMem;
    double epA2a = 0;
    if (s.isMoe()) {
      double nm = n / t;
      double k = s.activeExperts();
      double es = s.sharedExperts();
      double rows = nm * k * ep / s.routedExperts();
      double local = (double) s.routedExperts() / ep;
      mlpGemm = 2 * nm * k * ms.expertParams / (gemmRate * quant(rows, f.gemmTile())) + 2 * local * launch
          + (es > 0 ? 2 * nm * es * ms.expertParams / (gemmRate * quant(nm, f.gemmTile())) + 2 * es * launch : 0)
          + 2 * nm * ms.routerParams / gemmRate + launch;
      mlpMem = e * nm * ((k + es) * s.expertFfn() * fPass + 4 * k * h) / memRate;
      epA2a = Net.allToAll(c, nm * k * h * e, ep, 1);
    } else {
      mlpGemm = 2 * n * ms.denseMlpParams / t / (gemmRate * qTok) + 2 * launch;
      mlpMem = e * n * s.ffn() * fPass / t / memRate;
    }
    double gemmF = attnGemm + mlpGemm;
    double memF = sMem + hMem + mlpMem;

    // ---- per layer per micro-batch: first pass (fwd + bwd), recomputation, exposed communication
    double lGemm = 3 * gemmF;
    double lAttn = coreFwd + coreBwd;
    double lMem = 3 * memF;
    double lRc = full ? gemmF + coreFwd + memF
        : (l.recompute() == Recompute.SELECTIVE && !l.flash()) ? coreFwd + sMem : 0;
    double passes = 2 + (full ? 1 : 0);
    double lTp = t > 1 ? (s.parallelBlock() ? 1 : 2) * passes * Net.allReduce(c, n * h * e, t, 1) * (1 - f.tpOverlap())
        : 0;
    double epOv = l.schedule() == Schedule.DUALPIPE ? f.epOverlapDualpipe() : f.epOverlap();
    double lEp = s.isMoe() ? 2 * passes * epA2a * (1 - epOv) : 0;
    double lCp = 0;
    if (cp > 1) {
      double kvWidth = s.mla() ? (double) s.heads() * (s.headDim() + s.vHeadDim()) : 2.0 * s.kvHeads() * s.headDim();
      double kv = b * seq * kvWidth / t * e;
      double comm = (3 + (full ? 1 : 0)) * Net.gather(c, kv, cp, t);
      lCp = Math.max(0, comm - f.cpOverlap() * lAttn);
    }

    // ---- stages: ⌈L/p⌉ layers on the bulk stages, ⌊L/p⌋ + head + loss + MTP on the last
    int lMax = (s.layers() + p - 1) / p;
    int lLast = s.layers() / p;
    int mtp = s.mtpDepth();
    double heads = 1 + mtp;
    double headGemm = 3 * heads * (2 * n * h * s.vocab() / t / (gemmRate * qTok) + launch)
        + 3 * mtp * (2 * n * 2 * h * h / t / (gemmRate * qTok) + launch);
    double headMem = heads * n * s.vocab() / t * f.lossBytes() / memRate;
    double[] bulk = {lMax * lGemm, lMax * lAttn, lMax * lMem, lMax * lRc, lMax * lTp, lMax * lEp, lMax * lCp};
    int lastLayers = lLast + mtp;
    double[] last = {lastLayers * lGemm + headGemm, lastLayers * lAttn, lastLayers * lMem + headMem,
        lastLayers * lRc, lastLayers * lTp, lastLayers * lEp, lastLayers * lCp};
    double[] st = sum(last) > sum(bulk) ? last : bulk;
    int stLayers = st == last ? lastLayers : lMax;
    double stage = sum(st);

    double pp2p = p > 1 ? 2 * (l.schedule() == Schedule.DUALPIPE ? 2 : v)
        * Net.p2p(c, n * h * e / t, (long) t * cp * dp) : 0;

    // ---- parameters per chip (before any ZeRO sharding), for DP sync, optimizer, ZeRO-3
    double routedLayer = ms.moeRoutedParams;
    double layerNonRouted = s.isMoe() ? ms.moeLayerParams - routedLayer : ms.denseLayerParams;
    double routedTotal = (ms.moe + (s.isMoe() ? mtp : 0)) * routedLayer;
    double nonRoutedTotal = ms.totalParams - routedTotal;
    double pDense;
    double pExp;
    if (p == 1) {
      pDense = nonRoutedTotal / t;
      pExp = routedTotal / ep;
    } else {
      pDense = (lMax * layerNonRouted + ms.embedParams) / t;
      pExp = (s.isMoe() ? lMax * routedLayer : 0) / ep;
    }
    double dual = l.schedule() == Schedule.DUALPIPE ? 2 : 1;
    int dpGroup = dp * cp;
    int edp = Math.max(1, t * cp * dp / ep);
    // ZeRO shards over the whole DP group, or (hybrid) over its members inside one domain
    int zg = l.hsdp() ? Net.membersPerDomain(dpGroup, t, c.upDomain()) : dpGroup;
    int zk = dpGroup / zg;

    double zero3 = 0;
    if (l.zero() == 3) {
      double pc = pDense + pExp;
      double comm = ((2 + (full ? 1 : 0)) * Net.gatherFlat(c, pc * w, zg, t) + Net.gatherFlat(c, pc * g, zg, t))
          / f.zero3CommEff();
      zero3 = comm - f.zero3Overlap() * Math.min(comm, stage);
    }
    double mb = stage + pp2p + zero3;
    long m = l.microBatches();
    double bubble;
    if (p == 1) {
      bubble = 0;
    } else if (l.schedule() == Schedule.INTERLEAVED) {
      bubble = (p - 1.0) / v * mb;
    } else if (l.schedule() == Schedule.DUALPIPE) {
      double fwd = stLayers * (gemmF + coreFwd + memF);
      double wgt = stLayers * gemmF;
      double bIn = stLayers * (gemmF + coreBwd + 2 * memF + lRc);
      bubble = Math.max(0, (p / 2.0 - 1) * (fwd + 2 * bIn - 3 * wgt) / 2);
    } else {
      bubble = (p - 1.0) * mb;
    }

    double dpComm = 0;
    if (l.zero() == 0) {
      dpComm = Net.allReduce(c, pDense * g * dual, dpGroup, t) + Net.allReduce(c, pExp * g * dual, edp, ep);
    } else if (l.zero() <= 2) {
      dpComm = Net.gather(c, pDense * (g + w) * dual, zg, t) + Net.gather(c, pExp * (g + w) * dual, edp, ep);
    }
    if (l.zero() >= 1 && zk > 1) {
      dpComm += Net.allReduce(c, pDense * g * dual / zg, zk, (long) t * zg); // hybrid: shards across domains
    }
    double lastBwd = stLayers * (2 * gemmF + coreBwd + 2 * memF) / v;
    double dpExposed = l.overlapDp() ? Math.max(0, dpComm - lastBwd) : dpComm;
    double optParams = (pDense / (l.zero() >= 1 ? zg : 1) + pExp / (l.zero() >= 1 ? edp : 1)) * dual;
    double optimizer = optParams * f.optimizerBytes() / memRate;

    double step = m * mb + bubble + dpExposed + optimizer;
    Estimate.Breakdown bd = new Estimate.Breakdown(m * st[0], m * st[1], m * st[2], m * st[3], m * st[4], m * st[5],
        m * st[6], m * pp2p, m * zero3, bubble, dpExposed, optimizer);

    // ---- throughput and utilisation, through the engine's FLOPs formula
    Flops.Shape shape = ms.flopsShape(job.seqLen());
    double model = Flops.modelPerToken(shape);
    double hw = full ? Flops.hardwarePerToken(shape, true)
        : (l.recompute() == Recompute.SELECTIVE && !l.flash()) ? model + Flops.attentionForwardPerToken(shape) : model;
    double tps = l.globalBatch() * seq / step;
    double basis = c.mfuBasisFlops(l.precision());
    double chips = job.cluster().count();
    Estimate.MemoryUse mem = MemoryModel.perChip(job, l, lMax, lLast, pDense, pExp, dual, zg, edp);
    boolean fits = mem.total() <= mem.usable();
    return new Estimate(l, fits, fits ? "" : MemoryModel.reason(mem), step, bd, tps, tps * model / (chips * basis),
        tps * hw / (chips * basis), model, hw, basis, mem);
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double x : a) {
      s += x;
    }
    return s;
  }
}
