// One accelerator (or the local CPU) as the cost model sees it: peaks, memory, the two network
// tiers and power, in SI units, plus the sourced figures they were read from.
package dev.sinter.planner;

import java.util.List;
import java.util.Map;

/**
 * A chip of the hardware catalog. Throughputs are in FLOP/s and bytes/s, latencies in seconds,
 * power in watts; NaN means "not published".
 *
 * @param id            catalog id, e.g. "nvidia_h100"
 * @param name          human name
 * @param aliases       other names accepted on the command line
 * @param profile       name of the efficiency profile (efficiency.toml) the chip uses
 * @param bf16Flops     dense BF16 peak
 * @param fp16Flops     dense FP16 peak
 * @param fp8Flops      dense FP8 peak
 * @param fp32Flops     FP32 peak (the CPU; GPUs' non-tensor FP32 is not catalogued)
 * @param hbmBytes      device memory
 * @param hbmBytesPerS  device memory bandwidth
 * @param upBytesPerS   scale-up bandwidth per chip, per direction
 * @param upDomain      chips in one scale-up domain (node, NVL72 rack, CloudMatrix384)
 * @param upLatencyS    scale-up latency per message step
 * @param upEfficiency  achievable fraction of scale-up bandwidth
 * @param outBytesPerS  scale-out bandwidth per chip
 * @param outLatencyS   scale-out latency per message step
 * @param outEfficiency achievable fraction of scale-out bandwidth
 * @param tdpW          chip power (TDP)
 * @param allInW        the chip's share of node, rack and network power
 * @param figures       every figure by field name, with status and source
 */
public record Chip(String id, String name, List<String> aliases, String profile,
    double bf16Flops, double fp16Flops, double fp8Flops, double fp32Flops,
    double hbmBytes, double hbmBytesPerS,
    double upBytesPerS, int upDomain, double upLatencyS, double upEfficiency,
    double outBytesPerS, double outLatencyS, double outEfficiency,
    double tdpW, double allInW, Map<String, Figure> figures) {

  /** Checks what the cost model divides by. */
  public Chip {
    positive(id, "hbm_gb", hbmBytes);
    positive(id, "hbm_tbps", hbmBytesPerS);
    positive(id, "scaleup_gbyte_s", upBytesPerS);
    positive(id, "scaleout_gbit_s", outBytesPerS);
    if (upDomain < 1) {
      throw new PlanException(id + ".scaleup_domain", "must be >= 1, got " + upDomain);
    }
    if (!(upEfficiency > 0 && upEfficiency <= 1) || !(outEfficiency > 0 && outEfficiency <= 1)) {
      throw new PlanException(id + ".scale*_efficiency", "must be in (0, 1]");
    }
    if (!(bf16Flops > 0) && !(fp32Flops > 0)) {
      throw new PlanException(id, "needs a bf16_tflops or an fp32_tflops peak");
    }
    aliases = List.copyOf(aliases);
    figures = Map.copyOf(figures);
  }

  private static void positive(String id, String field, double v) {
    if (!(v > 0)) {
      throw new PlanException(id + "." + field, "must be a positive number, got " + v);
    }
  }

  /** Dense peak FLOP/s at a precision; fp8 layouts run their matmuls at the fp8 peak. */
  public double peakFlops(Precision p) {
    double f = switch (p) {
      case BF16 -> bf16Flops;
      case FP16 -> fp16Flops;
      case FP8 -> fp8Flops;
      case FP32 -> fp32Flops;
    };
    if (!(f > 0)) {
      throw new PlanException("layout.precision", chipLabel() + " has no published " + p.label()
          + " peak (catalog field " + p.label() + "_tflops)");
    }
    return f;
  }

  /**
   * The peak MFU is quoted against: the precision's own peak, except fp8, which is quoted against
   * bf16 as DeepSeek and most reports do ("BF16-equivalent").
   */
  public double mfuBasisFlops(Precision p) {
    return p == Precision.FP8 ? peakFlops(Precision.BF16) : peakFlops(p);
  }

  /** Whether the chip can train at this precision. */
  public boolean supports(Precision p) {
    return switch (p) {
      case BF16 -> bf16Flops > 0;
      case FP16 -> fp16Flops > 0;
      case FP8 -> fp8Flops > 0;
      case FP32 -> fp32Flops > 0;
    };
  }

  /** "id (name)". */
  public String chipLabel() {
    return id + " (" + name + ")";
  }

  /** The figure behind a field, or null. */
  public Figure figure(String field) {
    return figures.get(field);
  }

  /**
   * The same chip with every speed figure that has a published range at its low (false) or high
   * (true) end: peaks, memory bandwidth and network bandwidth. Used to carry ranges to results.
   */
  public Chip atRangeEnd(boolean high) {
    return new Chip(id, name, aliases, profile,
        end("bf16_tflops", bf16Flops, 1e12, high), end("fp16_tflops", fp16Flops, 1e12, high),
        end("fp8_tflops", fp8Flops, 1e12, high), end("fp32_tflops", fp32Flops, 1e12, high),
        hbmBytes, end("hbm_tbps", hbmBytesPerS, 1e12, high),
        end("scaleup_gbyte_s", upBytesPerS, 1e9, high), upDomain, upLatencyS, upEfficiency,
        end("scaleout_gbit_s", outBytesPerS, 1e9 / 8, high), outLatencyS, outEfficiency,
        tdpW, allInW, figures);
  }

  /** Whether any speed figure carries a range. */
  public boolean hasSpeedRange() {
    for (String f : new String[] {"bf16_tflops", "fp16_tflops", "fp8_tflops", "fp32_tflops", "hbm_tbps",
        "scaleup_gbyte_s", "scaleout_gbit_s"}) {
      Figure g = figures.get(f);
      if (g != null && g.isRange()) {
        return true;
      }
    }
    return false;
  }

  private double end(String field, double current, double scale, boolean high) {
    Figure f = figures.get(field);
    if (f == null || !f.isRange()) {
      return current;
    }
    return (high ? f.high() : f.low()) * scale;
  }
}
