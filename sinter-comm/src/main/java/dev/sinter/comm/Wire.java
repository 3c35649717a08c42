// Precision of data on the wire. Gradients tolerate bf16 in transit (half the bytes); parameters
// and optimizer state do not, so callers choose per call.
package dev.sinter.comm;

/** How floats travel between ranks. */
public enum Wire {
  /** 4 bytes per value, exact. */
  FP32(4),
  /** 2 bytes per value: bfloat16, rounded to nearest even; sums are still accumulated in fp32. */
  BF16(2);

  /** Bytes per value on the wire. */
  public final int bytes;

  Wire(int bytes) {
    this.bytes = bytes;
  }

  /** The value after a round trip through this precision. */
  public float round(float x) {
    return this == FP32 ? x : fromBf16(toBf16(x));
  }

  /** Rounds to the nearest bfloat16 (ties to even); NaN stays NaN. */
  public static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** Widens a bfloat16 to float exactly. */
  public static float fromBf16(short h) {
    return Float.intBitsToFloat((h & 0xFFFF) << 16);
  }
}
