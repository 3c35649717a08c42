// Writes tensors in the safetensors format (8-byte little-endian header length, JSON header padded
// with spaces to a multiple of 8, then the little-endian data of each tensor back to back). Data is
// streamed from slices of the caller's float arrays through one direct buffer, so a checkpoint never
// exists whole in memory; the SHA-256 is computed on the same pass so nobody re-reads the file.
// Atomicity (temp file, rename) is the caller's: this class writes and fsyncs the path it is given.
package dev.sinter.train.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Streams tensors to a safetensors file. */
public final class SafeTensorsWriter {
  /** Size of the staging buffer: large enough to amortise syscalls, small enough to be free. */
  static final int CHUNK_BYTES = 8 << 20;

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private SafeTensorsWriter() {}

  /**
   * One tensor to write: {@code length} floats of {@code data} starting at {@code offset}, stored
   * as {@code dtype}. The data array is not copied (it is usually the model's flat parameter array);
   * it must not change until {@link #write} returns.
   *
   * @throws IllegalArgumentException if a dimension is negative or the shape's element count is
   *     not {@code length}
   * @throws IndexOutOfBoundsException if the slice lies outside {@code data}
   */
  public record Entry(String name, Dtype dtype, long[] shape, float[] data, int offset, int length) {
    /** Validates the slice against the shape. */
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(dtype, "dtype");
      Objects.checkFromIndexSize(offset, length, data.length);
      shape = shape.clone();
      long n = 1;
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
        }
        n = Math.multiplyExact(n, d);
      }
      if (n != length) {
        throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " has " + n
            + " elements but the slice has " + length);
      }
    }

    /** As the canonical constructor, with an int shape. */
    public Entry(String name, Dtype dtype, int[] shape, float[] data, int offset, int length) {
      this(name, dtype, Arrays.stream(shape).asLongStream().toArray(), data, offset, length);
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
      return shape.clone();
    }
  }

  /** What {@link #write} produced: the file's size and the SHA-256 of all its bytes, lower-case hex. */
  public record Written(long bytes, String sha256Hex) {}

  /**
   * Writes {@code tensors} in list order, then forces the file to disk. An existing file is
   * replaced. Metadata keys are written sorted, so equal inputs give byte-identical files. A
   * failure may leave a partial file, which is why callers write to a temporary name and rename.
   *
   * @param metadata stored as {@code __metadata__}; null or empty writes none
   * @throws IllegalArgumentException for a duplicate or reserved tensor name, a null metadata
   *     value, or a header over {@link SafeTensorsReader#MAX_HEADER_BYTES}
   * @throws CheckpointException naming the file if it cannot be written
   */
  public static Written write(Path file, List<Entry> tensors, Map<String, String> metadata) {
    byte[] header = header(tensors, metadata);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
    long dataBytes = 0;
    for (Entry e : tensors) {
      dataBytes += (long) e.length() * e.dtype().size();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(header.length).put(header);
      long written = drain(ch, head, sha);
      ByteBuffer buf = ByteBuffer.allocateDirect(Math.clamp(dataBytes, 64, CHUNK_BYTES))
          .order(ByteOrder.LITTLE_ENDIAN);
      for (Entry e : tensors) {
        float[] a = e.data();
        int size = e.dtype().size();
        for (int i = e.offset(), end = e.offset() + e.length(); i < end; ) {
          int n = Math.min(end - i, buf.remaining() / size);
          if (n == 0) {
            written += drain(ch, buf, sha);
            continue;
          }
          switch (e.dtype()) {
            case F32 -> {
              buf.asFloatBuffer().put(a, i, n); // the view inherits little-endian order
              buf.position(buf.position() + 4 * n);
            }
            case F16 -> {
              for (int k = i; k < i + n; k++) {
                buf.putShort(Float.floatToFloat16(a[k]));
              }
            }
            case BF16 -> {
              for (int k = i; k < i + n; k++) {
                buf.putShort(Dtype.toBf16(a[k]));
              }
            }
          }
          i += n;
        }
      }
      written += drain(ch, buf, sha);
      ch.force(true);
      return new Written(written, HexFormat.of().formatHex(sha.digest()));
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot write checkpoint (" + e
          + "); check free space and permissions", e);
    }
  }

  /** The JSON header, padded with spaces so the data section starts 8-byte aligned. */
  private static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
    ObjectNode root = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode m = root.putObject("__metadata__");
      new TreeMap<>(metadata).forEach((k, v) -> m.put(k, Objects.requireNonNull(v, k)));
    }
    long offset = 0;
    for (Entry e : tensors) {
      if (e.name().equals("__metadata__") || root.has(e.name())) {
        throw new IllegalArgumentException("tensor name '" + e.name() + "' is "
            + (root.has(e.name()) ? "used twice" : "reserved for metadata"));
      }
      ObjectNode t = root.putObject(e.name());
      t.put("dtype", e.dtype().name());
      ArrayNode shape = t.putArray("shape");
      for (long d : e.shape) {
        shape.add(d);
      }
      long end = offset + (long) e.length() * e.dtype().size();
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
    int padded = (json.length + 7) & ~7;
    if (padded > SafeTensorsReader.MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("header of " + padded + " bytes exceeds the "
          + SafeTensorsReader.MAX_HEADER_BYTES + "-byte limit readers enforce");
    }
    byte[] header = Arrays.copyOf(json, padded);
    Arrays.fill(header, json.length, padded, (byte) ' ');
    return header;
  }

  /** Hashes and writes what {@code buf} holds, then clears it; returns the bytes written. */
  private static long drain(FileChannel ch, ByteBuffer buf, MessageDigest sha) throws IOException {
    buf.flip();
    int n = buf.remaining();
    sha.update(buf);
    buf.rewind();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
    return n;
  }
}
