// One tensor's entry in a safetensors header, after validation: name, dtype, shape and its byte
// range within the data section (the bytes after the header), as data_offsets stores it.
package dev.sinter.train.checkpoint;

import java.util.Arrays;

/**
 * A validated tensor entry. {@code begin} and {@code end} are byte offsets into the data section,
 * end exclusive; {@code end - begin == elements() * dtype.size()}.
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
  /** Copies {@code shape}, so the record stays immutable. */
  public TensorInfo {
    shape = shape.clone();
  }

  /** A copy of the shape; empty for a scalar. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Number of elements: the product of the shape, 1 for a scalar.
   *
   * @throws ArithmeticException if it overflows a long (never for an info a reader returned)
   */
  public long elements() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Bytes of data. */
  public long byteLength() {
    return end - begin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
        && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
