// The number format a layout trains in: which peak the compute runs against, and how many bytes an
// activation, a weight and a gradient take.
package dev.sinter.planner;

import java.util.Locale;

/** Training precision. */
public enum Precision {
  /** bf16 compute, fp32 master weights and gradients (Megatron default: 2 + 4 + 12 bytes/param). */
  BF16(2, 2, 4),
  /** fp16 compute with loss scaling; fp16 gradients (ZeRO paper's mixed precision: 2 + 2 + 12). */
  FP16(2, 2, 2),
  /** fp8 matmuls (DeepSeek-V3 style), bf16 activations kept, fp32 master and gradients. */
  FP8(2, 2, 4),
  /** Everything fp32 (the CPU engine): 4 + 4 bytes, AdamW moments 8 (no separate master copy). */
  FP32(4, 4, 4);

  private final int activationBytes;
  private final int weightBytes;
  private final int gradBytes;

  Precision(int activationBytes, int weightBytes, int gradBytes) {
    this.activationBytes = activationBytes;
    this.weightBytes = weightBytes;
    this.gradBytes = gradBytes;
  }

  /** Bytes of one stored activation element. */
  public int activationBytes() {
    return activationBytes;
  }

  /** Bytes of one working-copy weight (what forward reads and ZeRO-3 gathers). */
  public int weightBytes() {
    return weightBytes;
  }

  /** Bytes of one gradient as kept and reduced (Megatron keeps fp32 main gradients for bf16). */
  public int defaultGradBytes() {
    return gradBytes;
  }

  /**
   * Bytes of optimizer state per parameter: fp32 master copy + Adam m and v (12, the ZeRO paper's
   * K), or just m and v (8) when the weights are fp32 already.
   */
  public int optimizerBytes() {
    return this == FP32 ? 8 : 12;
  }

  /** Parses "bf16", "fp16", "fp8" or "fp32". */
  public static Precision parse(String s, String key) {
    try {
      return valueOf(s.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new PlanException(key, "unknown precision \"" + s + "\" (allowed: bf16, fp16, fp8, fp32)");
    }
  }

  /** Lower-case name as written in files and on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
