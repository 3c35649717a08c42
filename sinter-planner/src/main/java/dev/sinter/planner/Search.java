// Layout search: enumerate every layout of a model on a cluster that the rules allow (TP within the
// scale-up domain dividing the heads, CP, PP up to the layer count, interleaving, DualPipe, EP
// dividing the experts, ZeRO 0-3 with or without hybrid sharding, recomputation, micro-batch),
// evaluate each with the closed-form cost model and keep the fastest that fits in memory.
// Layouts that do not fit are counted by the memory term that overflows and the closest ones are
// kept, so "nothing fits" always comes with the reason.
package dev.sinter.planner;

import dev.sinter.planner.Layout.Recompute;
import dev.sinter.planner.Layout.Schedule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Exhaustive layout search. */
public final class Search {
  private Search() {}

  /**
   * What the search may vary.
   *
   * @param precision   training precision (fixed)
   * @param globalBatch sequences per step (fixed)
   * @param microBatches micro-batch sizes to try
   * @param maxCp       largest context-parallel degree to try
   * @param flash       fused attention (modern default: true)
   * @param keep        how many of the best feasible layouts to return
   */
  public record Options(Precision precision, long globalBatch, int[] microBatches, int maxCp, boolean flash, int keep) {
    /** Checks the values. */
    public Options {
      if (globalBatch < 1) {
        throw new PlanException("--gbs", "the search needs a global batch (the model file has none): give --gbs N");
      }
      if (microBatches.length == 0 || maxCp < 1 || keep < 1) {
        throw new PlanException("search", "needs micro-batch sizes, maxCp >= 1 and keep >= 1");
      }
      microBatches = microBatches.clone();
    }

    /** Defaults: micro-batches 1, 2, 4, 8; CP up to 8; flash; keep 10. */
    public static Options defaults(Precision p, long gbs) {
      return new Options(p, gbs, new int[] {1, 2, 4, 8}, 8, true, 10);
    }
  }

  /**
   * The outcome.
   *
   * @param best            the fastest feasible layout, or null when none fits
   * @param top             the fastest feasible layouts, best first
   * @param closest         when nothing fits: the layouts closest to fitting, with their reasons
   * @param candidates      layouts evaluated
   * @param feasible        of which fit in memory
   * @param overflowByTerm  infeasible layouts counted by the memory term that overflows most
   * @param elapsedS        search time
   */
  public record Result(Estimate best, List<Estimate> top, List<Estimate> closest, long candidates, long feasible,
      Map<String, Long> overflowByTerm, double elapsedS) {}

  /** Virtual stages per pipeline stage tried with the interleaved schedule; the others run one. */
  private static final int[] INTERLEAVED_VPP = {2, 3, 4, 6, 8};
  private static final int[] NO_VPP = {1};

  /** Runs the search. */
  public static Result run(Job job, Options o) {
    long t0 = System.nanoTime();
    ModelSpec s = job.model().spec;
    Chip chip = job.cluster().chip();
    chip.peakFlops(o.precision());
    int n = job.cluster().count();
    int domain = chip.upDomain();
    List<Estimate> top = new ArrayList<>();
    List<Estimate> closest = new ArrayList<>();
    Map<String, Long> over = new LinkedHashMap<>();
    long cand = 0;
    long fits = 0;
    Recompute[] rcs = o.flash() ? new Recompute[] {Recompute.NONE, Recompute.FULL} : Recompute.values();
    for (int tp = 1; tp <= Math.min(domain, s.heads()); tp++) {
      if (n % tp != 0 || s.heads() % tp != 0 || s.ffn() % tp != 0
          || (!s.mla() && s.kvHeads() % tp != 0 && tp % s.kvHeads() != 0)) {
        continue;
      }
      for (int cp = 1; cp <= o.maxCp(); cp *= 2) {
        if ((n / tp) % cp != 0 || job.seqLen() % cp != 0) {
          continue;
        }
        int rest = n / tp / cp;
        for (int pp = 1; pp <= Math.min(rest, s.layers()); pp++) {
          if (rest % pp != 0) {
            continue;
          }
          int dp = rest / pp;
          for (int mbs : o.microBatches()) {
            if (o.globalBatch() % ((long) dp * mbs) != 0) {
              continue;
            }
            long m = o.globalBatch() / ((long) dp * mbs);
            for (Schedule sc : Schedule.values()) {
              for (int vpp : sc == Schedule.INTERLEAVED ? INTERLEAVED_VPP : NO_VPP) {
                if (sc != Schedule.ONE_F_ONE_B && pp == 1) {
                  continue;
                }
                if (sc == Schedule.INTERLEAVED && (s.layers() % (pp * vpp) != 0 || m % pp != 0)) {
                  continue;
                }
                if (sc == Schedule.DUALPIPE && (pp % 2 != 0 || m < pp)) {
                  continue;
                }
                for (int ep = 1; ep <= (s.isMoe() ? s.routedExperts() : 1); ep++) {
                  if (s.isMoe() && (s.routedExperts() % ep != 0 || ((long) tp * cp * dp) % ep != 0)) {
                    continue;
                  }
                  for (int zero = 0; zero <= (pp == 1 ? 3 : 1); zero++) {
                    boolean spans = (long) dp * cp * tp > domain;
                    for (int hs = 0; hs <= (zero >= 1 && spans && dp * cp > 1 ? 1 : 0); hs++) {
                      for (Recompute rc : rcs) {
                        Layout l = new Layout(tp, pp, vpp, dp, ep, cp, zero, rc, mbs, o.globalBatch(), o.precision(),
                            sc, tp > 1, o.flash(), true, 0, hs == 1);
                        Estimate e = CostModel.compute(job, l);
                        cand++;
                        if (e.feasible()) {
                          fits++;
                          keepBest(top, e, o.keep());
                        } else {
                          over.merge(MemoryModel.bindingTerm(e.memory()), 1L, Long::sum);
                          if (fits == 0) {
                            keepClosest(closest, e, 5);
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return new Result(top.isEmpty() ? null : top.get(0), List.copyOf(top), fits > 0 ? List.of() : List.copyOf(closest),
        cand, fits, over, (System.nanoTime() - t0) / 1e9);
  }

  private static final Comparator<Estimate> FASTEST = Comparator.comparingDouble(Estimate::stepS)
      .thenComparingDouble(e -> e.memory().total());

  private static void keepBest(List<Estimate> top, Estimate e, int keep) {
    if (top.size() == keep && FASTEST.compare(e, top.get(keep - 1)) >= 0) {
      return;
    }
    int i = 0;
    while (i < top.size() && FASTEST.compare(top.get(i), e) <= 0) {
      i++;
    }
    top.add(i, e);
    if (top.size() > keep) {
      top.remove(top.size() - 1);
    }
  }

  private static void keepClosest(List<Estimate> list, Estimate e, int keep) {
    Comparator<Estimate> c = Comparator.comparingDouble(x -> x.memory().total() / x.memory().usable());
    list.add(e);
    list.sort(c);
    if (list.size() > keep) {
      list.remove(list.size() - 1);
    }
  }
}
