// The measurements behind `sinter plan calibrate`: the machine's peak, a ladder of matmuls, the
// attention kernel, streaming bandwidth, a tiny kernel's dispatch cost, the optimizer and the loss,
// each through the engine's own Kernels facade; and real training steps of a preset to compare
// with the prediction. The 2-vCPU machines are shared and noisy: every kernel is timed in several
// passes and keeps its fastest (or median) pass.
package dev.sinter.cli;

import dev.sinter.planner.Calibration;
import dev.sinter.telemetry.MachineProbe;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.bench.FmaPeak;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Measurements of the local machine for the planner. */
final class PlanMeasure {
  private PlanMeasure() {}

  /** A generic ladder of matmul shapes (m n k), square and transformer-like rectangles, small to large. */
  static final int[][] LADDER = {{128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
      {2048, 2048, 2048}, {2048, 256, 256}, {2048, 1024, 256}, {2048, 256, 1024}, {1024, 3072, 768},
      {1024, 768, 3072}, {4096, 512, 512}};

  /** Attention shape timed: B, T, NH, NKV, hs (the engine's attention benchmark's GQA shape). */
  static final int[] ATTENTION = {4, 512, 8, 2, 64};

  /**
   * Measures the machine.
   *
   * @param best   use the fastest of the timed repeats (the machine's capability when co-tenants come
   *     and go) rather than the median
   * @param passes passes over every probe
   * @param paired training steps run at the end of every pass (paired with that pass's kernels in
   *     time, so both see the same co-tenants); each returns seconds
   * @param stepsPerPass how many steps of each paired run per pass
   * @param stepTimes out: stepTimes[i] receives every step time of paired[i]
   */
  static Calibration.Measurements measure(int threads, boolean best, int passes,
      List<java.util.function.DoubleSupplier> paired, int stepsPerPass, List<List<Double>> stepTimes, PrintWriter log) {
    int n = ThreadPool.resolveThreads(threads);
    try (ThreadPool pool = new ThreadPool(n)) {
      FmaPeak.Result pk = FmaPeak.measure(pool, 1.0, 5);
      double peak = pk.perCoreGflops() * 1e9 * n; // per-core x threads, as the engine's MFU (see Peak)
      log.printf(java.util.Locale.ROOT, "peak: %.1f GFLOP/s per core x %d thread(s)%n", pk.perCoreGflops(), n);
      log.flush();
      Kernels k = Kernels.create("auto", pool);
      SplittableRandom rnd = new SplittableRandom(7);
      // JIT warm-up of the matmul paths before anything is timed (the first shape would otherwise
      // measure the compiler).
      float[] wx = random(1024 * 1024, rnd);
      float[] wy = new float[1024 * 1024];
      time(() -> {
        k.matmul(wy, 0, wx, 0, wx, 0, null, 0, 1024, 1024, 1024);
        k.matmulBackwardInput(wy, 0, wx, 0, wx, 0, 1024, 1024, 1024);
        k.matmulBackwardWeight(wy, 0, null, 0, wx, 0, wx, 0, 1024, 1024, 1024);
      }, 3.0, 1, best);
      // Every probe is timed once per pass; co-tenants that come and go hit some passes and not
      // others, and each probe keeps its best (or median) pass.
      List<Runnable> probes = new ArrayList<>();
      for (int[] s : LADDER) {
        float[] x = random(s[0] * s[2], rnd);
        float[] w = random(s[1] * s[2], rnd);
        float[] y = new float[s[0] * s[1]];
        float[] dx = new float[s[0] * s[2]];
        float[] dw = new float[s[1] * s[2]];
        // The three training forms, as one forward + backward of a linear layer.
        probes.add(() -> {
          k.matmul(y, 0, x, 0, w, 0, null, 0, s[0], s[1], s[2]);
          k.matmulBackwardInput(dx, 0, y, 0, w, 0, s[0], s[1], s[2]);
          k.matmulBackwardWeight(dw, 0, null, 0, y, 0, x, 0, s[0], s[1], s[2]);
        });
      }
      int b = ATTENTION[0];
      int tt = ATTENTION[1];
      int nh = ATTENTION[2];
      int nkv = ATTENTION[3];
      int hs = ATTENTION[4];
      float[] qkv = random(b * tt * (nh + 2 * nkv) * hs, rnd);
      float[] out = new float[b * tt * nh * hs];
      float[] dout = random(out.length, rnd);
      float[] lse = new float[b * nh * tt];
      float[] dqkv = new float[qkv.length];
      Runnable attention = () -> {
        k.attentionForward(out, 0, lse, 0, qkv, 0, b, tt, nh, nkv, hs);
        k.attentionBackward(dqkv, 0, dout, 0, qkv, 0, out, 0, lse, 0, b, tt, nh, nkv, hs);
      };
      probes.add(attention);
      int sn = 8 << 20;
      float[] a1 = random(sn, rnd);
      float[] a2 = random(sn, rnd);
      float[] a3 = new float[sn];
      probes.add(() -> k.add(a3, 0, a1, 0, a2, 0, sn));
      float[] t1 = new float[1024];
      probes.add(() -> {
        for (int i = 0; i < 100; i++) {
          k.add(t1, 0, t1, 0, t1, 0, 1024);
        }
      });
      float[] g = random(sn, rnd);
      float[] mo = new float[sn];
      float[] v = new float[sn];
      probes.add(() -> {
        k.sumOfSquares(g, 0, sn);
        k.adamw(a1, g, mo, v, 0, 0, sn, 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.1f, 0.05f);
        Arrays.fill(a3, 0f);
      });
      int rows = 512;
      int voc = 8192;
      float[] logits = random(rows * voc, rnd);
      float[] losses = new float[rows];
      int[] targets = new int[rows];
      probes.add(() -> k.crossEntropy(losses, 0, logits.clone(), 0, targets, 0, rows, voc, 1f));
      // Each pass times the groups in the order that leaves the JIT alone — matmuls, then attention,
      // then the memory-bound probes (timing them interleaved in another order once left the
      // attention kernel ~7x slower for the rest of the process) — and then the paired training steps.
      double[][] t = new double[probes.size()][passes];
      for (int pass = 0; pass < passes; pass++) {
        for (int i = 0; i < probes.size(); i++) {
          if (pass == 0 && i == LADDER.length) {
            for (int w = 0; w < 10; w++) { // as the engine's attention benchmark: >= 10 warm-up passes
              attention.run();
            }
          }
          t[i][pass] = time(probes.get(i), 0.3, 5, best);
        }
        for (int i = 0; i < paired.size(); i++) {
          for (int r = 0; r < stepsPerPass; r++) {
            stepTimes.get(i).add(paired.get(i).getAsDouble());
          }
        }
        log.printf(java.util.Locale.ROOT, "pass %d/%d: attention %.1f ms (load %s)%n", pass + 1, passes,
            t[LADDER.length][pass] * 1e3, load());
        log.flush();
      }
      double[] sec = new double[probes.size()];
      for (int i = 0; i < sec.length; i++) {
        Arrays.sort(t[i]);
        sec[i] = best ? t[i][0] : t[i][passes / 2];
      }
      List<Calibration.GemmPoint> pts = new ArrayList<>();
      for (int i = 0; i < LADDER.length; i++) {
        int[] s = LADDER[i];
        pts.add(new Calibration.GemmPoint(s[0], s[1], s[2], sec[i] / 3));
        log.printf(java.util.Locale.ROOT, "matmul %dx%dx%d: %.2f ms per form, %.1f GFLOP/s%n", s[0], s[1], s[2],
            sec[i] / 3 * 1e3, 2.0 * s[0] * s[1] * s[2] / (sec[i] / 3) / 1e9);
      }
      int j = LADDER.length;
      double att = sec[j];
      double attFull = 4.0 * b * tt * (double) tt * nh * hs;
      double stream = 12.0 * sn / sec[j + 1];
      double tiny = sec[j + 2] / 100;
      double opt = sec[j + 3] / sn;
      double loss = sec[j + 4] / ((double) rows * voc);
      log.printf(java.util.Locale.ROOT, "attention B%d T%d NH%d NKV%d hs%d: %.2f ms forward + backward%n", b, tt, nh,
          nkv, hs, att * 1e3);
      log.printf(java.util.Locale.ROOT, "stream %.1f GB/s, tiny kernel %.2f us, optimizer %.2f ns/param, loss %.2f"
          + " ns/logit%n", stream / 1e9, tiny * 1e6, opt * 1e9, loss * 1e9);
      log.flush();
      MachineProbe m = MachineProbe.probe();
      return new Calibration.Measurements(m.cpu(), n, peak, m.memoryBytes(), pts, attFull, att, stream, tiny, opt,
          loss);
    }
  }

  /** The 1-minute load average, or "unknown". */
  static String load() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static float[] random(int n, SplittableRandom r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextDouble() * 2 - 1) * 0.1f;
    }
    return a;
  }

  /**
   * Seconds of one call: the median (or, when {@code best}, the minimum) of {@code reps} timed calls
   * after at least 3 calls and {@code warmupS} seconds of warm-up.
   */
  static double time(Runnable r, double warmupS, int reps, boolean best) {
    long end = System.nanoTime() + (long) (warmupS * 1e9);
    int w = 0;
    while (w < 3 || System.nanoTime() < end) {
      r.run();
      w++;
    }
    double[] t = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r.run();
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(t);
    return best ? t[0] : t[reps / 2];
  }

  /**
   * A trainer of an engine preset on synthetic data, warmed up, whose steps can be timed one at a
   * time (the caller closes it).
   */
  static Trainer trainer(String preset, int threads, int warmup, boolean recompute) {
    List<String> sets = new ArrayList<>(List.of("train.steps=100000", "train.threads=" + threads,
        "train.recompute=" + recompute, "data.source=\"synthetic\"", "optim.warmup_steps=0"));
    TrainConfig cfg = ConfigLoader.load(preset, null, sets);
    Trainer t = new Trainer(cfg, 1e11);
    for (int i = 0; i < warmup; i++) {
      t.trainStep();
    }
    return t;
  }
}
