// Turns measurements of the local machine into a "local" chip and a "local-cpu" efficiency profile,
// so that `sinter plan` can predict a local training run with the same cost model it uses for
// clusters. The measurements come from the engine's kernels (`sinter plan calibrate` takes them
// through sinter-tensor); this class only fits and writes, so the planner never runs a model.
//   peak         per-core FMA peak × threads (as the engine's MFU uses)
//   matmul       least squares (relative errors) of t = F / (gemm_max · peak) + gemm_launch over a
//                ladder of shapes
//   attention    flash_eff = executed causal FLOPs (forward + 2.5 × forward) / (peak · measured time)
//   memory       hbm_tbps = measured streaming bandwidth (out = a + b), memory_eff = 1
//   launch       vector_launch = time of a tiny elementwise kernel (thread-pool dispatch)
//   optimizer    bytes-equivalent of AdamW + zeroing + gradient norm per parameter at that bandwidth
//   loss         bytes-equivalent of the fused cross-entropy per logit
// The pass counts (h_passes, f_passes_*) are the accelerator profile's, not fitted.
package dev.sinter.planner;

import java.util.List;
import java.util.Locale;

/** Fits the local machine's chip entry and efficiency profile. */
public final class Calibration {
  private Calibration() {}

  /**
   * One timed matmul.
   *
   * @param m rows
   * @param n columns
   * @param k inner dimension
   * @param seconds median seconds per call
   */
  public record GemmPoint(int m, int n, int k, double seconds) {
    /** 2·m·n·k. */
    public double flops() {
      return 2.0 * m * n * k;
    }
  }

  /**
   * What was measured.
   *
   * @param cpu                 CPU name
   * @param threads             threads used
   * @param peakFlops           peak FLOP/s for those threads
   * @param memoryBytes         RAM
   * @param gemm                timed matmuls
   * @param attentionFullFlops  4·B·T·T·NH·hs of the timed attention shape (full count)
   * @param attentionSeconds    forward + backward seconds of that shape
   * @param streamBytesPerS     measured streaming bandwidth
   * @param tinyKernelS         seconds of a tiny elementwise kernel
   * @param optimizerSPerParam  seconds per parameter of one optimizer step (AdamW, zeroing, norm)
   * @param lossSPerLogit       seconds per logit of the fused cross-entropy
   */
  public record Measurements(String cpu, int threads, double peakFlops, double memoryBytes, List<GemmPoint> gemm,
      double attentionFullFlops, double attentionSeconds, double streamBytesPerS, double tinyKernelS,
      double optimizerSPerParam, double lossSPerLogit) {
    /** Checks the numbers are usable. */
    public Measurements {
      if (!(peakFlops > 0) || !(streamBytesPerS > 0) || gemm.size() < 2 || !(attentionSeconds > 0)) {
        throw new PlanException("calibration", "needs a positive peak and bandwidth, >= 2 matmul points and an"
            + " attention time");
      }
      gemm = List.copyOf(gemm);
    }
  }

  /**
   * The fit.
   *
   * @param gemmMax    fitted fraction of peak of large matmuls
   * @param gemmLaunchS fitted fixed cost per matmul
   * @param flashEff   attention efficiency on executed causal FLOPs
   * @param r2         coefficient of determination of the matmul fit
   */
  public record Fit(double gemmMax, double gemmLaunchS, double flashEff, double r2) {}

  /**
   * Weighted least-squares fit of t = a·F + t0 over the matmul ladder, weights 1/t² so that small and
   * large shapes count alike (relative errors), and the attention efficiency.
   */
  public static Fit fit(Measurements m) {
    double sw = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (GemmPoint p : m.gemm()) {
      double w = 1 / (p.seconds() * p.seconds());
      sw += w;
      sx += w * p.flops();
      sy += w * p.seconds();
      sxx += w * p.flops() * p.flops();
      sxy += w * p.flops() * p.seconds();
    }
    double a = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
    double t0 = (sy - a * sx) / sw;
    if (t0 < 0) { // a negative intercept is noise: refit through the origin
      t0 = 0;
      a = sxy / sxx;
    }
    double mean = sy / sw;
    double ssTot = 0;
    double ssRes = 0;
    for (GemmPoint p : m.gemm()) {
      double w = 1 / (p.seconds() * p.seconds());
      ssTot += w * (p.seconds() - mean) * (p.seconds() - mean);
      double r = p.seconds() - (a * p.flops() + t0);
      ssRes += w * r * r;
    }
    double gemmMax = Math.min(1, 1 / (a * m.peakFlops()));
    double flash = Math.min(1, 0.5 * m.attentionFullFlops() * 3.5 / (m.peakFlops() * m.attentionSeconds()));
    return new Fit(gemmMax, t0, flash, ssTot > 0 ? 1 - ssRes / ssTot : 1);
  }

  /** The chip entry (chips.tsv format) for the local machine. */
  public static String chipTsv(Measurements m, String command) {
    StringBuilder b = new StringBuilder();
    b.append("# The local machine as a chip, written by `").append(command).append("`.\n");
    b.append("chip\tfield\tvalue\tlow\thigh\tunit\tstatus\tsource\n");
    String src = "measured by " + command;
    row(b, "name", "local CPU: " + m.cpu().replace('\t', ' ') + ", " + m.threads() + " thread(s)", "text", "MEASURED", src);
    row(b, "aliases", "cpu,localhost", "text", "DERIVED", "ours");
    row(b, "fp32_tflops", num(m.peakFlops() / 1e12), "TFLOP/s", "MEASURED",
        "per-core fp32 FMA peak x threads (dev.sinter.tensor.bench.FmaPeak), " + src);
    row(b, "bf16_tflops", "n/a", "TFLOP/s", "MEASURED", "the CPU engine trains in fp32 only");
    row(b, "hbm_gb", num(m.memoryBytes() / 1e9), "GB", "MEASURED", "RAM (/proc/meminfo), " + src);
    row(b, "hbm_tbps", num(m.streamBytesPerS() / 1e12), "TB/s", "MEASURED",
        "streaming bandwidth of the engine's add kernel (12 bytes per element), " + src);
    row(b, "scaleup_gbyte_s", num(m.streamBytesPerS() / 1e9), "GB/s", "ESTIMATE", "one machine: memory copy");
    row(b, "scaleup_domain", "1", "chips", "DERIVED", "the machine is one chip");
    row(b, "scaleup_latency_us", "1", "us", "ESTIMATE", "unused for one chip");
    row(b, "scaleup_efficiency", "1", "ratio", "ESTIMATE", "unused for one chip");
    row(b, "scaleout_gbit_s", "10", "Gb/s", "ESTIMATE", "unused for one chip");
    row(b, "scaleout_latency_us", "50", "us", "ESTIMATE", "unused for one chip");
    row(b, "scaleout_efficiency", "1", "ratio", "ESTIMATE", "unused for one chip");
    row(b, "tdp_w", num(4.4 * m.threads()), "W", "ESTIMATE",
        "4.4 W per busy core (AMD EPYC 7763: 280 W / 64 cores; the engine's energy estimate)");
    row(b, "allin_w", "n/a", "W", "ESTIMATE", "not measured");
    row(b, "profile", "local-cpu", "text", "DERIVED", "ours");
    return b.toString();
  }

  private static void row(StringBuilder b, String field, String value, String unit, String status, String source) {
    b.append("local\t").append(field).append('\t').append(value).append("\t\t\t").append(unit).append('\t')
        .append(status).append('\t').append(source).append('\n');
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  /** The local-cpu efficiency profile (efficiency.toml format), starting from {@code template}'s pass counts. */
  public static String profileToml(Measurements m, Fit fit, Efficiency template, String command) {
    double bw = m.streamBytesPerS();
    double optBytes = m.optimizerSPerParam() * bw;
    double lossBytes = m.lossSPerLogit() * bw;
    StringBuilder b = new StringBuilder("# The local-cpu efficiency profile, written by `" + command + "`.\n");
    b.append(String.format(Locale.ROOT, "# matmul fit over %d shapes: r^2 = %.3f%n", m.gemm().size(), fit.r2()));
    b.append("[local-cpu]\n");
    String[][] kv = {
        {"gemm_max", num(fit.gemmMax())}, {"gemm_launch_us", num(fit.gemmLaunchS() * 1e6)}, {"gemm_tile", "8"},
        {"attention_eff", num(fit.flashEff())}, {"flash_eff", num(fit.flashEff())}, {"memory_eff", "1.0"},
        {"vector_launch_us", num(m.tinyKernelS() * 1e6)}, {"optimizer_bytes", num(optBytes)},
        {"loss_bytes", num(lossBytes)}};
    for (String[] e : kv) {
      b.append(e[0]).append(" = ").append(e[1]).append('\n');
    }
    for (String k : Efficiency.FACTORS) {
      boolean done = false;
      for (String[] e : kv) {
        done |= e[0].equals(k);
      }
      if (!done) {
        b.append(k).append(" = ").append(num(template.get(k))).append('\n');
      }
    }
    b.append("\n[local-cpu.sources]\n");
    b.append("gemm_max = \"MEASURED: least-squares fit of t = F/(gemm_max*peak) + launch over the matmul ladder\"\n");
    b.append("gemm_launch_us = \"MEASURED: intercept of the same fit\"\n");
    b.append("gemm_tile = \"ESTIMATE: register block rows of the CPU micro-kernel (4-6), rounded up\"\n");
    b.append("flash_eff = \"MEASURED: the engine's tiled causal attention, forward + backward\"\n");
    b.append("attention_eff = \"MEASURED: same kernel (the engine never materialises T x T)\"\n");
    b.append("memory_eff = \"MEASURED: the chip's bandwidth is the measured streaming rate\"\n");
    b.append("vector_launch_us = \"MEASURED: a 1024-element add (thread-pool dispatch)\"\n");
    b.append("optimizer_bytes = \"MEASURED: AdamW + zeroing + gradient norm per parameter, as bytes at the stream rate\"\n");
    b.append("loss_bytes = \"MEASURED: fused cross-entropy per logit, as bytes at the stream rate\"\n");
    b.append("other = \"the pass counts and overlaps are the accelerator profile's (ESTIMATE)\"\n");
    return b.toString();
  }
}
