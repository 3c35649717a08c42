// The safetensors element types Sinter reads and writes, and the float conversions for the 16-bit
// ones. F16 is IEEE binary16 through the JDK's conversions; BF16 is the top half of an F32, rounded
// to nearest even as PyTorch's float-to-bfloat16 cast does.
package dev.sinter.train.checkpoint;

/** A safetensors dtype; {@link #name()} is the string stored in the header. */
public enum Dtype {
  F32(4),
  F16(2),
  BF16(2);

  private final int size;

  Dtype(int size) {
    this.size = size;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  /** The dtype named {@code s} in a header, or null when Sinter does not read it. */
  static Dtype parse(String s) {
    return switch (s) {
      case "F32" -> F32;
      case "F16" -> F16;
      case "BF16" -> BF16;
      default -> null;
    };
  }

  /** Rounds {@code f} to bfloat16, nearest even; NaN stays a (quiet) NaN of the same sign. */
  public static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      // Truncating a NaN whose payload sits in the low half would make it an infinity.
      return (short) ((bits >>> 16) | 0x0040);
    }
    // No overflow: the largest non-NaN pattern, -inf, is 0xff800000.
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The float whose top half is {@code h}; exact. */
  public static float fromBf16(short h) {
    return Float.intBitsToFloat(h << 16);
  }
}
