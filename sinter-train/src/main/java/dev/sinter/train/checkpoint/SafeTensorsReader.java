// Reads safetensors files and refuses hostile ones before they cost memory: the header length is
// checked against the file size and a 100 MB cap (the reference implementation's) before anything
// is allocated, the header must be strict UTF-8 JSON without duplicate keys, every entry must have
// a known dtype, a sane shape and a byte range of exactly elements × size, and the ranges must tile
// the data section from 0 to its last byte. Tensor data is read with positional reads in chunks
// into one direct buffer, so offsets are longs and files over 2 GiB work.
package dev.sinter.train.checkpoint;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file whose header has been validated. Holds one file channel and one staging
 * buffer; not safe for concurrent use.
 */
public final class SafeTensorsReader implements AutoCloseable {
  /** Largest header accepted, in bytes; the same cap as the reference Rust implementation. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final Path file;
  private final FileChannel ch;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private ByteBuffer buf;

  private SafeTensorsReader(Path file, FileChannel ch, long dataStart,
      Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    this.file = file;
    this.ch = ch;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Opens {@code file} and validates its header and the layout of its data section.
   *
   * @throws CheckpointException naming the file and the fault if it cannot be opened or is not a
   *     well-formed safetensors file of F32, F16 and BF16 tensors
   */
  public static SafeTensorsReader open(Path file) {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot open checkpoint (" + e + ")", e);
    }
    try {
      long size = ch.size();
      if (size < 8) {
        throw bad(file, "file is " + size + " bytes, shorter than the 8-byte header length;"
            + " it is truncated or not a safetensors file");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(file, ch, len, 0);
      long n = len.flip().getLong(); // unsigned on disk: >= 2^63 reads as negative
      if (n < 0 || n > size - 8) {
        throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the " + (size - 8)
            + " bytes after it; the file is truncated or not a safetensors file");
      }
      if (n > MAX_HEADER_BYTES) {
        throw bad(file, "header length " + n + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
      }
      if (n < 2) {
        throw bad(file, "header length " + n + " is too short for a JSON object");
      }
      ByteBuffer header = ByteBuffer.allocate((int) n);
      readFully(file, ch, header, 8);
      Map<String, String> meta = new LinkedHashMap<>();
      Map<String, TensorInfo> infos = parseHeader(file, header.flip(), meta);
      checkLayout(file, infos.values(), size - 8 - n);
      return new SafeTensorsReader(file, ch, 8 + n, Collections.unmodifiableMap(infos),
          Collections.unmodifiableMap(meta));
    } catch (IOException e) {
      closeQuietly(ch, e);
      throw new CheckpointException(file, "cannot read checkpoint (" + e + ")", e);
    } catch (RuntimeException e) {
      closeQuietly(ch, e);
      throw e;
    }
  }

  /** The file this reader reads. */
  public Path file() {
    return file;
  }

  /** Every tensor, in header order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The {@code __metadata__} map, in header order; empty when the file has none. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The tensor {@code name}, checked to have {@code shape}.
   *
   * @throws CheckpointException if the file has no such tensor or its shape differs, naming the
   *     tensor and both shapes
   */
  public TensorInfo require(String name, long... shape) {
    TensorInfo t = tensor(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new CheckpointException(file, "tensor " + quote(name) + " has shape "
          + Arrays.toString(t.shape()) + " but " + Arrays.toString(shape) + " was expected;"
          + " the checkpoint belongs to a different model configuration");
    }
    return t;
  }

  /**
   * Reads tensor {@code name} into {@code dst[dstOffset ..]}, converting F16 and BF16 to float.
   *
   * @throws CheckpointException if there is no such tensor or the file can no longer be read
   * @throws IndexOutOfBoundsException if {@code dst} has no room for the tensor at
   *     {@code dstOffset}
   */
  public void readFloats(String name, float[] dst, int dstOffset) {
    TensorInfo t = tensor(name);
    if (dstOffset < 0 || t.elements() > dst.length - (long) dstOffset) {
      throw new IndexOutOfBoundsException("tensor " + quote(name) + " has " + t.elements()
          + " elements; dst of length " + dst.length + " has no room for it at " + dstOffset);
    }
    if (buf == null) {
      long largest = tensors.values().stream().mapToLong(TensorInfo::byteLength).max().orElse(0);
      buf = ByteBuffer.allocateDirect(Math.clamp(largest, 64, SafeTensorsWriter.CHUNK_BYTES))
          .order(ByteOrder.LITTLE_ENDIAN);
    }
    int size = t.dtype().size();
    int out = dstOffset;
    try {
      // A chunk is either the whole tensor or the full 8 MiB buffer, a multiple of every dtype
      // size, so no element straddles two chunks.
      for (long pos = dataStart + t.begin(), end = dataStart + t.end(); pos < end; ) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
        readFully(file, ch, buf, pos);
        buf.flip();
        int n = buf.remaining() / size;
        switch (t.dtype()) {
          case F32 -> buf.asFloatBuffer().get(dst, out, n);
          case F16 -> {
            for (int k = out; k < out + n; k++) {
              dst[k] = Float.float16ToFloat(buf.getShort());
            }
          }
          case BF16 -> {
            for (int k = out; k < out + n; k++) {
              dst[k] = Dtype.fromBf16(buf.getShort());
            }
          }
        }
        out += n;
        pos += (long) n * size;
      }
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot read tensor " + quote(name) + " (" + e + ")", e);
    }
  }

  /** Closes the file. */
  @Override
  public void close() {
    try {
      ch.close();
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot close checkpoint (" + e + ")", e);
    }
  }

  private TensorInfo tensor(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new CheckpointException(file, "no tensor " + quote(name) + " (the file has "
          + tensors.size() + "); the checkpoint belongs to a different model or version");
    }
    return t;
  }

  /** Decodes, parses and checks the header; fills {@code meta}; returns tensors in file order. */
  private static Map<String, TensorInfo> parseHeader(Path file, ByteBuffer bytes,
      Map<String, String> meta) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw bad(file, "header is not valid UTF-8");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw bad(file, "header is not valid JSON: " + clean(e.getOriginalMessage(), 200)
          + (at == null ? "" : " (at character " + at.getCharOffset() + ")"));
    }
    if (root == null || !root.isObject()) {
      throw bad(file, "header is not a JSON object");
    }
    Map<String, TensorInfo> infos = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> f : root.properties()) {
      if (f.getKey().equals("__metadata__")) {
        if (!f.getValue().isObject()) {
          throw bad(file, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> m : f.getValue().properties()) {
          if (!m.getValue().isTextual()) {
            throw bad(file, "__metadata__ value for " + quote(m.getKey()) + " is not a string");
          }
          meta.put(m.getKey(), m.getValue().textValue());
        }
      } else {
        infos.put(f.getKey(), parseTensor(file, f.getKey(), f.getValue()));
      }
    }
    return infos;
  }

  private static TensorInfo parseTensor(Path file, String name, JsonNode node) {
    String what = "tensor " + quote(name);
    if (!node.isObject()) {
      throw bad(file, what + " must be an object with dtype, shape and data_offsets");
    }
    for (Map.Entry<String, JsonNode> p : node.properties()) {
      String key = p.getKey();
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw bad(file, what + " has unknown field " + quote(key));
      }
    }
    JsonNode d = node.get("dtype");
    if (d == null || !d.isTextual()) {
      throw bad(file, what + " has no dtype string");
    }
    Dtype dtype = Dtype.parse(d.textValue());
    if (dtype == null) {
      throw bad(file, what + " has dtype " + quote(d.textValue())
          + "; Sinter reads F32, F16 and BF16 — convert the checkpoint first");
    }
    long[] shape = longs(file, what, "shape", node.get("shape"), -1);
    long[] offsets = longs(file, what, "data_offsets", node.get("data_offsets"), 2);
    long bytes;
    try {
      long n = 1;
      for (long dim : shape) {
        n = Math.multiplyExact(n, dim);
      }
      bytes = Math.multiplyExact(n, (long) dtype.size());
    } catch (ArithmeticException e) {
      throw bad(file, what + " shape " + Arrays.toString(shape) + " overflows a 64-bit size");
    }
    if (offsets[0] > offsets[1]) {
      throw bad(file, what + " data_offsets " + Arrays.toString(offsets) + " end before they begin");
    }
    if (offsets[1] - offsets[0] != bytes) {
      throw bad(file, what + " is " + dtype + Arrays.toString(shape) + " (" + bytes
          + " bytes) but data_offsets " + Arrays.toString(offsets) + " span "
          + (offsets[1] - offsets[0]) + " bytes");
    }
    return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
  }

  /** A JSON array of non-negative 64-bit integers, of length {@code count} unless it is -1. */
  private static long[] longs(Path file, String what, String field, JsonNode node, int count) {
    if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
      throw bad(file, what + " " + field + " must be an array of "
          + (count >= 0 ? count + " " : "") + "non-negative integers");
    }
    long[] v = new long[node.size()];
    for (int i = 0; i < v.length; i++) {
      JsonNode e = node.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToLong() || e.longValue() < 0) {
        throw bad(file, what + " " + field + " holds " + e + ", not a non-negative 64-bit integer");
      }
      v[i] = e.longValue();
    }
    return v;
  }

  /** Requires the byte ranges to cover [0, dataBytes) exactly once, with no gap or overlap. */
  private static void checkLayout(Path file, Iterable<TensorInfo> infos, long dataBytes) {
    List<TensorInfo> byOffset = new ArrayList<>();
    infos.forEach(byOffset::add);
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long covered = 0;
    String previous = null;
    for (TensorInfo t : byOffset) {
      if (t.begin() < covered) {
        throw bad(file, "tensor " + quote(t.name()) + " bytes [" + t.begin() + ", " + t.end()
            + ") overlap tensor " + quote(previous) + " which ends at " + covered);
      }
      if (t.begin() > covered) {
        throw bad(file, "no tensor covers data bytes [" + covered + ", " + t.begin()
            + ") before tensor " + quote(t.name()) + "; data_offsets must tile the data section");
      }
      covered = t.end();
      previous = t.name();
    }
    if (covered > dataBytes) {
      throw bad(file, "data section has " + dataBytes + " bytes but the tensors need " + covered
          + "; the file is truncated (copy it again or use an earlier checkpoint)");
    }
    if (covered < dataBytes) {
      throw bad(file, (dataBytes - covered) + " bytes after the last tensor belong to no tensor;"
          + " the file is corrupt or not a safetensors file");
    }
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer dst, long pos)
      throws IOException {
    while (dst.hasRemaining()) {
      if (ch.read(dst, pos + dst.position()) < 0) {
        throw bad(file, "file ended at byte " + (pos + dst.position())
            + " while reading; it was truncated after it was opened");
      }
    }
  }

  /** A name from a possibly hostile file, quoted and made safe to print. */
  static String quote(String s) {
    return "'" + clean(s, 64) + "'";
  }

  /** Text from a possibly hostile file cut to {@code max} chars, control characters replaced. */
  private static String clean(String s, int max) {
    String cut = s.length() > max ? s.substring(0, max) + "…" : s;
    StringBuilder b = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }

  private static CheckpointException bad(Path file, String problem) {
    return new CheckpointException(file, "not a valid safetensors file: " + problem);
  }

  private static void closeQuietly(FileChannel ch, Exception primary) {
    try {
      ch.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }
}
